"""Run the `red5-bcs` command line as `python -m red5_bcs`."""

from ._cli import main

if __name__ == "__main__":
    main()

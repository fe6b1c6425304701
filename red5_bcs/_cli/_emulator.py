"""`red5-bcs emulator`: serve a local Red5 Cloud emulator until interrupted."""

from __future__ import annotations

from typing import Annotated

import typer

from ._failures import EXIT_FAILURE, EXIT_USAGE

__all__ = ["register_emulator_command", "require_emulator_extra"]

EMULATOR_EXTRA_HINT = (
    "The emulator needs starlette and uvicorn; install them with "
    "pip install 'red5-bcs[emulator]'."
)


def register_emulator_command(app: typer.Typer) -> None:
    """Add `emulator` to `app`."""
    app.command("emulator")(serve_emulator)


def require_emulator_extra() -> None:
    """Exit with 2, printing what to install, when the emulator cannot be imported."""
    # The testing package itself always imports, so that pytest can load its
    # plugin anywhere; its names import starlette and uvicorn on first use.
    try:
        from red5_bcs.testing import Emulator, EmulatorServer  # noqa: F401
    except ImportError:
        typer.echo(f"Error: {EMULATOR_EXTRA_HINT}", err=True)
        raise typer.Exit(EXIT_USAGE) from None


def serve_emulator(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help=(
                "The address to listen on. The default accepts only connections "
                "from this machine."
            ),
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(
            "--port",
            min=0,
            max=65535,
            help="The TCP port to listen on; 0 picks a free one.",
        ),
    ] = 8765,
) -> None:
    """Serve a local emulator of Red5 Cloud and PubNub until Ctrl-C or SIGTERM.

    First prints four NAME=value lines, RED5_MASTER_KEY, RED5_MASTER_SECRET,
    RED5_BASE_URL and RED5_PUBNUB_BASE_URL; export them in another shell to
    point red5-bcs and the SDK at the emulator. The credentials are new on
    every start, and rooms live in memory only.
    """
    require_emulator_extra()
    from ..testing import run_cli_emulator

    try:
        run_cli_emulator(host=host, port=port)
    except OSError as error:
        typer.echo(
            f"Error: cannot listen on {host}:{port}: {error.strerror or error}. "
            "Pick another --port, or 0 for a free one.",
            err=True,
        )
        raise typer.Exit(EXIT_FAILURE) from None

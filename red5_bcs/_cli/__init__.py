"""The `red5-bcs` command line; it needs the `cli` extra (typer and rich).

`import red5_bcs` never imports this package, so the SDK itself does not
depend on typer or rich.
"""

try:
    import rich  # noqa: F401
    import typer  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "The red5-bcs command needs typer and rich; install them with "
        "pip install 'red5-bcs[cli]'."
    ) from exc

from ._app import app, main

__all__ = ["app", "main"]

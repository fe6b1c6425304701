"""The `red5-bcs` command: its root options, its error handling and its commands."""

from __future__ import annotations

import logging
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .._errors import Red5Error
from .._version import __version__
from ._bulk import register_bulk_command
from ._demo import register_demo_command
from ._emulator import register_emulator_command
from ._failures import error_line, exit_code_for
from ._media import register_media_commands
from ._rooms import register_room_commands
from ._settings import (
    BaseUrlOption,
    CliSettings,
    MasterKeyOption,
    MasterSecretOption,
    PubNubBaseUrlOption,
    TimeoutOption,
)
from ._tokens import token_app

__all__ = ["app", "main"]

_SDK_LOGGER = "red5_bcs"


class Red5Group(TyperGroup):
    """The root command group; it turns SDK errors into one line and an exit code.

    Subcommands run inside the root group's `invoke`, so this one handler
    covers every command. Other exceptions are bugs and keep their traceback,
    which Typer prints without local variables.
    """

    # Typer's public context type is a subclass of the one the base declares.
    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        """Run the command, mapping `Red5Error` to a message on stderr and exit code."""
        try:
            return super().invoke(ctx)
        except Red5Error as error:
            typer.echo(error_line(error), err=True)
            raise typer.Exit(exit_code_for(error)) from None


app = typer.Typer(
    name="red5-bcs",
    help=(
        "Mint Red5 Cloud conference and chat tokens, manage rooms through the "
        "conference API, and run a local emulator. Credentials come from "
        "RED5_MASTER_KEY and RED5_MASTER_SECRET, or from the connection flags. "
        "Exit codes: 0 success, 1 service, network or token failure, 2 bad usage "
        "or settings."
    ),
    cls=Red5Group,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"red5-bcs {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    master_key: MasterKeyOption = None,
    master_secret: MasterSecretOption = None,
    base_url: BaseUrlOption = None,
    pubnub_base_url: PubNubBaseUrlOption = None,
    timeout: TimeoutOption = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            "-v",
            help="Log each request (method, path, status, time) on stderr.",
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Set the connection flags for every command; a command's own flags win."""
    ctx.obj = CliSettings(
        master_key=master_key,
        master_secret=master_secret,
        base_url=base_url,
        pubnub_base_url=pubnub_base_url,
        timeout=timeout,
    )
    if verbose:
        _log_to_stderr(ctx)


def _log_to_stderr(ctx: typer.Context) -> None:
    """Send the SDK's log records to stderr until the command ends.

    The SDK logs paths, statuses and retries, never tokens, secrets or query
    strings, so its DEBUG records are safe to show.
    """
    logger = logging.getLogger(_SDK_LOGGER)
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    previous_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)

    def restore() -> None:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)

    ctx.call_on_close(restore)


register_bulk_command(token_app)
app.add_typer(token_app, name="token")
register_room_commands(app)
register_media_commands(app)
register_emulator_command(app)
register_demo_command(app)


def main() -> None:
    """Run the `red5-bcs` command line."""
    app(prog_name="red5-bcs")

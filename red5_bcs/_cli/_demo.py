"""`red5-bcs demo`: walk through every capability and check each result.

Without `--live` the demo starts the embedded emulator on 127.0.0.1, on a
free port, and ignores the RED5_* variables and connection flags, so it never
reaches a real service. With `--live` it makes only read-only calls to the
service those settings name.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Annotated

import typer
from rich.text import Text

from .._config import ENV_MASTER_KEY, ENV_MASTER_SECRET
from .._sync import Red5Client
from ._demo_live import LIVE_STEPS
from ._demo_runner import Demo, StepReport, run_steps
from ._demo_steps import EMULATOR_STEPS, ROOM
from ._emulator import require_emulator_extra
from ._failures import EXIT_FAILURE, EXIT_USAGE
from ._output import print_json, stdout_console
from ._settings import DEFAULT_TIMEOUT_SECONDS, CliSettings, connection_options

__all__ = ["register_demo_command"]

Reporter = Callable[[StepReport], None]


def register_demo_command(app: typer.Typer) -> None:
    """Add `demo` to `app`."""
    app.command("demo")(run_demo)


@connection_options
def run_demo(
    settings: CliSettings,
    live: Annotated[
        bool,
        typer.Option(
            "--live",
            help=(
                "Make only read-only calls (rooms, users, hosts, external streams) "
                "to the service that RED5_* or the connection flags name, instead "
                "of starting the emulator."
            ),
        ),
    ] = False,
    room: Annotated[
        str | None,
        typer.Option(
            "--room",
            help="With --live, the room whose users and hosts to list. "
            "Default: the first active room.",
            show_default=False,
        ),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json", help="Print one JSON object per step (JSON lines) instead."
        ),
    ] = False,
) -> None:
    """Walk through every capability of the SDK and check what each step does.

    Starts the embedded emulator on 127.0.0.1 with new development
    credentials: mints and verifies tokens, joins participants, lists rooms,
    users and hosts, grants chat tokens, records, transcribes, blocks and
    unblocks, manages external streams and shows an argument being rejected.
    Exits with 1, naming the failed steps, if any step did not do what it
    should.
    """
    if room is not None and not live:
        raise typer.BadParameter("--room only applies with --live.")
    report = _json_reporter if json_output else _print_step
    if live:
        reports = _run_live_demo(settings, room, report)
    else:
        reports = _run_emulator_demo(report, show_header=not json_output)
    _finish(reports, json_output)


def _run_emulator_demo(report: Reporter, *, show_header: bool) -> list[StepReport]:
    require_emulator_extra()
    from ..testing import Emulator, EmulatorServer, ManualClock

    # Clients and emulator share a clock that the transcript step moves on.
    clock = ManualClock(time.time())
    emulator = Emulator(clock=clock)
    with (
        EmulatorServer(emulator, host="127.0.0.1", port=0) as server,
        server.client() as client,
    ):
        if show_header:
            _print_header(f"red5-bcs demo on the embedded emulator at {server.address}")
        demo = Demo(client=client, room=ROOM, emulator=emulator, clock=clock)
        return run_steps(EMULATOR_STEPS, demo, report)


def _run_live_demo(
    settings: CliSettings, room: str | None, report: Reporter
) -> list[StepReport]:
    has_key = settings.master_key is not None or ENV_MASTER_KEY in os.environ
    has_secret = settings.master_secret is not None or ENV_MASTER_SECRET in os.environ
    if not (has_key and has_secret):
        typer.echo(
            f"Error: demo --live needs {ENV_MASTER_KEY} and {ENV_MASTER_SECRET} (or "
            "--master-key and --master-secret). Run demo without --live to use the "
            "embedded emulator instead.",
            err=True,
        )
        raise typer.Exit(EXIT_USAGE)

    timeout = DEFAULT_TIMEOUT_SECONDS if settings.timeout is None else settings.timeout
    with Red5Client(
        settings.master_key,
        settings.master_secret,
        base_url=settings.base_url,
        pubnub_base_url=settings.pubnub_base_url,
        timeout=timeout,
    ) as client:
        demo = Demo(client=client, room=room.strip() if room else None)
        return run_steps(LIVE_STEPS, demo, report)


def _json_reporter(report: StepReport) -> None:
    print_json(report.to_json())


def _print_header(title: str) -> None:
    stdout_console().print(Text(title, style="bold"))


def _print_step(report: StepReport) -> None:
    console = stdout_console()
    mark = Text("✓ ", style="green") if report.ok else Text("✗ ", style="bold red")
    console.print(mark + Text(report.title, style="bold" if report.ok else "red"))
    for name, value in report.details.items():
        console.print(Text(f"    {name}: {_display(value)}"))


def _display(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _finish(reports: list[StepReport], json_output: bool) -> None:
    failed = [report.name for report in reports if not report.ok]
    if failed:
        typer.echo(
            f"Error: the demo failed at {len(failed)} of {len(reports)} steps: "
            f"{', '.join(failed)}.",
            err=True,
        )
        raise typer.Exit(EXIT_FAILURE)
    if not json_output:
        stdout_console().print(
            Text(f"All {len(reports)} steps did what they should.", style="bold green")
        )

"""`red5-bcs token bulk`: conference tokens for every row of a CSV, concurrently.

Rows are minted by a fixed number of workers sharing one client, so at most
`--concurrency` grant calls to PubNub are in flight. Results are written in
input order as soon as every earlier row is done, one output row per input
row: a failed row gets its error instead of a token and is never dropped.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, NoReturn, TextIO

import anyio
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.text import Text

from .._client import AsyncRed5Client
from .._errors import Red5Error
from ._bulk_input import MalformedCsvError, TokenRequest, parse_requests
from ._failures import EXIT_FAILURE, EXIT_USAGE
from ._output import plural, stderr_console
from ._settings import CliSettings, connection_options, run_with_client

__all__ = ["register_bulk_command"]

_CSV_COLUMNS = ("line", "user", "room", "role", "token", "error")


@dataclass(frozen=True, slots=True)
class TokenResult:
    """The outcome of one row: a token, or the error that prevented it."""

    request: TokenRequest
    token: str | None = None
    error: Red5Error | None = None


def register_bulk_command(app: typer.Typer) -> None:
    """Add `bulk` to the `token` group."""
    app.command("bulk")(bulk_tokens)


@connection_options
def bulk_tokens(
    settings: CliSettings,
    csv_file: Annotated[
        Path,
        typer.Argument(
            metavar="CSV",
            help=(
                "A CSV file whose header names the columns user, room and "
                "optionally role (default publisher); - reads stdin."
            ),
            show_default=False,
            allow_dash=True,
        ),
    ],
    concurrency: Annotated[
        int,
        typer.Option(
            "--concurrency",
            min=1,
            max=1000,
            help="The maximum number of tokens minted at the same time.",
        ),
    ] = 16,
    minutes: Annotated[
        int,
        typer.Option(
            "--minutes", help="Each token's lifetime in minutes, 1 to 43200 (30 days)."
        ),
    ] = 60,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the results to this file instead of stdout.",
            show_default=False,
            dir_okay=False,
        ),
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Write JSON lines instead of CSV."),
    ] = False,
) -> None:
    """Mint a conference token for every row of a CSV file, in input order.

    Writes one row per input row, with the token or the error. Failed rows
    are also listed on stderr. Exits with 1 if any row failed, and with 2
    if the CSV is malformed.
    """
    requests = _read_requests(csv_file)
    stderr = stderr_console()
    with ExitStack() as stack:
        target = _open_output(output, stack)
        # Lines written to a terminal while the progress bar redraws there
        # would be torn apart, so terminal output waits for the bar to end.
        buffered = io.StringIO() if target.isatty() and stderr.is_terminal else None
        write = _make_writer(target if buffered is None else buffered, json_output)
        failed = _mint_and_write(
            settings, requests, concurrency, minutes, write, stderr
        )
        if buffered is not None:
            target.write(buffered.getvalue())

    _print_summary(stderr, len(requests), failed)
    if failed:
        raise typer.Exit(EXIT_FAILURE)


def _read_requests(csv_file: Path) -> list[TokenRequest]:
    try:
        data = (
            sys.stdin.buffer.read() if str(csv_file) == "-" else csv_file.read_bytes()
        )
    except OSError as error:
        _usage_error(f"Cannot read {csv_file}: {error.strerror}.")
    try:
        return parse_requests(data)
    except MalformedCsvError as error:
        _usage_error(f"The CSV is malformed: {error}")


def _open_output(output: Path | None, stack: ExitStack) -> TextIO:
    if output is None:
        return sys.stdout
    try:
        return stack.enter_context(output.open("w", encoding="utf-8", newline=""))
    except OSError as error:
        _usage_error(f"Cannot write {output}: {error.strerror}.")


def _usage_error(message: str) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _make_writer(target: TextIO, json_output: bool) -> Callable[[TokenResult], None]:
    if json_output:

        def write_json(result: TokenResult) -> None:
            target.write(json.dumps(_result_json(result), ensure_ascii=False) + "\n")

        return write_json

    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)

    def write_csv(result: TokenResult) -> None:
        request = result.request
        error = _error_text(result.error) if result.error else ""
        writer.writerow(
            (request.line, request.user, request.room, request.role,
             result.token or "", error)
        )  # fmt: skip

    return write_csv


def _result_json(result: TokenResult) -> dict[str, object]:
    request = result.request
    error = result.error
    return {
        "line": request.line,
        "user": request.user,
        "room": request.room,
        "role": request.role,
        "token": result.token,
        "error": None
        if error is None
        else {"type": type(error).__name__, "message": _one_line(str(error))},
    }


def _error_text(error: Red5Error) -> str:
    return f"{type(error).__name__}: {_one_line(str(error))}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _mint_and_write(
    settings: CliSettings,
    requests: list[TokenRequest],
    concurrency: int,
    minutes: int,
    write: Callable[[TokenResult], None],
    stderr: Console,
) -> int:
    """Mint every row, writing results in order; return how many rows failed."""
    ordered = _OrderedResults()
    failed = 0

    def emit(result: TokenResult) -> None:
        nonlocal failed
        if result.error is not None:
            failed += 1
            message = f"Line {result.request.line}: {_error_text(result.error)}"
            stderr.print(Text(message))
        write(result)

    with _ProgressBar(stderr, len(requests)) as advance:

        def finish(index: int, result: TokenResult) -> None:
            advance()
            for ready in ordered.add(index, result):
                emit(ready)

        async def mint(client: AsyncRed5Client) -> None:
            await _mint_all(client, requests, concurrency, minutes, finish)

        run_with_client(settings, mint)
    return failed


class _ProgressBar:
    """A Rich progress bar on stderr when it is a terminal, else nothing."""

    def __init__(self, console: Console, total: int) -> None:
        self._bar: Progress | None = None
        if console.is_terminal and total:
            self._bar = Progress(
                TextColumn("Minting tokens"), BarColumn(), MofNCompleteColumn(),
                console=console, transient=True,
                redirect_stdout=False, redirect_stderr=False,
            )  # fmt: skip
            self._task = self._bar.add_task("mint", total=total)

    def __enter__(self) -> Callable[[], None]:
        if self._bar is None:
            return lambda: None
        self._bar.start()
        bar, task = self._bar, self._task
        return lambda: bar.advance(task)

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()


class _OrderedResults:
    """Holds finished rows until every earlier row has finished too."""

    def __init__(self) -> None:
        self._pending: dict[int, TokenResult] = {}
        self._next = 0

    def add(self, index: int, result: TokenResult) -> Iterator[TokenResult]:
        """Store a finished row and yield the rows that can now be written."""
        self._pending[index] = result
        while self._next in self._pending:
            yield self._pending.pop(self._next)
            self._next += 1


async def _mint_all(
    client: AsyncRed5Client,
    requests: list[TokenRequest],
    concurrency: int,
    minutes: int,
    finish: Callable[[int, TokenResult], None],
) -> None:
    indexes = iter(range(len(requests)))

    async def work() -> None:
        # The workers share one iterator, which yields each index once, and they
        # run on one thread, so no row is minted twice or skipped.
        for index in indexes:
            finish(index, await _mint_one(client, requests[index], minutes))

    async with anyio.create_task_group() as group:
        for _ in range(min(concurrency, len(requests))):
            group.start_soon(work)


async def _mint_one(
    client: AsyncRed5Client, request: TokenRequest, minutes: int
) -> TokenResult:
    try:
        token = await client.get_conference_token(
            request.user, request.room, request.role, minutes
        )
    except Red5Error as error:
        return TokenResult(request, error=error)
    return TokenResult(request, token=token)


def _print_summary(stderr: Console, total: int, failed: int) -> None:
    minted = total - failed
    if failed:
        rows = plural(failed, "row")
        text = f"Minted {minted} of {plural(total, 'token')}; {rows} failed."
    else:
        text = f"Minted {plural(total, 'token')}."
    stderr.print(Text(text))

"""Output of the commands: JSON for scripts, Rich tables for people.

Values from the service or the command line are wrapped in `Text`, so a
room id such as `[bold]` is printed as it is and never read as Rich markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .._models import ActionResult
from .._pubnub import ChatPermissions, ChatTokenGrant

__all__ = [
    "JsonOption",
    "cell",
    "format_ms",
    "format_seconds",
    "grant_json",
    "model_json",
    "permission_names",
    "plural",
    "print_action",
    "print_fields",
    "print_json",
    "print_message",
    "print_note",
    "print_table",
    "stderr_console",
    "stdout_console",
]

JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print machine-readable JSON on stdout instead of a table.",
    ),
]

_MISSING = "-"


def stdout_console() -> Console:
    """Return a console on the current stdout; Rich adds color only on a terminal.

    Lines of text are not wrapped at the console's width, so a message piped
    to a file or a program stays on one line. Tables still fit the width.
    """
    return Console(highlight=False, soft_wrap=True)


def stderr_console() -> Console:
    """Return a console on the current stderr, with text unwrapped as on stdout."""
    return Console(stderr=True, highlight=False, soft_wrap=True)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """Return a count and a noun, in its plural form (default: noun + s) unless 1."""
    return f"{count} {noun}" if count == 1 else f"{count} {nouns or noun + 's'}"


def print_json(value: Any) -> None:
    """Print one JSON document on one line of stdout."""
    typer.echo(json.dumps(value, ensure_ascii=False))


def model_json(model: BaseModel) -> dict[str, Any]:
    """Return a response model in its wire form: camelCase, unknown fields kept."""
    return model.model_dump(mode="json", by_alias=True)


def grant_json(grant: ChatTokenGrant) -> dict[str, Any]:
    """Return a decoded PubNub grant with camelCase keys, like the other output."""
    return {
        "version": grant.version,
        "timestamp": grant.timestamp,
        "ttlMinutes": grant.ttl_minutes,
        "expiresAt": grant.expires_at.isoformat(),
        "authorizedUuid": grant.authorized_uuid,
        "channels": _permissions_json(grant.channels),
        "channelPatterns": _permissions_json(grant.channel_patterns),
        "meta": grant.meta,
    }


def _permissions_json(
    permissions: dict[str, ChatPermissions],
) -> dict[str, dict[str, bool]]:
    return {name: bits.model_dump() for name, bits in permissions.items()}


def permission_names(permissions: ChatPermissions) -> str:
    """Return the granted permissions as words, such as `read, write`."""
    granted = [name for name, value in permissions.model_dump().items() if value]
    return ", ".join(granted) or "none"


def format_seconds(seconds: int | float | None) -> str:
    """Format Unix seconds as a UTC date and time."""
    if seconds is None:
        return _MISSING
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def format_ms(milliseconds: int | None) -> str:
    """Format Unix milliseconds as a UTC date and time with milliseconds."""
    if milliseconds is None:
        return _MISSING
    moment = datetime.fromtimestamp(milliseconds / 1000, UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def cell(value: object) -> Text:
    """Return a table cell: yes or no for booleans, a dash for a missing value."""
    if value is None:
        return Text(_MISSING)
    if isinstance(value, bool):
        return Text("yes" if value else "no")
    return Text(str(value))


def print_table(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    caption: str | None = None,
) -> None:
    """Print a table on stdout."""
    table = Table(title=Text(title), caption=caption)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(cell(value) for value in row))
    stdout_console().print(table)


def print_fields(title: str, fields: Iterable[tuple[str, object]]) -> None:
    """Print name and value pairs as a two-column table on stdout."""
    table = Table(title=Text(title), show_header=False)
    table.add_column("Field", style="bold")
    table.add_column("Value")
    for name, value in fields:
        table.add_row(name, cell(value))
    stdout_console().print(table)


def print_message(message: str) -> None:
    """Print a line of text on stdout, without reading it as Rich markup."""
    stdout_console().print(Text(message))


def print_note(message: str) -> None:
    """Print a line of text on stderr, leaving stdout to the command's result."""
    stderr_console().print(Text(message))


def print_action(result: ActionResult, json_output: bool) -> None:
    """Print the service's confirmation of an action, as JSON or as a line."""
    if json_output:
        print_json(model_json(result))
        return
    print_message(result.message or "Done.")

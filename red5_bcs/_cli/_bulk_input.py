"""Reading the CSV of `token bulk`: a header row, then one token request per row."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from .._tokens import Role

__all__ = ["MalformedCsvError", "TokenRequest", "parse_requests"]

REQUIRED_COLUMNS = ("user", "room")


class MalformedCsvError(Exception):
    """The CSV cannot be read as a header and rows of token requests."""


@dataclass(frozen=True, slots=True)
class TokenRequest:
    """One row of the CSV.

    Attributes:
        line: The row's line number in the file, 1-based, for messages.
        user: The user id, as written in the file.
        room: The room id, as written in the file.
        role: The role, `publisher` when the row leaves it empty.
    """

    line: int
    user: str
    room: str
    role: str


def parse_requests(data: bytes) -> list[TokenRequest]:
    """Read every token request of a CSV file.

    A row with fewer fields than the header is read with the missing fields
    empty, so that an empty id is reported as that row's error. Blank lines
    are skipped.

    Raises:
        MalformedCsvError: The file is not UTF-8, is not valid CSV, has no
            header, lacks the user or room column, names a column twice, or
            has a row with more fields than the header.
    """
    reader = csv.reader(io.StringIO(_decode(data), newline=""), strict=True)
    try:
        columns = _read_header(reader)
        return [
            _request(row, columns, reader.line_num)
            for row in reader
            if any(field.strip() for field in row)
        ]
    except csv.Error as error:
        raise MalformedCsvError(f"line {reader.line_num}: {error}.") from None


def _decode(data: bytes) -> str:
    try:
        # utf-8-sig drops the byte order mark that spreadsheet programs write.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedCsvError(
            f"it is not UTF-8 text (invalid byte at offset {error.start})."
        ) from None


def _read_header(reader: Iterator[list[str]]) -> list[str]:
    header = next((row for row in reader if any(f.strip() for f in row)), None)
    if header is None:
        raise MalformedCsvError(
            "it is empty; the first row must name the columns user, room and "
            "optionally role."
        )

    names = [name.strip().lower() for name in header]
    repeated = sorted({name for name in names if names.count(name) > 1 and name})
    if repeated:
        raise MalformedCsvError(f"the header names {', '.join(repeated)} twice.")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise MalformedCsvError(
            f"the header lacks the column {' and '.join(missing)}; the first row "
            "must name the columns user, room and optionally role."
        )
    return names


def _request(row: list[str], columns: list[str], line: int) -> TokenRequest:
    if len(row) > len(columns):
        raise MalformedCsvError(
            f"line {line} has {len(row)} fields, but the header names "
            f"{len(columns)} columns."
        )

    def field(name: str) -> str:
        if name not in columns:
            return ""
        position = columns.index(name)
        return row[position] if position < len(row) else ""

    role = field("role").strip() or Role.PUBLISHER.value
    return TokenRequest(line, field("user"), field("room"), role)

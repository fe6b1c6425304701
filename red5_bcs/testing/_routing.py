"""Routing on the raw request path, so that percent-encoded ids stay ids.

Servers that decode the path before routing turn `%2F` inside an id into a
separator and `%2E%2E` into a parent directory. The emulator splits the raw
path (`scope["raw_path"]`, as sent) on `/` first and only then decodes each
segment (RFC 3986 section 3.3), so an id can contain any character.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ._errors import EmulatorError

__all__ = ["Route", "match_route", "parse_query", "raw_path_of", "split_path"]

HandlerT = TypeVar("HandlerT", bound=Callable[..., object])

# A `%` that does not start a two-digit hex escape.
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True, slots=True)
class Route(Generic[HandlerT]):
    """A method, a path pattern and its handler.

    Attributes:
        method: The HTTP method.
        pattern: Path segments; `{name}` matches any one segment.
        handler: The function that handles the request.
    """

    method: str
    pattern: tuple[str, ...]
    handler: HandlerT


def raw_path_of(scope: Mapping[str, Any]) -> bytes:
    """Return the request path as sent, from an ASGI scope.

    ASGI makes `raw_path` optional. Without it, the decoded `path` is
    encoded again, so an id that contained `%2F` arrives split in two.
    """
    raw = scope.get("raw_path")
    if raw is not None:
        return bytes(raw)
    return urllib.parse.quote(str(scope.get("path", "")), safe="/").encode("ascii")


def split_path(raw_path: bytes) -> list[str]:
    """Split a raw path into percent-decoded segments.

    Raises:
        EmulatorError: 400, the path is not absolute, has an invalid percent
            escape, or does not decode to UTF-8.
    """
    text = raw_path.decode("latin-1")
    if not text.startswith("/"):
        raise EmulatorError(400, "The request path must start with '/'.")
    if _BAD_ESCAPE.search(text) or not text.isascii():
        raise EmulatorError(
            400,
            "The request path contains an invalid percent escape or a raw "
            "non-ASCII byte; encode each id with percent escapes (RFC 3986).",
        )
    try:
        return [
            urllib.parse.unquote_to_bytes(part).decode("utf-8")
            for part in text[1:].split("/")
        ]
    except UnicodeDecodeError:
        raise EmulatorError(
            400, "A path segment does not decode to UTF-8 text."
        ) from None


def parse_query(raw_query: bytes) -> dict[str, str]:
    """Decode a query string; a name that appears twice is rejected.

    `+` is read as a space, as in HTML form encoding.

    Raises:
        EmulatorError: 400, a name is repeated or a value is not UTF-8.
    """
    try:
        text = raw_query.decode("ascii")
        pairs = urllib.parse.parse_qsl(
            text, keep_blank_values=True, encoding="utf-8", errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        raise EmulatorError(400, "The query string is not valid UTF-8.") from None

    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise EmulatorError(
                400, f"Query parameter {describe(name)} is given more than once."
            )
        params[name] = value
    return params


def match_route(
    routes: Sequence[Route[HandlerT]], method: str, segments: Sequence[str], path: str
) -> tuple[Route[HandlerT], dict[str, str]]:
    """Find the route for a request and the ids in its path.

    `segments` are the decoded path segments after the API's prefix, and
    `path` is the whole path, for messages.

    Raises:
        EmulatorError: 404, no route has this path; 405, routes have this
            path but not this method.
    """
    allowed: list[str] = []
    for route in routes:
        ids = _match(route.pattern, segments)
        if ids is None:
            continue
        if route.method == method:
            return route, ids
        allowed.append(route.method)

    if allowed:
        raise EmulatorError(
            405,
            f"{method} is not allowed on {describe(path)}; use {' or '.join(allowed)}.",
        )
    raise EmulatorError(404, f"No endpoint at {method} {describe(path)}.")


def describe(value: str) -> str:
    """Quote a value for a message, cutting it when it is long."""
    if len(value) > 80:
        return repr(value[:77] + "...")
    return repr(value)


def _match(pattern: tuple[str, ...], segments: Sequence[str]) -> dict[str, str] | None:
    if len(pattern) != len(segments):
        return None
    ids: dict[str, str] = {}
    for expected, actual in zip(pattern, segments, strict=True):
        if expected.startswith("{"):
            ids[expected[1:-1]] = actual
        elif expected != actual:
            return None
    return ids

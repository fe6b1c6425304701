"""Argument checks that run before any request is made.

Each check returns the value to use (ids are stripped of surrounding
whitespace) or raises `InvalidArgumentError` naming the argument and the
rule it broke. Messages quote an offending id only when it is short and
printable; ids are not secret, but they can be long or unprintable.
"""

from __future__ import annotations

import enum
import math
import unicodedata
from datetime import datetime
from typing import TypeVar

from ._errors import InvalidArgumentError

__all__ = [
    "MAX_CHANNEL_ID_LENGTH",
    "MAX_MINUTES",
    "MAX_USER_ID_LENGTH",
    "check_bool",
    "check_channel_id",
    "check_choice",
    "check_int",
    "check_minutes",
    "check_permissions",
    "check_room_id",
    "check_seconds",
    "check_stream_id",
    "check_timestamp_ms",
    "check_user_id",
]

# PubNub limits channel names to 92 characters, and `-pnpres` is appended to
# every room and channel id for its presence channel.
MAX_CHANNEL_NAME_LENGTH = 92
MAX_CHANNEL_ID_LENGTH = MAX_CHANNEL_NAME_LENGTH - len("-pnpres")
MAX_USER_ID_LENGTH = 92
# External stream ids are not PubNub channels; this bound only keeps URLs sane.
MAX_STREAM_ID_LENGTH = 256
# PubNub Access Manager accepts a ttl of 1 to 43,200 minutes (30 days).
MAX_MINUTES = 43_200
_CHANNEL_FORBIDDEN = frozenset(",:*/\\ ")
_PATH_DOT_SEGMENTS = frozenset({".", ".."})

EnumT = TypeVar("EnumT", bound=enum.Enum)


def _describe(value: str) -> str:
    if len(value) <= 40 and value.isprintable():
        return repr(value)
    return f"of {len(value)} characters"


def _check_id(
    name: str, value: object, max_length: int, *, path_segment: bool = True
) -> str:
    if not isinstance(value, str):
        raise InvalidArgumentError(
            name, f"{name} must be a str, not {type(value).__name__}."
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidArgumentError(
            name, f"{name} contains a lone surrogate and is not valid Unicode text."
        ) from None

    stripped = value.strip()
    if not stripped:
        raise InvalidArgumentError(
            name, f"{name} must not be empty or only whitespace."
        )
    # isprintable() is false for every control character, so the slower
    # per-character check runs only for ids that contain something unusual.
    if not stripped.isprintable() and any(
        unicodedata.category(char) == "Cc" for char in stripped
    ):
        raise InvalidArgumentError(name, f"{name} must not contain control characters.")
    if len(stripped) > max_length:
        raise InvalidArgumentError(
            name,
            f"{name} is {len(stripped)} characters long; the maximum is {max_length}.",
        )
    # Ids are sent as URL path segments, where `.` and `..` mean "this" and
    # "parent" directory to any proxy or server that normalizes paths.
    if path_segment and stripped in _PATH_DOT_SEGMENTS:
        raise InvalidArgumentError(
            name, f"{name} must not be {stripped!r}, a relative path segment."
        )
    return stripped


def check_user_id(value: object, name: str = "user_id") -> str:
    """Check a user id: a non-empty str of at most 92 characters."""
    return _check_id(name, value, MAX_USER_ID_LENGTH)


def check_pubnub_uuid(value: object, name: str = "uuid") -> str:
    """Check a PubNub uuid, sent in a query string: like a user id, `.` allowed."""
    return _check_id(name, value, MAX_USER_ID_LENGTH, path_segment=False)


def check_channel_id(value: object, name: str = "channel_id") -> str:
    """Check a room or channel id against PubNub's channel-name rules.

    PubNub channel names may not contain `,` `:` `*` `/` `\\`, spaces or
    control characters, and are at most 92 characters, of which `-pnpres`
    takes seven.
    """
    stripped = _check_id(name, value, MAX_CHANNEL_ID_LENGTH)
    if _CHANNEL_FORBIDDEN.isdisjoint(stripped):
        return stripped
    forbidden = sorted({char for char in stripped if char in _CHANNEL_FORBIDDEN})
    if forbidden:
        shown = " ".join("space" if char == " " else repr(char) for char in forbidden)
        raise InvalidArgumentError(
            name,
            f"{name} {_describe(stripped)} contains {shown}, which PubNub does "
            "not allow in channel names.",
        )
    return stripped


def check_room_id(value: object, name: str = "room_id") -> str:
    """Check a room id; a room id is also a PubNub channel name."""
    return check_channel_id(value, name)


def check_stream_id(value: object, name: str = "stream_id") -> str:
    """Check an external stream id: a non-empty str of at most 256 characters."""
    return _check_id(name, value, MAX_STREAM_ID_LENGTH)


def check_int(
    name: str, value: object, *, minimum: int, maximum: int | None = None
) -> int:
    """Check an `int` (never a `bool`) within `minimum` and `maximum`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgumentError(
            name, f"{name} must be an int, not {type(value).__name__}."
        )
    if value < minimum or (maximum is not None and value > maximum):
        bounds = (
            f"at least {minimum}" if maximum is None else f"from {minimum} to {maximum}"
        )
        raise InvalidArgumentError(name, f"{name} must be {bounds}, not {value}.")
    return value


def check_minutes(name: str, value: object) -> int:
    """Check a lifetime in minutes: an int from 1 to 43,200 (30 days)."""
    return check_int(name, value, minimum=1, maximum=MAX_MINUTES)


def check_seconds(name: str, value: object) -> int:
    """Check a duration in seconds: an int of at least 1."""
    return check_int(name, value, minimum=1)


def check_bool(name: str, value: object) -> bool:
    """Check a `bool`; strings and ints such as `"yes"` or `1` are rejected."""
    if not isinstance(value, bool):
        raise InvalidArgumentError(
            name, f"{name} must be a bool, not {type(value).__name__}."
        )
    return value


def check_permissions(read: object, write: object) -> tuple[bool, bool]:
    """Check chat permissions: two bools, at least one of them true."""
    read = check_bool("read", read)
    write = check_bool("write", write)
    if not (read or write):
        raise InvalidArgumentError(
            "read", "A chat grant needs read, write or both; both were False."
        )
    return read, write


def check_choice(name: str, value: object, choices: type[EnumT]) -> EnumT:
    """Check a member of a str enum, given as the member or its exact value."""
    if isinstance(value, choices):
        return value
    if isinstance(value, str):
        for member in choices:
            if member.value == value:
                return member
    allowed = ", ".join(repr(member.value) for member in choices)
    shown = _describe(value) if isinstance(value, str) else type(value).__name__
    raise InvalidArgumentError(name, f"{name} must be one of {allowed}, not {shown}.")


def check_timestamp_ms(name: str, value: object) -> int | None:
    """Check a time from 1970 on: Unix milliseconds, an aware datetime, or None.

    Returns:
        The time in Unix milliseconds, or None.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidArgumentError(
                name,
                f"{name} is a naive datetime; pass an aware one, such as "
                "datetime.now(timezone.utc).",
            )
        milliseconds = math.floor(value.timestamp() * 1000)
        if milliseconds < 0:
            raise InvalidArgumentError(
                name, f"{name} must not be before 1970-01-01T00:00:00Z."
            )
        return milliseconds
    return check_int(name, value, minimum=0)

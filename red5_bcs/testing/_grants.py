"""Validation of Access Manager v3 `grant` request bodies.

The checks follow PubNub's documented limits. `ttl` is 1 to 43,200 minutes,
`meta` contains only scalar values, and channel names are at most 92
characters without `,` `:` `*` `/` `\\`, spaces or control characters. A grant
must also give read or write on at least one channel. `channels` and `spaces` name the
same resources (PubNub's official SDK sends both), as do `uuids` and `users`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from .._validation import MAX_CHANNEL_NAME_LENGTH, MAX_MINUTES, MAX_USER_ID_LENGTH

__all__ = ["GrantError", "GrantRequest", "parse_grant_body"]

RESOURCE_TYPES = ("channels", "groups", "uuids", "users", "spaces")
PERMISSION_KEYS = frozenset({"resources", "patterns", "meta", "uuid"})
MAX_PERMISSION_BITS = 255
_READ_OR_WRITE = 1 | 2
_CHANNEL_FORBIDDEN = frozenset(",:*/\\ ")


class GrantError(Exception):
    """A rejected grant, sent in PubNub's error envelope.

    Attributes:
        status_code: 400 for an invalid request, 403 for an unauthorized one.
        message: The envelope's `error.message`, such as `Invalid ttl`.
        detail: The envelope's `error.details[0].message`, if any.
        location: Where the problem is, such as `ttl`.
        location_type: `body`, `query` or `path`.
    """

    def __init__(
        self,
        status_code: int,
        message: str,
        detail: str | None = None,
        location: str | None = None,
        location_type: str = "body",
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.detail = detail
        self.location = location
        self.location_type = location_type

    def envelope(self) -> dict[str, Any]:
        """Return the JSON body of PubNub's response to a rejected grant."""
        error: dict[str, Any] = {"message": self.message, "source": "grant"}
        if self.detail is not None:
            error["details"] = [
                {
                    "message": self.detail,
                    "location": self.location,
                    "locationType": self.location_type,
                }
            ]
        return {"status": self.status_code, "error": error, "service": "Access Manager"}


@dataclass(frozen=True, slots=True)
class GrantRequest:
    """A valid grant request.

    Attributes:
        ttl_minutes: The token's lifetime.
        resources: Permission bits per name, keyed by token field (`chan`,
            `grp`, `uuid`).
        patterns: Permission bits per regular expression, keyed likewise.
        meta: Scalar metadata.
        authorized_uuid: The only user id the token is valid for, if any.
    """

    ttl_minutes: int
    resources: dict[str, dict[str, int]]
    patterns: dict[str, dict[str, int]]
    meta: dict[str, Any]
    authorized_uuid: str | None


def parse_grant_body(data: object) -> GrantRequest:
    """Validate a decoded grant body.

    Raises:
        GrantError: 400, naming the first invalid field.
    """
    if not isinstance(data, dict):
        raise _invalid("Invalid request body", "The body must be a JSON object.", "")
    _reject_unknown(data, {"ttl", "permissions"}, "")
    ttl = _parse_ttl(data.get("ttl"))

    permissions = data.get("permissions")
    if not isinstance(permissions, dict):
        raise _invalid_permissions("permissions must be an object.", "permissions")
    _reject_unknown(permissions, PERMISSION_KEYS, "permissions")

    resources = _parse_resources(permissions.get("resources"), "resources")
    patterns = _parse_resources(permissions.get("patterns", {}), "patterns")
    if not any(bits & _READ_OR_WRITE for bits in resources["chan"].values()):
        raise _invalid_permissions(
            "The grant must give read or write on at least one channel.",
            "permissions.resources.channels",
        )
    return GrantRequest(
        ttl_minutes=ttl,
        resources=resources,
        patterns=patterns,
        meta=_parse_meta(permissions.get("meta", {})),
        authorized_uuid=_parse_uuid(permissions.get("uuid")),
    )


def _parse_ttl(value: object) -> int:
    valid = isinstance(value, int) and not isinstance(value, bool)
    if not valid or not 1 <= value <= MAX_MINUTES:  # type: ignore[operator]
        raise GrantError(
            400,
            "Invalid ttl",
            f"Range should be 1 to {MAX_MINUTES} minute(s).",
            "ttl",
        )
    return value  # type: ignore[return-value]


def _parse_resources(value: object, where: str) -> dict[str, dict[str, int]]:
    location = f"permissions.{where}"
    if not isinstance(value, dict):
        raise _invalid_permissions(f"{where} must be an object.", location)
    _reject_unknown(value, set(RESOURCE_TYPES), location)

    parsed = {
        kind: _parse_bits(value.get(kind, {}), f"{location}.{kind}")
        for kind in RESOURCE_TYPES
    }
    if where == "resources":
        for name in [*parsed["channels"], *parsed["spaces"]]:
            _check_channel_name(name, f"{location}.channels")
    return {
        "chan": _merge(parsed["channels"], parsed["spaces"], f"{location}.spaces"),
        "grp": parsed["groups"],
        "uuid": _merge(parsed["uuids"], parsed["users"], f"{location}.users"),
    }


def _parse_bits(value: object, location: str) -> dict[str, int]:
    if not isinstance(value, dict):
        raise _invalid_permissions("Permissions must be an object of names.", location)
    for name, bits in value.items():
        valid = isinstance(bits, int) and not isinstance(bits, bool)
        if not name or not valid or not 1 <= bits <= MAX_PERMISSION_BITS:
            raise _invalid_permissions(
                f"Each name needs permission bits from 1 to {MAX_PERMISSION_BITS}.",
                location,
            )
    return dict(value)


def _merge(
    first: dict[str, int], second: dict[str, int], location: str
) -> dict[str, int]:
    merged = dict(first)
    for name, bits in second.items():
        if merged.setdefault(name, bits) != bits:
            raise _invalid_permissions(
                f"{name!r} is given different permissions under two names.", location
            )
    return merged


def _check_channel_name(name: str, location: str) -> None:
    if len(name) > MAX_CHANNEL_NAME_LENGTH:
        raise GrantError(
            400,
            "Invalid channel name",
            f"A channel name is at most {MAX_CHANNEL_NAME_LENGTH} characters; "
            f"one has {len(name)}.",
            location,
        )
    bad = {char for char in name if char in _CHANNEL_FORBIDDEN}
    bad |= {char for char in name if unicodedata.category(char) == "Cc"}
    if bad:
        shown = " ".join(sorted(repr(char) for char in bad))
        raise GrantError(
            400,
            "Invalid channel name",
            f"Channel names may not contain {shown}.",
            location,
        )


def _parse_meta(value: object) -> dict[str, Any]:
    # NOTE: floats are rejected, although PubNub documents meta values as any
    # scalar, because the CBOR encoder of tokens does not implement floats.
    scalar = (str, int, bool, type(None))
    if not isinstance(value, dict) or not all(
        isinstance(item, scalar) for item in value.values()
    ):
        raise _invalid_permissions(
            "meta must be an object of strings, integers, booleans or nulls.",
            "permissions.meta",
        )
    return dict(value)


def _parse_uuid(value: object) -> str | None:
    if value is None:
        return None
    valid = (
        isinstance(value, str)
        and 0 < len(value) <= MAX_USER_ID_LENGTH
        and not any(unicodedata.category(char) == "Cc" for char in value)
    )
    if not valid:
        raise _invalid_permissions(
            f"uuid must be a string of 1 to {MAX_USER_ID_LENGTH} characters "
            "without control characters.",
            "permissions.uuid",
        )
    return value  # type: ignore[return-value]


def _reject_unknown(
    value: dict[str, Any], allowed: set[str] | frozenset[str], location: str
) -> None:
    unknown = sorted(set(value) - allowed)
    if unknown:
        field = f"{location}.{unknown[0]}" if location else unknown[0]
        raise _invalid("Invalid request body", f"Unknown field {field!r}.", field)


def _invalid(message: str, detail: str, location: str) -> GrantError:
    return GrantError(400, message, detail, location or None)


def _invalid_permissions(detail: str, location: str) -> GrantError:
    return GrantError(400, "Invalid permissions", detail, location)

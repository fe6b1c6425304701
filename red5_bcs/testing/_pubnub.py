"""The emulator's PubNub Access Manager: signed `grant` calls and their tokens.

A grant is checked the way PubNub checks it. The subscribe key in the path
must be the account's. The query must carry a `uuid`, a `timestamp` within
60 seconds of the emulator's clock, and a version 2 `signature` over the
method, publish key, raw path, canonical query and the exact body bytes.
Tokens have PubNub's real format: base64url, with `=` padding, of a CBOR map
whose keys are byte strings (`v`, `t`, `ttl`, `res`, `pat`, `meta`, `uuid`,
`sig`), signed with HMAC-SHA256 by the secret key. Every token granted is
remembered, so that a join can prove its embedded token came from here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .. import _cbor
from .._credentials import Red5Credentials
from .._pubnub import Permission, sign_request
from ._clock import Clock
from ._errors import JoinRejectedError
from ._grants import GrantError, GrantRequest, parse_grant_body

__all__ = ["GrantError", "PubNubService"]

TIMESTAMP_WINDOW_SECONDS = 60
_REQUIRED_QUERY = ("signature", "timestamp", "uuid")
_READ_WRITE = Permission.READ | Permission.WRITE
_RESOURCE_KEYS = ("chan", "grp", "usr", "spc", "uuid")


@dataclass(frozen=True, slots=True)
class GrantRecord:
    """The permissions of a granted token, as the emulator remembers them."""

    authorized_uuid: str | None
    channels: dict[str, int]
    timestamp: int
    ttl_minutes: int

    @property
    def expires(self) -> int:
        """When the token stops being valid, Unix seconds."""
        return self.timestamp + self.ttl_minutes * 60


class PubNubService:
    """Handles grant calls and checks the PubNub tokens embedded in joins."""

    def __init__(self, credentials: Red5Credentials, clock: Clock) -> None:
        self._credentials = credentials
        self._clock = clock
        self._granted: dict[bytes, GrantRecord] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<PubNubService granted={len(self._granted)}>"

    def reset(self) -> None:
        """Forget every granted token."""
        with self._lock:
            self._granted.clear()

    def grant(
        self, subscribe_key: str, raw_path: str, query: dict[str, str], body: bytes
    ) -> str:
        """Check a grant request and return a new token.

        Args:
            subscribe_key: The decoded subscribe key from the path.
            raw_path: The request path as sent, which the signature covers.
            query: The decoded query parameters.
            body: The request body as sent.

        Raises:
            GrantError: The request is invalid (400) or not authorized (403).
        """
        if subscribe_key != self._credentials.pubnub_subscribe_key:
            raise GrantError(
                400,
                "Invalid Subscribe Key",
                "The subscribe key does not exist.",
                "subscribeKey",
                "path",
            )
        self._check_query(query)
        self._check_signature(raw_path, query, body)
        request = parse_grant_body(_decode_json(body))
        return self._issue(request)

    def check_room_token(self, token: str, uid: str, room_id: str) -> None:
        """Check the PubNub token embedded in a conference token.

        The token must have been granted here, be bound to `uid`, give read
        and write on `<room_id>` and `<room_id>-pnpres`, and not be expired.

        Raises:
            JoinRejectedError: 403, naming the first check that failed.
        """
        with self._lock:
            record = self._granted.get(_token_bytes(token))
        if record is None:
            raise JoinRejectedError(
                403,
                "The embedded PubNub token was not granted with this account's "
                "PubNub keys.",
            )
        if record.authorized_uuid != uid:
            raise JoinRejectedError(
                403, f"The embedded PubNub token is not bound to user {uid!r}."
            )
        for channel in (room_id, f"{room_id}-pnpres"):
            if record.channels.get(channel, 0) & _READ_WRITE != _READ_WRITE:
                raise JoinRejectedError(
                    403,
                    "The embedded PubNub token does not grant read and write on "
                    f"channel {channel!r}.",
                )
        if self._clock() >= record.expires:
            expired_at = datetime.fromtimestamp(record.expires, UTC).isoformat()
            raise JoinRejectedError(
                403, f"The embedded PubNub token expired at {expired_at}."
            )

    def _check_query(self, query: dict[str, str]) -> None:
        for name in _REQUIRED_QUERY:
            if not query.get(name):
                raise GrantError(
                    400 if name == "uuid" else 403,
                    f"Missing {name}",
                    f"The query parameter {name!r} is required.",
                    name,
                    "query",
                )

        timestamp = query["timestamp"]
        now = self._clock()
        fresh = (
            timestamp.isascii()
            and timestamp.isdigit()
            and abs(int(timestamp) - now) <= TIMESTAMP_WINDOW_SECONDS
        )
        if not fresh:
            raise GrantError(
                403,
                "Request timestamp is invalid",
                f"timestamp must be Unix seconds within {TIMESTAMP_WINDOW_SECONDS} "
                "seconds of the server's time.",
                "timestamp",
                "query",
            )

    def _check_signature(
        self, raw_path: str, query: dict[str, str], body: bytes
    ) -> None:
        try:
            expected = sign_request(
                secret_key=self._credentials.pubnub_secret_key.get_secret_value(),
                publish_key=self._credentials.pubnub_publish_key,
                method="POST",
                path=raw_path,
                params=query,
                body=body,
            )
        except UnicodeDecodeError:
            expected = ""
        if not expected or not hmac.compare_digest(
            expected.encode("ascii"), query["signature"].encode("utf-8")
        ):
            raise GrantError(
                403,
                "Signature does not match",
                "The v2 signature does not match the request; check the secret "
                "key, the publish key and that the body is signed as sent.",
                "signature",
                "query",
            )

    def _issue(self, request: GrantRequest) -> str:
        timestamp = int(self._clock())
        unsigned: dict[bytes, Any] = {
            b"v": 2,
            b"t": timestamp,
            b"ttl": request.ttl_minutes,
            b"res": _token_resources(request.resources),
            b"pat": _token_resources(request.patterns),
            b"meta": request.meta,
        }
        if request.authorized_uuid is not None:
            unsigned[b"uuid"] = request.authorized_uuid

        secret = self._credentials.pubnub_secret_key.get_secret_value().encode("utf-8")
        signature = hmac.new(secret, _cbor.dumps(unsigned), hashlib.sha256).digest()
        raw = _cbor.dumps({**unsigned, b"sig": signature})
        record = GrantRecord(
            request.authorized_uuid,
            request.resources["chan"],
            timestamp,
            request.ttl_minutes,
        )
        with self._lock:
            self._granted[raw] = record
        return base64.urlsafe_b64encode(raw).decode("ascii")


def _token_resources(resources: dict[str, dict[str, int]]) -> dict[bytes, Any]:
    # PubNub's tokens list all five kinds; users and spaces are folded into
    # uuids and channels by the request parser, so they stay empty.
    return {key.encode("ascii"): resources.get(key, {}) for key in _RESOURCE_KEYS}


def _decode_json(body: bytes) -> object:
    try:
        return json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise GrantError(
            400, "Invalid JSON", "The request body is not valid JSON.", "body"
        ) from None


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not valid JSON")


def _token_bytes(token: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return b""

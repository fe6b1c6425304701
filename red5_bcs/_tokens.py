"""Conference and admin tokens: HS256 JWTs signed with the conference secret.

A conference token (what a browser joins a room with) carries `uid`,
`roomId`, `role`, the PubNub keys, an embedded PubNub token, `iat` and `exp`.
An admin token (what the backend calls the conference API with) carries
`uid = "admin"`, `role = "admin"`, `roomId`, `iat` and `exp`. Both are JWS
compact serializations (RFC 7515) of JWT claims (RFC 7519).
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import json
import re
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from pydantic.alias_generators import to_camel

from ._errors import ExpiredTokenError, InvalidArgumentError, InvalidTokenError

if TYPE_CHECKING:
    from joserfc._rfc7515.model import JWSAlgModel
    from joserfc.jwk import OctKey

__all__ = [
    "AdminClaims",
    "AdminTokenCache",
    "ConferenceClaims",
    "HS256Minter",
    "Role",
    "TokenMinter",
    "decode_conference_token",
    "verify_conference_token",
]

# The base64url of `{"alg":"HS256","typ":"JWT"}`, the JWS header of every token.
_HEADER_SEGMENT = b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
# Real tokens are well under 4 KiB; the bound keeps hostile input cheap to reject.
_MAX_TOKEN_LENGTH = 64 * 1024
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# 9999-12-31T23:59:59Z, the last second a `datetime` can hold. A claim beyond
# it, or before 1970, is rejected so that `issued_at` and `expires_at` (and
# the messages that quote them) always work.
_MAX_UNIX_SECONDS = 253_402_300_799
_UnixSeconds = Annotated[int, Field(ge=0, le=_MAX_UNIX_SECONDS)]

ClaimsT = TypeVar("ClaimsT", bound="AdminClaims")


class Role(enum.StrEnum):
    """A participant's role in a conference."""

    ADMIN = "admin"
    """Full control over the conference."""
    PUBLISHER = "publisher"
    """Publishes audio and video."""
    SUBSCRIBER = "subscriber"
    """Only receives audio and video."""


class AdminClaims(BaseModel):
    """The claims of an admin token, the bearer token of conference API calls.

    Attributes:
        uid: Always `admin`.
        room_id: The room the call is about, or `admin` for calls that are not
            about one room (wire name `roomId`).
        role: Always `Role.ADMIN`.
        iat: Issue time, Unix seconds from 1970 to the end of 9999.
        exp: Expiry time, Unix seconds, in the same range.
    """

    model_config = ConfigDict(
        frozen=True, alias_generator=to_camel, populate_by_name=True, extra="allow"
    )

    uid: str
    room_id: str
    role: Role
    iat: _UnixSeconds
    exp: _UnixSeconds

    @property
    def issued_at(self) -> datetime:
        """The `iat` claim as an aware UTC datetime."""
        return datetime.fromtimestamp(self.iat, UTC)

    @property
    def expires_at(self) -> datetime:
        """The `exp` claim as an aware UTC datetime."""
        return datetime.fromtimestamp(self.exp, UTC)


class ConferenceClaims(AdminClaims):
    """The claims of a conference token, what a participant joins a room with.

    Attributes are snake_case; on the wire they are camelCase (`roomId`,
    `pubnubSubscribeKey`, ...). `model_dump(by_alias=True)` gives the wire form.

    Attributes:
        uid: The user id.
        room_id: The room id.
        role: The participant's role.
        pubnub_subscribe_key: PubNub's subscribe key for chat.
        pubnub_publish_key: PubNub's publish key for chat.
        pubnub_token: The PubNub Access Manager token granting read and write
            on the room's chat channel and its presence channel. Hidden from
            `repr()`.
        iat: Issue time, Unix seconds.
        exp: Expiry time, Unix seconds.
    """

    pubnub_subscribe_key: str
    pubnub_publish_key: str
    pubnub_token: str = Field(repr=False)


@runtime_checkable
class TokenMinter(Protocol):
    """Signs JWT claims into a compact HS256 JWS.

    The client hands every minter the claims, in wire form, and the conference
    secret as UTF-8 bytes. A minter may keep state (such as an imported key)
    but must be safe to call from several threads at once.
    """

    def mint(self, claims: Mapping[str, Any], secret: bytes) -> str:
        """Sign `claims` with `secret` and return the compact token."""
        ...


class HS256Minter:
    """The default `TokenMinter`: HS256 on joserfc, the JOSE library of Authlib.

    The header is `{"alg":"HS256","typ":"JWT"}` and the payload is compact
    JSON, as Red5's Node SDK produces them. The signature comes from joserfc's
    HS256 algorithm, and the compact serialization (RFC 7515 section 7.1) is
    assembled here. With one fixed header, joserfc's header and key checks on
    every call would only double the cost of a token.
    """

    def __init__(self) -> None:
        self._key_cache: tuple[bytes, OctKey] | None = None

    def mint(self, claims: Mapping[str, Any], secret: bytes) -> str:
        """Sign `claims` with `secret` and return the compact token."""
        payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False)
        signing_input = _HEADER_SEGMENT + b"." + _b64encode(payload.encode("utf-8"))
        signature = _hs256().sign(signing_input, self._key(secret))
        return (signing_input + b"." + _b64encode(signature)).decode("ascii")

    def _key(self, secret: bytes) -> OctKey:
        # One tuple read and one write, both atomic, so threads need no lock.
        cached = self._key_cache
        if cached is not None and cached[0] == secret:
            return cached[1]
        key = _import_key(secret)
        self._key_cache = (secret, key)
        return key


def _b64encode(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


@functools.cache
def _hs256() -> JWSAlgModel:
    # joserfc is imported on first use: it takes about 30 ms to import.
    from joserfc.jws import JWSRegistry

    return JWSRegistry.algorithms["HS256"]


class AdminTokenCache:
    """Admin tokens per room, reused until shortly before they expire.

    Safe to use from several tasks and threads: minting happens under a
    lock, and nothing awaits while holding it. At most `max_rooms` tokens are
    kept; the least recently used is dropped first.
    """

    def __init__(
        self,
        minter: TokenMinter,
        secret: bytes,
        *,
        clock: Callable[[], float] = time.time,
        lifetime_seconds: int = 3600,
        refresh_margin_seconds: int = 300,
        max_rooms: int = 1024,
    ) -> None:
        self._minter = minter
        self._secret = secret
        self._clock = clock
        self._lifetime = lifetime_seconds
        self._margin = refresh_margin_seconds
        self._max_rooms = max_rooms
        self._tokens: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<AdminTokenCache rooms={len(self._tokens)}>"

    def get(self, room_id: str) -> str:
        """Return a valid admin token for `room_id`, minting one if needed."""
        now = int(self._clock())
        with self._lock:
            cached = self._tokens.get(room_id)
            if cached is not None and cached[1] - self._margin > now:
                self._tokens.move_to_end(room_id)
                return cached[0]

            claims = {
                "uid": "admin",
                "roomId": room_id,
                "role": "admin",
                "iat": now,
                "exp": now + self._lifetime,
            }
            token = self._minter.mint(claims, self._secret)
            self._tokens[room_id] = (token, now + self._lifetime)
            self._tokens.move_to_end(room_id)
            if len(self._tokens) > self._max_rooms:
                self._tokens.popitem(last=False)
            return token

    def clear(self) -> None:
        """Forget every cached token."""
        with self._lock:
            self._tokens.clear()


def verify_conference_token(
    token: str, conference_secret: str | SecretStr | bytes, *, leeway: float = 30
) -> ConferenceClaims:
    """Verify a conference token's signature and claims.

    Only HS256 is accepted: `none`, other HMAC sizes and RSA or EC headers
    are rejected, whatever the payload.

    Args:
        token: The compact JWS token.
        conference_secret: The conference secret the token was signed with.
        leeway: Seconds of clock skew tolerated on `exp` and `iat`.

    Returns:
        The verified claims.

    Raises:
        ExpiredTokenError: The token expired more than `leeway` seconds ago.
        InvalidTokenError: The token is malformed, badly signed, issued in the
            future, or misses a claim or has one of the wrong type.
        InvalidArgumentError: `leeway` is not a non-negative number.
    """
    return verify_token(token, conference_secret, ConferenceClaims, leeway=leeway)


def decode_conference_token(token: str) -> ConferenceClaims:
    """Decode a conference token's claims WITHOUT verifying its signature.

    For debugging and display only: never trust what this returns.

    Raises:
        InvalidTokenError: The token is not a compact JWS with conference
            claims.
    """
    payload = _split(token)[1]
    return _parse_claims(_b64decode(payload, "payload"), ConferenceClaims)


def verify_token(
    token: str,
    secret: str | SecretStr | bytes,
    model: type[ClaimsT],
    *,
    leeway: float = 30,
    now: float | None = None,
) -> ClaimsT:
    """Verify an HS256 token and parse its claims into `model`.

    This is `verify_conference_token` for any claims model, with an
    injectable current time (Unix seconds).
    """
    leeway = _check_leeway(leeway)
    segments = _split(token)
    header = _parse_json(_b64decode(segments[0], "header"), "header")
    if header.get("alg") != "HS256":
        raise InvalidTokenError("The token's algorithm is not HS256.")

    from joserfc import jws
    from joserfc.errors import JoseError

    try:
        verified = jws.deserialize_compact(
            token, _import_key(_secret_bytes(secret)), algorithms=["HS256"]
        )
    except (JoseError, ValueError, TypeError):
        raise InvalidTokenError("The token's signature is invalid.") from None

    claims = _parse_claims(verified.payload, model)
    current = time.time() if now is None else now
    if claims.exp + leeway < current:
        raise ExpiredTokenError(
            f"The token expired at {claims.expires_at.isoformat()}."
        )
    if claims.iat - leeway > current:
        raise InvalidTokenError(
            f"The token's issue time {claims.issued_at.isoformat()} is in the future."
        )
    if claims.exp < claims.iat:
        raise InvalidTokenError("The token expires before it was issued.")
    return claims


@functools.lru_cache(maxsize=32)
def _import_key(secret: bytes) -> OctKey:
    from joserfc.errors import SecurityWarning
    from joserfc.jwk import OctKey

    # joserfc warns about HMAC keys under 112 bits. The conference secret is
    # issued by Red5 Cloud and cannot be chosen by the caller, so the warning
    # would only be noise on every process start.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SecurityWarning)
        return OctKey.import_key(secret)


def _check_leeway(leeway: object) -> float:
    valid = isinstance(leeway, int | float) and not isinstance(leeway, bool)
    if not valid or not 0 <= leeway < float("inf"):  # type: ignore[operator]
        raise InvalidArgumentError(
            "leeway", "leeway must be a finite, non-negative number of seconds."
        )
    return float(leeway)  # type: ignore[arg-type]


def _secret_bytes(secret: str | SecretStr | bytes) -> bytes:
    if isinstance(secret, SecretStr):
        secret = secret.get_secret_value()
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    if not isinstance(secret, bytes) or not secret:
        raise InvalidArgumentError(
            "conference_secret", "conference_secret must be a non-empty str or bytes."
        )
    return secret


def _split(token: object) -> list[str]:
    if not isinstance(token, str):
        raise InvalidTokenError(f"A token must be a str, not {type(token).__name__}.")
    if len(token) > _MAX_TOKEN_LENGTH:
        raise InvalidTokenError(
            f"The token is {len(token)} characters long, over the maximum of "
            f"{_MAX_TOKEN_LENGTH}."
        )
    if not _COMPACT_JWS.fullmatch(token):
        raise InvalidTokenError(
            "The token is not a compact JWS: three base64url segments joined by '.'."
        )
    return token.split(".")


def _b64decode(segment: str, part: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise InvalidTokenError(f"The token's {part} is not valid base64url.") from None


def _parse_json(data: bytes, part: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        raise InvalidTokenError(f"The token's {part} is not valid JSON.") from None
    if not isinstance(value, dict):
        raise InvalidTokenError(f"The token's {part} is not a JSON object.")
    return value


def _parse_claims(payload: bytes, model: type[ClaimsT]) -> ClaimsT:
    _parse_json(payload, "payload")
    try:
        return model.model_validate_json(
            payload, strict=True, by_alias=True, by_name=False
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_input=False, include_url=False)
        )
        raise InvalidTokenError(
            f"The token's claims are invalid ({problems})."
        ) from None

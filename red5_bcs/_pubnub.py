"""Chat grants: PubNub Access Manager v3 `grant` calls and the tokens they return.

The request form and the version 2 signature follow PubNub's Access Manager
documentation and its official Python SDK (`pubnub` 10.8), byte for byte:
the signature covers the method, publish key, path, canonical query and the
exact body bytes sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, runtime_checkable

import httpx2
from pydantic import BaseModel, ConfigDict, SecretStr

from . import _cbor
from ._errors import ChatGrantError, InvalidTokenError
from ._http import DEFAULT_TIMEOUT, RetryPolicy, send_request
from ._validation import check_pubnub_uuid
from ._version import __version__

__all__ = [
    "DEFAULT_PUBNUB_BASE_URL",
    "ChatGrant",
    "ChatGranter",
    "ChatPermissions",
    "ChatTokenGrant",
    "Permission",
    "PubNubGranter",
    "canonical_query",
    "encode_query_value",
    "grant_body",
    "parse_chat_token",
    "sign_request",
]

DEFAULT_PUBNUB_BASE_URL = "https://ps.pndsn.com"
PNSDK = f"red5-bcs-python/{__version__}"
_GRANT_PATH_PART = "/v3/pam/"
_REDACTED = "redacted"


class Permission:
    """Access Manager v3 permission bits."""

    READ = 1
    WRITE = 2
    MANAGE = 4
    DELETE = 8
    CREATE = 16
    GET = 32
    UPDATE = 64
    JOIN = 128


@dataclass(frozen=True, slots=True)
class ChatGrant:
    """The permissions of a chat grant: read and/or write on channels, for a user.

    Attributes:
        authorized_uuid: The only PubNub user id the token is valid for.
        channels: The channel names the grant covers.
        read: Whether the token may read (subscribe to) the channels.
        write: Whether the token may write (publish to) the channels.
        ttl_minutes: The token's lifetime in minutes, 1 to 43,200.
    """

    authorized_uuid: str
    channels: tuple[str, ...]
    read: bool
    write: bool
    ttl_minutes: int

    @property
    def bits(self) -> int:
        """The permission bits each channel gets."""
        return (Permission.READ if self.read else 0) | (
            Permission.WRITE if self.write else 0
        )


@runtime_checkable
class ChatGranter(Protocol):
    """Obtains a PubNub token for a `ChatGrant`.

    The client calls `grant` for every conference and chat token. The default
    is `PubNubGranter`; a test may pass a fake, and an application may wrap
    PubNub's own SDK.
    """

    async def grant(self, grant: ChatGrant) -> str:
        """Return a PubNub token for `grant`, or raise `ChatGrantError`."""
        ...


def encode_query_value(value: str) -> str:
    """Percent-encode a query value as PubNub signs it.

    Only `A-Z a-z 0-9 - _ .` stay literal, and hex digits are upper case, so
    `~` becomes `%7E`, a space `%20` and `+` `%2B`.
    """
    return urllib.parse.quote(value, safe="").replace("~", "%7E")


def canonical_query(params: Mapping[str, str]) -> str:
    """Return the query string PubNub signs: every parameter but `signature`."""
    return "&".join(
        f"{name}={encode_query_value(params[name])}"
        for name in sorted(params)
        if name != "signature"
    )


def sign_request(
    *,
    secret_key: str,
    publish_key: str,
    method: str,
    path: str,
    params: Mapping[str, str],
    body: bytes,
) -> str:
    """Compute PubNub's version 2 request signature.

    Returns:
        `v2.` followed by the unpadded base64url HMAC-SHA256 of
        `method \\n publish_key \\n path \\n canonical_query \\n body`.
    """
    to_sign = "\n".join(
        (method, publish_key, path, canonical_query(params), body.decode("utf-8"))
    )
    digest = hmac.new(
        secret_key.encode("utf-8"), to_sign.encode("utf-8"), hashlib.sha256
    ).digest()
    return "v2." + base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def grant_body(grant: ChatGrant) -> bytes:
    """Serialize a grant request body exactly as PubNub's Python SDK does.

    Like that SDK, the channels are also listed under `spaces`, the name
    PubNub's newer object model gives them; PubNub accepts either.
    """
    channels = {name: grant.bits for name in grant.channels}
    empty: dict[str, Any] = {}
    body = {
        "ttl": grant.ttl_minutes,
        "permissions": {
            "resources": {
                "channels": channels,
                "groups": empty,
                "uuids": empty,
                "users": empty,
                "spaces": channels,
            },
            "patterns": {
                "channels": empty,
                "groups": empty,
                "uuids": empty,
                "users": empty,
                "spaces": empty,
            },
            "meta": empty,
            "uuid": grant.authorized_uuid,
        },
    }
    return json.dumps(body).encode("utf-8")


class PubNubGranter:
    """The default `ChatGranter`: Access Manager v3 `grant` calls over httpx2.

    It sends requests on the `httpx2.AsyncClient` it is given, so grants share
    the client's connection pool, and it works under asyncio and trio.
    Network failures raise `APIConnectionError` or `APITimeoutError`, like
    conference API calls; a grant that PubNub rejects raises `ChatGrantError`.

    Args:
        http_client: The client to send requests on; it is not closed here.
        subscribe_key: PubNub's subscribe key.
        publish_key: PubNub's publish key.
        secret_key: PubNub's secret key.
        base_url: Scheme and host of the Access Manager API.
        uuid: The PubNub user id of this backend, sent as `uuid`; surrounding
            whitespace is removed.
        timeout: The timeout of each attempt.
        max_retries: Retries after a connect error or pool timeout.
        clock: The source of the signed `timestamp`, in Unix seconds.

    Raises:
        InvalidArgumentError: `uuid` is empty, only whitespace, or too long,
            which PubNub rejects.
    """

    def __init__(
        self,
        http_client: httpx2.AsyncClient,
        *,
        subscribe_key: str,
        publish_key: str,
        secret_key: SecretStr,
        base_url: str = DEFAULT_PUBNUB_BASE_URL,
        uuid: str = "red5-bcs-server",
        timeout: httpx2.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = 2,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._http = http_client
        self._subscribe_key = subscribe_key
        self._publish_key = publish_key
        self._secret_key = secret_key
        self._base_url = base_url.rstrip("/")
        self._uuid = check_pubnub_uuid(uuid)
        self._timeout = timeout
        self._policy = RetryPolicy(max_retries=max_retries)
        self._clock = clock
        # The signature covers the path as sent, so a base URL's own path
        # (a proxy prefix, say) is part of it.
        prefix = urllib.parse.urlsplit(self._base_url).path
        key = urllib.parse.quote(subscribe_key, safe="")
        self._path = f"{prefix}/v3/pam/{key}/grant"
        self._origin = self._base_url[: len(self._base_url) - len(prefix)]

    def __repr__(self) -> str:
        return f"<PubNubGranter base_url={self._base_url!r}>"

    async def grant(self, grant: ChatGrant) -> str:
        """Make the `grant` call and return PubNub's token.

        Raises:
            ChatGrantError: PubNub rejected the grant or sent an unreadable response.
            APIConnectionError: PubNub could not be reached.
            APITimeoutError: PubNub did not respond in time.
        """
        body = grant_body(grant)
        params = {
            "pnsdk": PNSDK,
            "timestamp": str(int(self._clock())),
            "uuid": self._uuid,
        }
        params["signature"] = sign_request(
            secret_key=self._secret_key.get_secret_value(),
            publish_key=self._publish_key,
            method="POST",
            path=self._path,
            params=params,
            body=body,
        )
        query = "&".join(f"{k}={encode_query_value(v)}" for k, v in params.items())
        response = await send_request(
            self._http,
            "POST",
            f"{self._origin}{self._path}?{query}",
            headers={"Content-Type": "application/json", "User-Agent": PNSDK},
            content=body,
            timeout=self._timeout,
            policy=self._policy,
            idempotent=False,
        )
        return _token_from_envelope(response.status_code, response.content)


class _GrantSignatureFilter(logging.Filter):
    """A log filter that hides the signature in httpx2's line for each grant.

    httpx2 logs every request's full URL at INFO, and the query of a grant
    URL carries its signature, which must never reach a log.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_grant_url(arg) for arg in record.args)
        return True


def _redact_grant_url(value: object) -> object:
    if not isinstance(value, httpx2.URL):
        return value
    if _GRANT_PATH_PART in value.path and "signature" in value.params:
        return value.copy_set_param("signature", _REDACTED)
    return value


logging.getLogger("httpx2").addFilter(_GrantSignatureFilter())


def _token_from_envelope(status_code: int, content: bytes) -> str:
    try:
        envelope = json.loads(content)
    except (ValueError, RecursionError):
        envelope = None

    if status_code == 200 and isinstance(envelope, dict):
        data = envelope.get("data")
        token = data.get("token") if isinstance(data, dict) else None
        if isinstance(token, str) and token:
            return token

    error = envelope.get("error") if isinstance(envelope, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    details = error.get("details") if isinstance(error, dict) else None
    first = details[0] if isinstance(details, list) and details else None
    detail = first.get("message") if isinstance(first, dict) else None
    parts = [str(part) for part in (message, detail) if part]
    pubnub_message = ": ".join(parts) if parts else None
    if status_code == 200:
        text = "PubNub returned 200 for the grant but no token in the body."
    else:
        text = f"PubNub rejected the grant with status {status_code}"
        text += f": {pubnub_message.rstrip('.')}." if pubnub_message else "."
    raise ChatGrantError(text, status_code=status_code, pubnub_message=pubnub_message)


class ChatPermissions(BaseModel):
    """The permissions a chat token grants on one channel."""

    model_config = ConfigDict(frozen=True)

    read: bool
    write: bool
    manage: bool
    delete: bool
    create: bool
    get: bool
    update: bool
    join: bool

    @classmethod
    def from_bits(cls, bits: int) -> ChatPermissions:
        """Unpack Access Manager permission bits."""
        return cls(
            read=bool(bits & Permission.READ),
            write=bool(bits & Permission.WRITE),
            manage=bool(bits & Permission.MANAGE),
            delete=bool(bits & Permission.DELETE),
            create=bool(bits & Permission.CREATE),
            get=bool(bits & Permission.GET),
            update=bool(bits & Permission.UPDATE),
            join=bool(bits & Permission.JOIN),
        )


class ChatTokenGrant(BaseModel):
    """The contents of a PubNub token, decoded without checking its signature.

    Attributes:
        version: The token format version (2).
        timestamp: When PubNub issued the token, Unix seconds.
        ttl_minutes: The token's lifetime in minutes.
        authorized_uuid: The user id the token is bound to, if any.
        channels: Permissions per channel name.
        channel_patterns: Permissions per channel-name pattern.
        meta: The grant's metadata.
    """

    model_config = ConfigDict(frozen=True)

    version: int
    timestamp: int
    ttl_minutes: int
    authorized_uuid: str | None
    channels: dict[str, ChatPermissions]
    channel_patterns: dict[str, ChatPermissions]
    meta: dict[str, Any]

    @property
    def issued_at(self) -> datetime:
        """`timestamp` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp, UTC)

    @property
    def expires_at(self) -> datetime:
        """When the token stops being accepted, as an aware UTC datetime."""
        return datetime.fromtimestamp(self.timestamp + self.ttl_minutes * 60, UTC)


def parse_chat_token(token: str) -> ChatTokenGrant:
    """Decode a PubNub Access Manager v3 token, like PubNub's `parse_token`.

    The signature inside the token is not checked: only PubNub can check it,
    and PubNub's own SDKs do not either.

    Raises:
        InvalidTokenError: The token is not a PubNub v3 token.
    """
    if not isinstance(token, str) or len(token) > 16 * 1024:
        raise InvalidTokenError("A PubNub token must be a str of at most 16 KiB.")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = _cbor.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidTokenError(
            "The PubNub token is not base64url-encoded CBOR."
        ) from None
    if not isinstance(decoded, dict):
        raise InvalidTokenError("The PubNub token is not a CBOR map.")

    try:
        fields = {_text(key): value for key, value in decoded.items()}
        resources = _text_keys(fields.get("res", {}))
        patterns = _text_keys(fields.get("pat", {}))
        uuid = fields.get("uuid")
        return ChatTokenGrant(
            version=fields["v"],
            timestamp=fields["t"],
            ttl_minutes=fields["ttl"],
            authorized_uuid=_text(uuid) if uuid is not None else None,
            channels=_permissions(resources.get("chan", {})),
            channel_patterns=_permissions(patterns.get("chan", {})),
            meta=_text_keys(fields.get("meta", {})),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InvalidTokenError(
            "The PubNub token lacks a required field or has one of the wrong type."
        ) from None


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, str):
        return value
    raise ValueError("expected a string")


def _text_keys(mapping: object) -> dict[str, Any]:
    if not isinstance(mapping, dict):
        raise ValueError("expected a map")
    return {_text(key): value for key, value in mapping.items()}


def _permissions(mapping: object) -> dict[str, ChatPermissions]:
    return {
        name: ChatPermissions.from_bits(bits)
        for name, bits in _text_keys(mapping).items()
        if isinstance(bits, int)
    }

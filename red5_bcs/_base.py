"""The machinery under `AsyncRed5Client`: settings, the pool, URLs and responses."""

from __future__ import annotations

import functools
import json
import platform
import sys
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, TypeVar

import anyio
import anyio.lowlevel
import httpx2
from pydantic import BaseModel, ValidationError

from ._config import (
    resolve_base_url,
    resolve_credentials,
    resolve_pubnub_base_url,
    resolve_timeout,
)
from ._credentials import Red5Credentials
from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    ConfigurationError,
    Red5Error,
    status_error_class,
)
from ._http import RawResponse, RetryPolicy, parse_retry_after, send_request
from ._pubnub import ChatGranter, PubNubGranter
from ._tokens import AdminTokenCache, HS256Minter, TokenMinter
from ._validation import check_int
from ._version import __version__

__all__ = [
    "DEFAULT_LIMITS",
    "USER_AGENT",
    "ClientCore",
    "TransportName",
    "encode_segment",
]

ModelT = TypeVar("ModelT", bound=BaseModel)
TransportName = Literal["auto", "httpx", "aiohttp"]

USER_AGENT = f"red5-bcs-python/{__version__} python/{platform.python_version()}"
DEFAULT_LIMITS = httpx2.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0
)
_EXCERPT_LENGTH = 200
_MAX_MESSAGE_LENGTH = 500


def encode_segment(value: str) -> str:
    """Percent-encode an id as one URL path segment (RFC 3986 section 3.3).

    Everything but unreserved characters is encoded, so `/`, `?`, `#` and
    `%` inside an id can never change the path, and a dot-only segment is
    encoded too so no server or proxy reads it as `.` or `..`.
    """
    encoded = urllib.parse.quote(value, safe="")
    if encoded.strip(".") == "":
        return encoded.replace(".", "%2E")
    return encoded


def _make_http_client(
    limits: httpx2.Limits, transport: TransportName
) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        transport=_make_transport(limits, transport),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT},
    )


def _make_transport(
    limits: httpx2.Limits, transport: TransportName
) -> httpx2.AsyncBaseTransport:
    if transport != "httpx" and _running_asyncio():
        try:
            from ._aiohttp_transport import AiohttpTransport
        except ImportError:
            if transport == "aiohttp":
                raise ConfigurationError(
                    "transport='aiohttp' needs aiohttp; install red5-bcs[aiohttp]."
                ) from None
        else:
            return AiohttpTransport(limits=limits)
    elif transport == "aiohttp":
        raise ConfigurationError(
            "transport='aiohttp' only works under asyncio; use 'auto' or 'httpx'."
        )
    return httpx2.AsyncHTTPTransport(limits=limits)


def _running_asyncio_loop() -> object | None:
    """Return the running asyncio event loop, or None under trio or no loop."""
    # An asyncio loop can only run once asyncio has been imported, so a
    # program that never imports it (a trio one) does not load it here.
    asyncio = sys.modules.get("asyncio")
    if asyncio is None:
        return None
    try:
        loop: object = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return loop


def _running_asyncio() -> bool:
    return _running_asyncio_loop() is not None


def _current_event_loop() -> object:
    """Return an object that identifies the running event loop."""
    # asyncio's lookup is one C call, while anyio builds a new token object
    # on each call. The token is only needed to tell trio's loops apart.
    return _running_asyncio_loop() or anyio.lowlevel.current_token()


@dataclass
class ClientCore:
    """State shared by a client and the copies `with_options` makes of it."""

    credentials: Red5Credentials
    base_url: str
    pubnub_base_url: str
    minter: TokenMinter
    clock: Callable[[], float]
    limits: httpx2.Limits
    transport: TransportName
    user_http: httpx2.AsyncClient | None
    custom_granter: ChatGranter | None
    admin_tokens: AdminTokenCache = field(init=False)
    closed: bool = field(default=False, init=False)
    _own_http: httpx2.AsyncClient | None = field(default=None, init=False)
    _own_http_loop: object = field(default=None, init=False)
    _granter: ChatGranter | None = field(default=None, init=False)
    _calls: set[anyio.CancelScope] = field(default_factory=set, init=False)
    _closing: anyio.Event | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        secret = self.credentials.conference_secret.get_secret_value().encode("utf-8")
        self.admin_tokens = AdminTokenCache(self.minter, secret, clock=self.clock)

    @classmethod
    def create(
        cls,
        master_key: str | None,
        master_secret: str | None,
        *,
        credentials: Red5Credentials | None,
        base_url: str | None,
        pubnub_base_url: str | None,
        http_client: httpx2.AsyncClient | None,
        minter: TokenMinter | None,
        chat_granter: ChatGranter | None,
        limits: httpx2.Limits | None,
        transport: TransportName,
        clock: Callable[[], float] | None,
    ) -> ClientCore:
        """Resolve every setting, raising before anything is opened."""
        resolved = resolve_credentials(master_key, master_secret, credentials)
        _check_instance("http_client", http_client, httpx2.AsyncClient)
        _check_instance("limits", limits, httpx2.Limits)
        if minter is not None and not isinstance(minter, TokenMinter):
            raise ConfigurationError("minter must have a mint(claims, secret) method.")
        if chat_granter is not None and not isinstance(chat_granter, ChatGranter):
            raise ConfigurationError(
                "chat_granter must have an async grant(grant) method."
            )
        if transport not in ("auto", "httpx", "aiohttp"):
            raise ConfigurationError(
                f"transport must be 'auto', 'httpx' or 'aiohttp', not {transport!r}."
            )
        if clock is not None and not callable(clock):
            raise ConfigurationError(
                "clock must be a function that returns the time in Unix seconds."
            )
        return cls(
            credentials=resolved,
            base_url=resolve_base_url(base_url, resolved),
            pubnub_base_url=resolve_pubnub_base_url(pubnub_base_url),
            minter=minter or HS256Minter(),
            clock=clock or time.time,
            limits=limits or DEFAULT_LIMITS,
            transport=transport,
            user_http=http_client,
            custom_granter=chat_granter,
        )

    def http(self) -> httpx2.AsyncClient:
        """Return the pooled client, creating ours in the running event loop."""
        self.ensure_open()
        if self.user_http is not None:
            return self.user_http
        loop = _current_event_loop()
        if self._own_http is None:
            self._own_http = _make_http_client(self.limits, self.transport)
            self._own_http_loop = loop
        elif loop != self._own_http_loop:
            raise Red5Error(
                "This client's connection pool belongs to the event loop that "
                "made its first request, and cannot be used from another one. "
                "Create one client per event loop, for example in your "
                "application's lifespan or in a test fixture."
            )
        return self._own_http

    def granter(self, timeout: httpx2.Timeout, max_retries: int) -> ChatGranter:
        """Return the chat granter: the caller's, or PubNub's on our pool."""
        if self.custom_granter is not None:
            return self.custom_granter
        return PubNubGranter(
            self.http(),
            subscribe_key=self.credentials.pubnub_subscribe_key,
            publish_key=self.credentials.pubnub_publish_key,
            secret_key=self.credentials.pubnub_secret_key,
            base_url=self.pubnub_base_url,
            timeout=timeout,
            max_retries=max_retries,
            clock=self.clock,
        )

    def ensure_open(self) -> None:
        """Raise if the client has been closed."""
        if self.closed:
            raise Red5Error(
                "This client has been closed; create a new client to make more calls."
            )

    def cancel_on_close(self) -> _CallScope:
        """Return a context manager that runs a call so that `aclose()` ends it.

        Raises:
            Red5Error: The client has been closed (on entry).
            APIConnectionError: The client was closed during the call.
        """
        return _CallScope(self)

    async def aclose(self) -> None:
        """End calls in progress, close our pool (never a caller's), refuse more.

        Calls in progress are cancelled first, so that none of them waits for
        a connection from a pool that is closing.
        """
        self.closed = True
        for scope in list(self._calls):
            scope.cancel()
        if self._closing is not None:
            await self._closing.wait()  # another aclose() is closing the pool
        own = self._own_http
        if own is None:
            return

        self._closing = closing = anyio.Event()
        try:
            # Shielded so that Ctrl-C on a blocking client, for example,
            # cannot stop the close halfway and leave sockets open.
            with anyio.CancelScope(shield=True):
                await own.aclose()
            self._own_http = None
        finally:
            self._closing = None
            closing.set()


class _CallScope:
    """A cancel scope around one call, registered so `aclose()` can cancel it."""

    __slots__ = ("_core", "_scope")

    def __init__(self, core: ClientCore) -> None:
        self._core = core
        self._scope = anyio.CancelScope()

    def __enter__(self) -> None:
        self._core.ensure_open()
        self._core._calls.add(self._scope)
        self._scope.__enter__()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # The scope swallows only the cancellation `aclose()` caused, and that
        # becomes an APIConnectionError; every other exception propagates.
        try:
            self._scope.__exit__(exc_type, exc, traceback)
        finally:
            self._core._calls.discard(self._scope)
        if self._scope.cancelled_caught:
            raise APIConnectionError(
                "The call was stopped because the client was closed while it was "
                "in progress; create a new client to make more calls."
            ) from None


def _check_instance(name: str, value: object, expected: type) -> None:
    if value is not None and not isinstance(value, expected):
        raise ConfigurationError(
            f"{name} must be an {expected.__module__}.{expected.__name__}, "
            f"not {type(value).__name__}."
        )


@dataclass(frozen=True, slots=True)
class CallOptions:
    """Per-client options that `with_options` may change."""

    timeout: httpx2.Timeout
    max_retries: int

    @classmethod
    def create(
        cls, timeout: float | httpx2.Timeout | None, max_retries: int
    ) -> CallOptions:
        """Check and build the options."""
        retries = check_int("max_retries", max_retries, minimum=0, maximum=10)
        return cls(resolve_timeout(timeout), retries)


async def call_api(
    core: ClientCore,
    options: CallOptions,
    method: str,
    segments: tuple[str, ...],
    model: type[ModelT],
    *,
    token_room: str,
    params: Mapping[str, str | int] | None = None,
) -> ModelT:
    """Make one conference API call and read its body into `model`."""
    query = (
        urllib.parse.urlencode(params, quote_via=urllib.parse.quote) if params else ""
    )
    url = _conference_url(core.base_url, segments, query)

    token = core.admin_tokens.get(token_room)
    with core.cancel_on_close():
        response = await send_request(
            core.http(),
            method,
            url,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=options.timeout,
            policy=RetryPolicy(max_retries=options.max_retries),
            idempotent=method == "GET",
        )
    return parse_response(response, model)


@functools.lru_cache(maxsize=1024)
def _conference_url(base_url: str, segments: tuple[str, ...], query: str) -> httpx2.URL:
    """Return the parsed URL of a conference API call.

    Cached because parsing a URL string, where httpx2 checks every character,
    costs more than the rest of building the request, and an application
    calls the same few rooms' paths over and over. A parsed URL is
    immutable, so requests can share it.
    """
    path = "/".join(encode_segment(part) for part in segments)
    return httpx2.URL(f"{base_url}/{path}?{query}" if query else f"{base_url}/{path}")


def parse_response(response: RawResponse, model: type[ModelT]) -> ModelT:
    """Read a 2xx body into `model`, or raise the error its status maps to."""
    if not 200 <= response.status_code < 300:
        raise _status_error(response)

    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):
        raise _validation_error(response, "is not JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(
            ".".join(str(part) for part in error["loc"]) or "body"
            for error in exc.errors(include_input=False, include_url=False)[:5]
        )
        raise _validation_error(
            response, f"does not match {model.__name__} ({fields})"
        ) from None


def _validation_error(
    response: RawResponse, problem: str
) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"The {response.status_code} response to {response.method} {response.path} "
        f"{problem}.",
        status_code=response.status_code,
        excerpt=_excerpt(response.content),
        method=response.method,
        path=response.path,
    )


def _status_error(response: RawResponse) -> Exception:
    try:
        body: Any = json.loads(response.content)
    except (ValueError, RecursionError):
        body = None

    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message:
        message = _reason_phrase(response.status_code)
    error_class = status_error_class(response.status_code)
    return error_class(
        message[:_MAX_MESSAGE_LENGTH],
        status_code=response.status_code,
        body=body,
        method=response.method,
        path=response.path,
        headers={name.lower(): value for name, value in response.headers.items()},
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )


def _reason_phrase(status_code: int) -> str:
    try:
        return httpx2.codes.get_reason_phrase(status_code) or "no message"
    except ValueError:
        return "no message"


def _excerpt(content: bytes) -> str:
    text = content[: _EXCERPT_LENGTH * 4].decode("utf-8", errors="replace")
    printable = "".join(char if char.isprintable() else " " for char in text)
    return printable[:_EXCERPT_LENGTH]

"""An httpx2 transport that sends HTTP/1.1 requests through aiohttp.

`httpx2.AsyncClient(transport=AiohttpTransport())` keeps httpx2's client
API and models (URL encoding, headers, content decoding, errors) and hands
only the network I/O to aiohttp, which costs less CPU per request than
httpx2's own connection pool.

The transport runs under asyncio only: its aiohttp session is created on the
first request and is bound to that request's event loop. Importing this
module imports aiohttp, so red5_bcs imports it only when it uses the
transport.
"""

from __future__ import annotations

import asyncio
import math
import os
import select
import ssl
import weakref
from collections.abc import AsyncIterator, Callable, Mapping
from functools import lru_cache
from typing import Any

import aiohttp
import aiohttp.abc
import httpx2
from aiohttp.client_proto import ResponseHandler
from aiohttp.connector import Connection
from aiohttp.tracing import Trace
from multidict import CIMultiDict
from yarl import URL

__all__ = ["AiohttpTransport"]

_DEFAULT_LIMITS = httpx2.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0
)

# httpx2 has already set every header it sends (Host, Accept, Accept-Encoding,
# Connection, User-Agent, Content-Length), so aiohttp must add none of its own.
_SKIP_AUTO_HEADERS = frozenset(
    {"Accept", "Accept-Encoding", "Content-Type", "User-Agent"}
)

# httpcore2 2.16 accepts a response header block of up to 100 KiB and sets no
# limit on the number of header lines. The defaults of aiohttp 3.14 (8190
# bytes a line, 128 lines) would reject responses that httpx2 accepts.
_MAX_HEADER_BLOCK_BYTES = 100 * 1024
_MAX_HEADER_LINES = 10_000

# aiohttp 3.14 treats a timeout of 0 as "no timeout", while httpx2 treats it
# as "expire at once", so 0 is sent to aiohttp as this tiny delay instead.
_MIN_TIMEOUT_SECONDS = 1e-6


class AiohttpTransport(httpx2.AsyncBaseTransport):
    """An asyncio-only httpx2 transport that sends requests through aiohttp.

    It sends each request as httpx2 built it (method, encoded URL, header
    list and body), never follows redirects, never decodes the body, stores
    no cookies and never sends a request twice. Failures raise the same
    httpx2 exceptions as `httpx2.AsyncHTTPTransport`. The aiohttp session is
    created on the first request and bound to that request's event loop, so
    one transport serves one asyncio event loop, and it does not run under
    trio. Close it with `aclose()` or `async with`, because aiohttp warns
    about a session that is garbage collected while open.

    The transport reads a streamed request body into memory before sending
    it. The `write` timeout then bounds sending the whole body, as httpx2
    does for a body given as bytes, where httpx2 bounds each streamed chunk.

    Args:
        limits: Connection pool limits. `max_connections` caps the open
            connections, and a request waits up to the `pool` timeout for a
            free one. `keepalive_expiry` closes connections idle that long.
            `max_keepalive_connections` is not enforced: aiohttp keeps every
            released connection until it expires, which is at most
            `max_connections` idle connections for a single host.
        verify: `True` to verify server certificates with httpx2's default
            CA bundle, `False` to skip verification, or an `ssl.SSLContext`.
        trust_env: `True` to use the proxies in `HTTP_PROXY`, `HTTPS_PROXY`
            and `NO_PROXY` (with proxy credentials from `~/.netrc`) and the
            CA certificates in `SSL_CERT_FILE` and `SSL_CERT_DIR`.
    """

    def __init__(
        self,
        *,
        limits: httpx2.Limits = _DEFAULT_LIMITS,
        verify: bool | ssl.SSLContext = True,
        trust_env: bool = False,
    ) -> None:
        self._limits = limits
        self._ssl_context = httpx2.create_ssl_context(
            verify=verify, trust_env=trust_env
        )
        self._trust_env = trust_env
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots: asyncio.Semaphore | None = None
        self._is_closed = False

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send one request and return its response with a streaming body.

        Args:
            request: The request, as built by `httpx2.AsyncClient`.

        Returns:
            The response. Its body is read from the network as the caller
            iterates it, and closing it frees the connection.

        Raises:
            httpx2.TransportError: The matching subclass for a connect, read
                or pool timeout, a failed connection or an invalid response.
            RuntimeError: The transport is closed, no asyncio event loop is
                running, or the loop is not the one of the first request.
        """
        session = self._session_for_running_loop()
        _check_scheme(request)
        body = await request.aread()

        timeouts: Mapping[str, float | None] = request.extensions.get("timeout", {})
        await self._acquire_slot(timeouts.get("pool"), request)
        try:
            response = await _send(session, request, body, timeouts)
        except BaseException:
            self._release_slot()
            raise

        stream = _ResponseStream(response, request, self._release_slot)
        return httpx2.Response(
            response.status,
            headers=list(response.raw_headers),
            stream=stream,
            extensions=_response_extensions(response),
            request=request,
        )

    async def aclose(self) -> None:
        """Close every connection. Requests sent afterwards raise `RuntimeError`."""
        self._is_closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    def _session_for_running_loop(self) -> aiohttp.ClientSession:
        if self._is_closed:
            raise RuntimeError(
                "Cannot send a request, as the transport has been closed."
            )

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "AiohttpTransport runs only under asyncio; "
                "use httpx2.AsyncHTTPTransport with other event loops."
            ) from None

        if self._session is None:
            self._session = self._open_session()
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError(
                "AiohttpTransport is bound to the event loop of its first request; "
                "create one transport for each event loop."
            )
        return self._session

    def _open_session(self) -> aiohttp.ClientSession:
        max_connections = self._limits.max_connections
        if max_connections is not None:
            self._slots = asyncio.Semaphore(max_connections)

        connector = _StaleCheckingConnector(
            limit=max_connections or 0,
            keepalive_timeout=self._limits.keepalive_expiry,
            force_close=False,
            ssl=self._ssl_context,
            timeout_ceil_threshold=math.inf,
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=_SKIP_AUTO_HEADERS,
            timeout=aiohttp.ClientTimeout(total=None, ceil_threshold=math.inf),
            auto_decompress=False,
            trust_env=self._trust_env,
            max_line_size=_MAX_HEADER_BLOCK_BYTES,
            max_field_size=_MAX_HEADER_BLOCK_BYTES,
            max_headers=_MAX_HEADER_LINES,
        )

    async def _acquire_slot(
        self, pool_timeout: float | None, request: httpx2.Request
    ) -> None:
        # aiohttp's connect timeout also counts the wait for a free connection,
        # so the transport queues requests itself to raise PoolTimeout for that
        # wait. aiohttp then always finds a free connection at once.
        slots = self._slots
        if slots is None:
            return

        if not slots.locked():
            await slots.acquire()
            return

        try:
            async with asyncio.timeout(_aiohttp_seconds(pool_timeout)):
                await slots.acquire()
        except TimeoutError:
            message = (
                "Timed out waiting for a free connection: all "
                f"{self._limits.max_connections} connections are in use."
            )
            raise httpx2.PoolTimeout(message, request=request) from None

    def _release_slot(self) -> None:
        if self._slots is not None:
            self._slots.release()


class _ResponseStream(httpx2.AsyncByteStream):
    """The body of an aiohttp response, read as it arrives."""

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        request: httpx2.Request,
        release_slot: Callable[[], None],
    ) -> None:
        self._response = response
        self._request = request
        self._release_slot = release_slot
        self._is_closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        error: Exception | None = None
        try:
            async for chunk in self._response.content.iter_any():
                yield chunk
        except aiohttp.ClientPayloadError as exc:
            error = _reset_error(self._response) or exc
        except (aiohttp.ClientError, OSError) as exc:
            error = exc
        finally:
            self._close()

        # Raised outside the except clauses, so that the aiohttp exception,
        # whose message may contain the URL, is not chained as its context.
        if error is not None:
            raise _to_httpx_error(error, self._request, reading_body=True)

    async def aclose(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._is_closed:
            return

        # A fully read response returns its connection to the pool. Any other
        # response closes it, because unread body bytes would be taken for
        # the start of the next response.
        self._is_closed = True
        if self._response.content.at_eof():
            self._response.release()
        else:
            self._response.close()
        self._release_slot()


class _StaleCheckingConnector(aiohttp.TCPConnector):
    """A TCPConnector that checks an idle connection before reusing it.

    aiohttp notices that the server closed an idle connection only once the
    event loop has processed the end of the stream, and would send the next
    request on it in the meantime. Like httpcore2, this connector polls the
    socket of an idle connection before reusing it, and closes it instead if
    the end of the stream or unexpected bytes are already waiting.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._protocols_seen: weakref.WeakSet[ResponseHandler] = weakref.WeakSet()

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 - aiohttp's signature
    ) -> Connection:
        while True:
            connection = await super().connect(req, traces, timeout)
            protocol = connection.protocol
            if protocol is None or protocol not in self._protocols_seen:
                break
            if not _has_pending_input(protocol):
                return connection
            connection.close()

        if protocol is not None:
            self._protocols_seen.add(protocol)
        return connection


class _SendHeadersAsIs:
    """aiohttp client middleware that sends httpx2's header list unchanged.

    aiohttp adds `Content-Length: 0` to a body-less request whose method may
    carry a body (such as DELETE) and moves `Transfer-Encoding` to the end.
    Replacing the headers right before the connection is opened undoes both.
    The middleware also stops aiohttp from sending an idempotent request a
    second time after a dropped connection, because httpx2 never does.
    """

    __slots__ = ("_headers",)

    def __init__(self, headers: CIMultiDict[str]) -> None:
        self._headers = headers

    async def __call__(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        request.headers = self._headers
        try:
            return await handler(request)
        except (aiohttp.ClientOSError, aiohttp.ServerDisconnectedError) as exc:
            # aiohttp resends on exactly these errors; any other exception
            # type passes through its resend loop untouched.
            raise _NotResentError(exc) from exc


class _RequestBody(aiohttp.Payload):
    """A request body whose sending raises _WriteTimeoutError when it stalls.

    aiohttp has no write timeout of its own. It starts the read timeout only
    after the whole body is sent, so without this a server that stops
    reading would stall the request forever.
    """

    def __init__(self, body: bytes, write_timeout: float | None) -> None:
        super().__init__(body)
        self._body = body
        self._size = len(body)
        self._write_timeout = write_timeout

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return self._body.decode(encoding, errors)

    async def write(self, writer: aiohttp.abc.AbstractStreamWriter) -> None:
        await self.write_with_length(writer, None)

    async def write_with_length(
        self, writer: aiohttp.abc.AbstractStreamWriter, content_length: int | None
    ) -> None:
        body = self._body if content_length is None else self._body[:content_length]
        try:
            async with asyncio.timeout(self._write_timeout):
                await writer.write(body)
        except TimeoutError:
            # aiohttp re-raises a TimeoutError that has no errno unchanged,
            # so this subclass reaches _send, which maps it to WriteTimeout
            # rather than ReadTimeout.
            raise _WriteTimeoutError from None


class _WriteTimeoutError(TimeoutError):
    """Sending the request body timed out."""


class _NotResentError(Exception):
    """Carries an aiohttp error past aiohttp's resend loop."""

    def __init__(self, error: aiohttp.ClientError) -> None:
        super().__init__(error)
        self.error = error


async def _send(
    session: aiohttp.ClientSession,
    request: httpx2.Request,
    body: bytes,
    timeouts: Mapping[str, float | None],
) -> aiohttp.ClientResponse:
    headers = _aiohttp_headers(request)
    is_chunked = "chunked" in headers.get("Transfer-Encoding", "").lower()

    try:
        return await session.request(
            request.method,
            _aiohttp_url(request.url),
            data=_request_data(body, is_chunked, timeouts.get("write")),
            chunked=is_chunked or None,
            allow_redirects=False,
            timeout=_client_timeout(timeouts.get("connect"), timeouts.get("read")),
            middlewares=(_SendHeadersAsIs(headers),),
        )
    except _NotResentError as exc:
        error = _to_httpx_error(exc.error, request)
    except (aiohttp.ClientError, OSError) as exc:
        error = _to_httpx_error(exc, request)
    except ValueError as exc:
        # aiohttp raises ValueError for a method or header value with
        # forbidden characters, where httpcore2 raises LocalProtocolError.
        error = httpx2.LocalProtocolError(str(exc), request=request)
    except RuntimeError:
        if not session.closed:
            raise
        # aclose() ran while this request waited for a pool slot.
        error = httpx2.ConnectError(
            "The transport was closed before the request was sent.", request=request
        )

    # Raised outside the except clauses, so that the aiohttp exception, whose
    # message may contain the URL, is not chained as its context.
    raise error


def _request_data(
    body: bytes, is_chunked: bool, write_timeout: float | None
) -> _RequestBody | None:
    # A chunked body is sent even when empty, for its closing chunk.
    if not body and not is_chunked:
        return None
    return _RequestBody(body, _aiohttp_seconds(write_timeout))


def _aiohttp_headers(request: httpx2.Request) -> CIMultiDict[str]:
    # aiohttp writes header names and values as UTF-8, so only UTF-8 bytes
    # reach the server unchanged.
    try:
        return CIMultiDict(
            (name.decode("utf-8"), value.decode("utf-8"))
            for name, value in request.headers.raw
        )
    except UnicodeDecodeError:
        message = (
            "A request header is not valid UTF-8, which AiohttpTransport cannot "
            "send unchanged; encode header values as ASCII or UTF-8."
        )
        raise httpx2.LocalProtocolError(message, request=request) from None


def _check_scheme(request: httpx2.Request) -> None:
    scheme = request.url.scheme
    if scheme == "":
        message = "Request URL is missing an 'http://' or 'https://' protocol."
        raise httpx2.UnsupportedProtocol(message, request=request)
    if scheme not in ("http", "https"):
        message = f"Request URL has an unsupported protocol '{scheme}://'."
        raise httpx2.UnsupportedProtocol(message, request=request)


def _aiohttp_url(url: httpx2.URL) -> URL:
    # `netloc` leaves out user info, which httpx2 has already turned into an
    # Authorization header. `encoded=True` keeps yarl from decoding %2F, %26
    # or %2E%2E, or resolving dot segments, in a path httpx2 has encoded.
    # NOTE: yarl drops a "?" that has no query after it, so "/p?" is sent
    # as "/p", where httpx2's own transport sends "/p?".
    raw = b"%s://%s%s" % (url.raw_scheme, url.netloc, url.raw_path)
    return URL(raw.decode("ascii"), encoded=True)


def _aiohttp_seconds(seconds: float | None) -> float | None:
    if seconds is None:
        return None
    return max(seconds, _MIN_TIMEOUT_SECONDS)


@lru_cache(maxsize=64)
def _client_timeout(connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
    # `connect` bounds DNS resolution and every connection attempt together,
    # like httpcore2's connect timeout; `sock_connect` bounds each attempt.
    # `ceil_threshold` is infinite so aiohttp never rounds a timeout up to a
    # whole second.
    connect = _aiohttp_seconds(connect)
    return aiohttp.ClientTimeout(
        total=None,
        connect=connect,
        sock_connect=connect,
        sock_read=_aiohttp_seconds(read),
        ceil_threshold=math.inf,
    )


def _reset_error(response: aiohttp.ClientResponse) -> aiohttp.ClientOSError | None:
    # aiohttp reports a connection lost mid-body as ClientPayloadError whether
    # the server closed it or reset it. Its protocol object keeps the socket
    # error of a reset, which httpcore2 reports as ReadError.
    connection = response.connection
    protocol = None if connection is None else connection.protocol
    error = None if protocol is None else protocol.exception()
    return error if isinstance(error, aiohttp.ClientOSError) else None


def _has_pending_input(protocol: ResponseHandler) -> bool:
    transport = protocol.transport
    if transport is None or transport.is_closing():
        return True

    sock = transport.get_extra_info("socket")
    if sock is None:
        return False
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _response_extensions(response: aiohttp.ClientResponse) -> dict[str, Any]:
    version = response.version
    http_version = b"HTTP/1.1" if version is None else b"HTTP/%d.%d" % version
    reason = (response.reason or "").encode("utf-8", "surrogateescape")
    return {"http_version": http_version, "reason_phrase": reason}


def _to_httpx_error(
    exc: Exception, request: httpx2.Request, *, reading_body: bool = False
) -> httpx2.TransportError:
    # Messages are written here rather than copied from aiohttp, because some
    # aiohttp messages contain the full URL, whose query may carry a signature.
    error_type, message = _httpx_error_for(exc, reading_body=reading_body)
    return error_type(message, request=request)


def _httpx_error_for(
    exc: Exception, *, reading_body: bool
) -> tuple[type[httpx2.TransportError], str]:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx2.ConnectTimeout, "Timed out connecting to the server."
    if isinstance(exc, _WriteTimeoutError):
        return httpx2.WriteTimeout, "Timed out sending the request body."
    if isinstance(exc, TimeoutError):
        return httpx2.ReadTimeout, "Timed out waiting for the server to send data."
    if isinstance(exc, aiohttp.ClientConnectorError):
        return httpx2.ConnectError, str(exc.os_error)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        if reading_body:
            message = "Server disconnected before sending the whole response body."
        else:
            message = "Server disconnected without sending a response."
        return httpx2.RemoteProtocolError, message
    if isinstance(exc, aiohttp.ClientHttpProxyError):
        return (
            httpx2.ProxyError,
            f"The proxy rejected the CONNECT request with status {exc.status}.",
        )
    if isinstance(exc, aiohttp.ClientResponseError):
        return httpx2.RemoteProtocolError, f"Invalid HTTP response: {exc.message}"
    if isinstance(exc, aiohttp.ClientPayloadError):
        return httpx2.RemoteProtocolError, f"Invalid response body: {exc}"
    if isinstance(exc, OSError):
        return httpx2.ReadError, _os_error_message(exc)
    return httpx2.TransportError, f"aiohttp failed with {type(exc).__name__}."


def _os_error_message(exc: OSError) -> str:
    # aiohttp puts the URL in the strerror of some errors, so only the errno
    # is used.
    if exc.errno is None:
        return "Connection lost while reading the response."
    return f"[Errno {exc.errno}] {os.strerror(exc.errno)}"

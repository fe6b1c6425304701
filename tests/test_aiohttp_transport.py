"""Tests for AiohttpTransport, run side by side with httpx2's own transport.

Every test talks to a RawServer that it starts on 127.0.0.1, so the bytes on
the wire are under the test's control. A test that takes the `kind` fixture
runs once with `httpx2.AsyncHTTPTransport` and once with `AiohttpTransport`
and expects the same outcome from both.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import anyio
import httpx2
import pytest
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from red5_bcs._aiohttp_transport import (
    AiohttpTransport,
    _to_httpx_error,
    _WriteTimeoutError,
)
from tests.aiohttp_transport_servers import (
    Connection,
    Handler,
    RawServer,
    ReceivedRequest,
    TLSContexts,
    gzip_body,
    respond_to_every_request,
    self_signed_tls,
    send_after_request,
    stream_large_body,
    unreachable_port,
    unused_port,
)

pytestmark = pytest.mark.network

# Every async test body runs under this limit, so a hang fails quickly.
TEST_TIMEOUT = 10.0

KINDS = ["httpx2", "aiohttp"]

# A URL whose query stands for a signature that no error message may show.
SIGNED_URL = "http://127.0.0.1:9/room?signature=SECRET"


@pytest.fixture
def anyio_backend() -> str:
    """Run on asyncio only, because AiohttpTransport needs asyncio."""
    return "asyncio"


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Name the transport under test: httpx2's own, or the aiohttp one."""
    return str(request.param)


def make_transport(kind: str, **options: Any) -> httpx2.AsyncBaseTransport:
    """Build the transport named by `kind` with the given options."""
    if kind == "httpx2":
        return httpx2.AsyncHTTPTransport(trust_env=False, **options)
    return AiohttpTransport(**options)


def make_client(
    kind: str, *, max_connections: int = 10, timeout: float = 2.0
) -> httpx2.AsyncClient:
    """Build an AsyncClient on the transport named by `kind`."""
    limits = httpx2.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    transport = make_transport(kind, limits=limits)
    return httpx2.AsyncClient(transport=transport, timeout=timeout)


async def send_and_read(
    transport: httpx2.AsyncBaseTransport, request: httpx2.Request
) -> bytes:
    """Send `request` through `transport` and read the whole response body."""
    response = await transport.handle_async_request(request)
    return await response.aread()


def exception_chain(error: BaseException) -> Iterator[BaseException]:
    """Yield `error` and every exception linked as its cause or context."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__]


async def read_request_only(connection: Connection) -> None:
    """Read the request and never respond."""
    await connection.read_request()


async def close_after_request(connection: Connection) -> None:
    """Read the request and close the connection without a response."""
    await connection.read_request()
    connection.close()


async def reset_after_request(connection: Connection) -> None:
    """Read the request and reset the connection without a response."""
    await connection.read_request()
    connection.reset()


async def close_mid_body(connection: Connection) -> None:
    """Send 5 of 100 promised body bytes, then close the connection."""
    await connection.read_request()
    await connection.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello")
    connection.close()


async def close_mid_chunked_body(connection: Connection) -> None:
    """Send one chunk of a chunked body, then close the connection."""
    await connection.read_request()
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    await connection.send(head + b"5\r\nhello\r\n")
    connection.close()


async def reset_mid_body(connection: Connection) -> None:
    """Send 5 of 100 promised body bytes, then reset the connection."""
    await connection.read_request()
    await connection.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello")
    await asyncio.sleep(0.05)
    connection.reset()


async def stall_mid_body(connection: Connection) -> None:
    """Send 5 of 100 promised body bytes, then send nothing more."""
    await connection.read_request()
    await connection.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello")


FAILING_SERVERS: dict[str, tuple[Handler, type[httpx2.TransportError]]] = {
    "close before response": (close_after_request, httpx2.RemoteProtocolError),
    "reset before response": (reset_after_request, httpx2.ReadError),
    "close mid body": (close_mid_body, httpx2.RemoteProtocolError),
    "close mid chunked body": (close_mid_chunked_body, httpx2.RemoteProtocolError),
    "reset mid body": (reset_mid_body, httpx2.ReadError),
    "garbage status line": (
        send_after_request(b"garbage\r\n\r\n"),
        httpx2.RemoteProtocolError,
    ),
    "garbage header line": (
        send_after_request(b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n"),
        httpx2.RemoteProtocolError,
    ),
    "garbage chunk size": (
        send_after_request(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n",
            then_close=False,
        ),
        httpx2.RemoteProtocolError,
    ),
    "no response": (read_request_only, httpx2.ReadTimeout),
    "stall mid body": (stall_mid_body, httpx2.ReadTimeout),
}

PATHS = [
    "/room/%2E%2E/users",
    "/room/a%2Fb/user/%26x",
    "/r/%25/x",
    "/r/%C3%BC",
    "/r?a=%2B&b=%7E",
    "/r/a%20b?q=a+b&empty=&flag",
]


@pytest.mark.anyio
@pytest.mark.parametrize("path", PATHS)
async def test_request_target_sent_unchanged(kind: str, path: str) -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request()) as server,
            make_client(kind) as client,
        ):
            response = await client.get(server.url(path))

    assert response.status_code == 200
    assert server.requests[0].target == path


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    """Yield `parts` as a streaming request body."""
    for part in parts:
        yield part


async def send_requests_of_every_shape(
    client: httpx2.AsyncClient, server: RawServer
) -> None:
    """Send one request of each method and body shape the SDK may use."""
    url = server.url
    await client.get(url("/get"), params={"q": "a b"})
    await client.get(url("/dup"), headers=[("X-Dup", "1"), ("X-Dup", "2")])
    await client.head(url("/head"))
    await client.post(url("/json"), json={"room": "r1", "count": 1})
    await client.post(url("/empty"))
    await client.put(url("/bytes"), content=b"\x00\xffbinary")
    await client.patch(url("/text"), content="ü text", headers={"X-Trace": "abc"})
    await client.delete(url("/delete-without-body"))
    await client.request("DELETE", url("/delete-with-body"), content=b'{"a":1}')
    await client.request("PURGE", url("/custom-method"))
    await client.post(url("/chunked"), content=chunks(b"abc"))
    await client.post(url("/chunked-parts"), content=chunks(b"ab", b"cd"))
    await client.post(url("/chunked-empty"), content=chunks())


@pytest.mark.anyio
async def test_request_heads_and_bodies_match_httpx2() -> None:
    received: dict[str, list[ReceivedRequest]] = {}
    with anyio.fail_after(TEST_TIMEOUT):
        async with RawServer(respond_to_every_request()) as server:
            for kind in KINDS:
                async with make_client(kind) as client:
                    await send_requests_of_every_shape(client, server)
                received[kind] = list(server.requests)
                server.requests.clear()

    assert received["aiohttp"] == received["httpx2"]
    for request in received["aiohttp"]:
        headers = dict(request.headers)
        assert headers["User-Agent"].startswith("python-httpx2/")
        assert "Content-Type" not in headers or request.body


@pytest.mark.anyio
async def test_delete_without_body_has_no_content_length(kind: str) -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request()) as server,
            make_client(kind) as client,
        ):
            await client.delete(server.url("/room/r1"))

    names = [name.lower() for name, _ in server.requests[0].headers]
    assert "content-length" not in names
    assert "transfer-encoding" not in names


@pytest.mark.anyio
async def test_redirect_returned_not_followed(kind: str) -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with RawServer(respond_to_every_request()) as elsewhere:
            location = elsewhere.url("/elsewhere")
            redirect = respond_to_every_request(
                b"", status="302 Found", headers=[("Location", location)]
            )
            async with RawServer(redirect) as server, make_client(kind) as client:
                response = await client.get(server.url("/start"))

    assert response.status_code == 302
    assert response.headers["Location"] == location
    assert elsewhere.connections_opened == 0


async def respond_in_http_1_0(connection: Connection) -> None:
    """Respond in HTTP/1.0 with a custom reason and repeated header names."""
    await connection.read_request()
    headers = [("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X-Mixed-Case", "V")]
    await connection.send_response(
        b"body", status="201 Made Here", headers=headers, version="HTTP/1.0"
    )
    connection.close()


@pytest.mark.anyio
async def test_response_metadata_matches_httpx2() -> None:
    results: dict[str, tuple[object, ...]] = {}
    with anyio.fail_after(TEST_TIMEOUT):
        async with RawServer(respond_in_http_1_0) as server:
            for kind in KINDS:
                async with make_client(kind) as client:
                    response = await client.get(server.url())
                results[kind] = (
                    response.status_code,
                    response.reason_phrase,
                    response.extensions["http_version"],
                    response.headers.raw,
                    response.content,
                )

    assert results["aiohttp"] == results["httpx2"]
    assert results["aiohttp"][2] == b"HTTP/1.0"
    assert results["aiohttp"][3] == [
        (b"Content-Length", b"4"),
        (b"Set-Cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"X-Mixed-Case", b"V"),
    ]


@pytest.mark.anyio
async def test_response_cookies_not_sent_back(kind: str) -> None:
    handler = respond_to_every_request(headers=[("Set-Cookie", "session=abc; Path=/")])
    with anyio.fail_after(TEST_TIMEOUT):
        async with RawServer(handler) as server:
            transport = make_transport(kind)
            async with transport:
                for _ in range(2):
                    request = httpx2.Request("GET", server.url())
                    response = await transport.handle_async_request(request)
                    await response.aread()

    names = [name.lower() for name, _ in server.requests[1].headers]
    assert "cookie" not in names


@pytest.mark.anyio
async def test_session_stores_no_cookies() -> None:
    # aiohttp's default cookie jar ignores cookies from IP-address hosts, so
    # only a check of the jar's type can show that no host's cookies are kept.
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request()) as server,
            AiohttpTransport() as transport,
        ):
            response = await transport.handle_async_request(
                httpx2.Request("GET", server.url())
            )
            await response.aread()

            assert isinstance(transport._session, aiohttp.ClientSession)
            assert isinstance(transport._session.cookie_jar, aiohttp.DummyCookieJar)


@pytest.mark.anyio
async def test_gzip_body_decoded_once(kind: str) -> None:
    compressed = gzip_body("hello, world")
    handler = respond_to_every_request(
        compressed, headers=[("Content-Encoding", "gzip")]
    )
    with anyio.fail_after(TEST_TIMEOUT):
        async with RawServer(handler) as server, make_client(kind) as client:
            response = await client.get(server.url())
            async with client.stream("GET", server.url()) as streamed:
                raw = b"".join([part async for part in streamed.aiter_raw()])

    assert response.text == "hello, world"
    assert raw == compressed


@pytest.fixture(scope="module")
def tls() -> TLSContexts:
    """A self-signed certificate for 127.0.0.1, shared by the HTTPS tests."""
    return self_signed_tls()


@pytest.mark.anyio
@pytest.mark.parametrize("verify", [True, False], ids=["trusted CA", "no verification"])
async def test_https_request_succeeds(
    kind: str, tls: TLSContexts, verify: bool
) -> None:
    transport = make_transport(kind, verify=tls.client if verify else False)
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request(), tls=tls.server) as server,
            httpx2.AsyncClient(transport=transport) as client,
        ):
            responses = [await client.get(server.url()) for _ in range(3)]

    assert [response.status_code for response in responses] == [200] * 3
    assert server.connections_opened == 1


@pytest.mark.anyio
async def test_https_untrusted_certificate_raises_connect_error(
    kind: str, tls: TLSContexts
) -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request(), tls=tls.server) as server,
            make_client(kind) as client,
        ):
            with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(server.url())

    assert server.requests == []


@pytest.mark.anyio
async def test_connect_refused_raises_connect_error(kind: str) -> None:
    url = f"http://127.0.0.1:{unused_port()}/"
    with anyio.fail_after(TEST_TIMEOUT):
        async with make_client(kind) as client:
            with pytest.raises(httpx2.ConnectError):
                await client.get(url)


@pytest.mark.anyio
@pytest.mark.skipif(
    sys.platform != "linux",
    reason="needs Linux, which drops connection attempts to a full accept queue",
)
async def test_connect_timeout_raises_connect_timeout(kind: str) -> None:
    timeout = httpx2.Timeout(2.0, connect=0.1)
    with anyio.fail_after(TEST_TIMEOUT), unreachable_port() as port:
        async with make_client(kind) as client:
            with pytest.raises(httpx2.ConnectTimeout):
                await client.get(f"http://127.0.0.1:{port}/", timeout=timeout)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("handler", "error"), FAILING_SERVERS.values(), ids=FAILING_SERVERS.keys()
)
async def test_server_failure_raises_same_error(
    kind: str, handler: Handler, error: type[httpx2.TransportError]
) -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(handler) as server,
            make_client(kind, timeout=0.2) as client,
        ):
            with pytest.raises(httpx2.TransportError) as exc_info:
                await client.get(server.url())

    assert exc_info.type is error
    assert server.connections_opened == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("handler", "error"), FAILING_SERVERS.values(), ids=FAILING_SERVERS.keys()
)
async def test_errors_carry_request_and_hide_query(
    handler: Handler, error: type[httpx2.TransportError]
) -> None:
    timeouts = {"connect": 1.0, "read": 0.2, "write": 1.0, "pool": 1.0}
    with anyio.fail_after(TEST_TIMEOUT):
        async with RawServer(handler) as server, AiohttpTransport() as transport:
            url = server.url("/room?signature=SECRET")
            request = httpx2.Request("GET", url, extensions={"timeout": timeouts})
            with pytest.raises(error) as exc_info:
                await send_and_read(transport, request)

    assert exc_info.value.request is request
    for linked in exception_chain(exc_info.value):
        assert "SECRET" not in str(linked)


async def never_read(connection: Connection) -> None:
    """Read nothing, so that the client's request stalls while being sent."""
    connection.stop_reading()


@pytest.mark.anyio
async def test_write_timeout_when_server_stops_reading(kind: str) -> None:
    timeout = httpx2.Timeout(2.0, write=0.2)
    body = b"x" * (16 * 1024 * 1024)
    with anyio.fail_after(TEST_TIMEOUT):
        async with RawServer(never_read) as server, make_client(kind) as client:
            with pytest.raises(httpx2.WriteTimeout):
                await client.post(server.url(), content=body, timeout=timeout)


@pytest.mark.anyio
async def test_server_disconnect_message_matches_httpx2() -> None:
    messages = {}
    with anyio.fail_after(TEST_TIMEOUT):
        async with RawServer(close_after_request) as server:
            for kind in KINDS:
                async with make_client(kind) as client:
                    with pytest.raises(httpx2.RemoteProtocolError) as exc_info:
                        await client.get(server.url())
                messages[kind] = str(exc_info.value)

    assert messages["aiohttp"] == messages["httpx2"]


@pytest.mark.anyio
async def test_pool_timeout_when_connections_busy(kind: str) -> None:
    timeout = httpx2.Timeout(2.0, pool=0.1)
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request()) as server,
            make_client(kind, max_connections=1) as client,
        ):
            async with client.stream("GET", server.url()):
                with pytest.raises(httpx2.PoolTimeout):
                    await client.get(server.url(), timeout=timeout)
            response = await client.get(server.url(), timeout=timeout)

    assert response.status_code == 200


@pytest.mark.anyio
async def test_pool_wait_not_counted_as_connect(kind: str) -> None:
    timeout = httpx2.Timeout(2.0, connect=0.05)
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request()) as server,
            make_client(kind, max_connections=1) as client,
        ):
            async with client.stream("GET", server.url()):
                waiting = asyncio.create_task(client.get(server.url(), timeout=timeout))
                await asyncio.sleep(0.2)
                assert not waiting.done()
            response = await waiting

    assert response.status_code == 200


@pytest.mark.anyio
async def test_sequential_requests_reuse_one_connection(kind: str) -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request()) as server,
            make_client(kind) as client,
        ):
            for _ in range(50):
                response = await client.get(server.url())
                assert response.status_code == 200

    assert len(server.requests) == 50
    assert server.connections_opened == 1


@pytest.mark.anyio
async def test_idle_connection_expires(kind: str) -> None:
    limits = httpx2.Limits(max_connections=10, keepalive_expiry=0.1)
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request()) as server,
            httpx2.AsyncClient(transport=make_transport(kind, limits=limits)) as client,
        ):
            await client.get(server.url())
            await asyncio.sleep(0.3)
            await client.get(server.url())

    assert server.connections_opened == 2


async def respond_once_then_close(connection: Connection) -> None:
    """Respond to one request, then close the kept-alive connection."""
    await connection.read_request()
    await connection.send_response()
    connection.close()


@pytest.mark.anyio
async def test_connection_closed_by_server_not_reused(kind: str) -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_once_then_close) as server,
            make_client(kind) as client,
        ):
            for _ in range(3):
                response = await client.get(server.url())
                assert response.status_code == 200
                await server.wait_until_all_closed()

    assert server.connections_opened == 3


@pytest.mark.anyio
async def test_large_response_head_accepted(kind: str) -> None:
    headers = [(f"X-Header-{index}", "v") for index in range(300)]
    headers.append(("X-Long", "x" * 50_000))
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request(headers=headers)) as server,
            make_client(kind) as client,
        ):
            response = await client.get(server.url())

    assert response.status_code == 200
    assert len(response.headers["X-Long"]) == 50_000
    assert response.headers["X-Header-299"] == "v"


@pytest.mark.anyio
async def test_concurrent_requests_capped_at_max_connections(kind: str) -> None:
    handler = respond_to_every_request(delay=0.02)
    with anyio.fail_after(TEST_TIMEOUT):
        async with RawServer(handler) as server, make_client(kind) as client:
            responses = await asyncio.gather(
                *[client.get(server.url()) for _ in range(50)]
            )

    assert [response.status_code for response in responses] == [200] * 50
    assert server.max_open_connections <= 10
    assert server.connections_opened <= 10


@pytest.mark.anyio
async def test_unlimited_connections_allowed() -> None:
    limits = httpx2.Limits(max_connections=None, max_keepalive_connections=None)
    handler = respond_to_every_request(delay=0.02)
    with anyio.fail_after(TEST_TIMEOUT):
        async with RawServer(handler) as server:
            transport = AiohttpTransport(limits=limits)
            async with httpx2.AsyncClient(transport=transport) as client:
                requests = [client.get(server.url()) for _ in range(20)]
                responses = await asyncio.gather(*requests)

    assert [response.status_code for response in responses] == [200] * 20
    assert server.connections_opened == 20


@pytest.mark.anyio
async def test_large_body_closed_early_closes_connection(kind: str) -> None:
    size = 20 * 1024 * 1024
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(stream_large_body(size)) as server,
            make_client(kind) as client,
        ):
            for _ in range(3):
                received = 0
                async with client.stream("GET", server.url()) as response:
                    assert response.headers["Content-Length"] == str(size)
                    async for chunk in response.aiter_raw():
                        received += len(chunk)
                        if received >= 256 * 1024:
                            break
                assert received < size
                await server.wait_until_all_closed()

    assert server.connections_opened == 3
    assert server.max_open_connections == 1


@pytest.mark.anyio
async def test_cancel_while_awaiting_response_frees_slot(kind: str) -> None:
    timeout = httpx2.Timeout(2.0, pool=0.5)
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(read_request_only) as silent,
            RawServer(respond_to_every_request()) as healthy,
            make_client(kind, max_connections=1) as client,
        ):
            pending = asyncio.create_task(client.get(silent.url()))
            await silent.wait_for_requests(1)
            pending.cancel()
            with pytest.raises(asyncio.CancelledError):
                await pending

            response = await client.get(healthy.url(), timeout=timeout)
            await silent.wait_until_all_closed()

    assert response.status_code == 200


@pytest.mark.anyio
async def test_cancel_mid_body_frees_slot(kind: str) -> None:
    timeout = httpx2.Timeout(2.0, pool=0.5)
    body_started = asyncio.Event()

    async def read_first_chunk_then_hang(client: httpx2.AsyncClient, url: str) -> None:
        async with client.stream("GET", url) as response:
            async for _ in response.aiter_raw():
                body_started.set()
                await asyncio.Event().wait()

    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(stream_large_body(20 * 1024 * 1024)) as large,
            RawServer(respond_to_every_request()) as healthy,
            make_client(kind, max_connections=1) as client,
        ):
            reader = asyncio.create_task(
                read_first_chunk_then_hang(client, large.url())
            )
            await body_started.wait()
            reader.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reader

            response = await client.get(healthy.url(), timeout=timeout)
            await large.wait_until_all_closed()

    assert response.status_code == 200


@pytest.mark.anyio
async def test_cancel_while_awaiting_pool_frees_slot(kind: str) -> None:
    no_pool_limit = httpx2.Timeout(2.0, pool=None)
    short_pool_wait = httpx2.Timeout(2.0, pool=0.5)
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request()) as server,
            make_client(kind, max_connections=1) as client,
        ):
            async with client.stream("GET", server.url()):
                waiting = asyncio.create_task(
                    client.get(server.url(), timeout=no_pool_limit)
                )
                await asyncio.sleep(0.05)
                waiting.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiting

            for _ in range(3):
                response = await client.get(server.url(), timeout=short_pool_wait)
                assert response.status_code == 200


@pytest.mark.anyio
async def test_aclose_closes_every_connection(kind: str) -> None:
    handler = respond_to_every_request(delay=0.05)
    with anyio.fail_after(TEST_TIMEOUT):
        async with RawServer(handler) as server:
            client = make_client(kind)
            await asyncio.gather(*[client.get(server.url()) for _ in range(3)])
            assert server.open_connections == 3

            async with client.stream("GET", server.url()) as response:
                await client.aclose()
                await server.wait_until_all_closed()

    assert response.status_code == 200


@pytest.mark.anyio
async def test_request_after_aclose_raises() -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with RawServer(respond_to_every_request()) as server:
            transport = AiohttpTransport()
            response = await transport.handle_async_request(
                httpx2.Request("GET", server.url())
            )
            await response.aread()
            await transport.aclose()

            with pytest.raises(RuntimeError, match="transport has been closed"):
                await transport.handle_async_request(
                    httpx2.Request("GET", server.url())
                )
            await server.wait_until_all_closed()

    assert server.connections_opened == 1


@pytest.mark.anyio
async def test_unsupported_scheme_raises(kind: str) -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with make_client(kind) as client:
            with pytest.raises(httpx2.UnsupportedProtocol):
                await client.get("ftp://127.0.0.1/file")


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("method", "headers"),
    [("GET", {"X-Bad": "a\r\nInjected: 1"}), ("GE T", {})],
    ids=["header with newline", "method with space"],
)
async def test_invalid_request_raises_local_protocol_error(
    kind: str, method: str, headers: dict[str, str]
) -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request()) as server,
            make_client(kind) as client,
        ):
            with pytest.raises(httpx2.LocalProtocolError):
                await client.request(method, server.url(), headers=headers)

    assert server.requests == []


@pytest.mark.anyio
async def test_non_utf8_header_rejected() -> None:
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request()) as server,
            httpx2.AsyncClient(transport=AiohttpTransport()) as client,
        ):
            with pytest.raises(httpx2.LocalProtocolError, match="UTF-8"):
                await client.get(server.url(), headers={b"X-Name": b"caf\xe9"})

    assert server.requests == []


@pytest.mark.anyio
async def test_connect_timeout_mapped_without_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def time_out(*args: object, **kwargs: object) -> None:
        raise aiohttp.ConnectionTimeoutError("Connection timeout to host " + SIGNED_URL)

    monkeypatch.setattr(aiohttp.ClientSession, "request", time_out)
    request = httpx2.Request("GET", SIGNED_URL)
    async with AiohttpTransport() as transport:
        with pytest.raises(httpx2.ConnectTimeout) as exc_info:
            await transport.handle_async_request(request)

    assert exc_info.value.request is request
    for linked in exception_chain(exc_info.value):
        assert "SECRET" not in str(linked)


def request_info() -> aiohttp.RequestInfo:
    """Build the request details that aiohttp attaches to response errors."""
    url = URL(SIGNED_URL)
    return aiohttp.RequestInfo(url, "GET", CIMultiDictProxy(CIMultiDict()), url)


ERROR_MAPPING: list[tuple[Exception, type[httpx2.TransportError]]] = [
    (aiohttp.ConnectionTimeoutError("connect"), httpx2.ConnectTimeout),
    (_WriteTimeoutError(), httpx2.WriteTimeout),
    (aiohttp.SocketTimeoutError("read"), httpx2.ReadTimeout),
    (aiohttp.ServerTimeoutError("read"), httpx2.ReadTimeout),
    (aiohttp.ServerDisconnectedError(), httpx2.RemoteProtocolError),
    (aiohttp.ClientPayloadError("short body"), httpx2.RemoteProtocolError),
    (
        aiohttp.ClientResponseError(request_info(), (), message="Bad status line"),
        httpx2.RemoteProtocolError,
    ),
    (
        aiohttp.ClientHttpProxyError(request_info(), (), status=407),
        httpx2.ProxyError,
    ),
    (aiohttp.ClientOSError(104, "Connection reset by peer"), httpx2.ReadError),
    (
        aiohttp.ClientOSError(32, "Can not write request body for " + SIGNED_URL),
        httpx2.ReadError,
    ),
    (aiohttp.ClientConnectionResetError("reset"), httpx2.ReadError),
    (aiohttp.InvalidURL(SIGNED_URL), httpx2.TransportError),
]


@pytest.mark.parametrize(
    ("error", "expected"),
    ERROR_MAPPING,
    ids=[type(error).__name__ for error, _ in ERROR_MAPPING],
)
def test_aiohttp_error_mapped_to_httpx2(
    error: Exception, expected: type[httpx2.TransportError]
) -> None:
    request = httpx2.Request("GET", SIGNED_URL)

    mapped = _to_httpx_error(error, request)

    assert type(mapped) is expected
    assert mapped.request is request
    assert "SECRET" not in str(mapped)


def test_transport_built_without_event_loop() -> None:
    transport = AiohttpTransport(
        limits=httpx2.Limits(max_connections=5), verify=False, trust_env=True
    )

    assert isinstance(transport, httpx2.AsyncBaseTransport)


def test_transport_bound_to_first_event_loop() -> None:
    transport = AiohttpTransport()

    async def send_one_request() -> None:
        async with RawServer(respond_to_every_request()) as server:
            request = httpx2.Request("GET", server.url())
            response = await transport.handle_async_request(request)
            await response.aread()

    async def send_to_closed_port() -> None:
        request = httpx2.Request("GET", f"http://127.0.0.1:{unused_port()}/")
        await transport.handle_async_request(request)

    with asyncio.Runner() as first, asyncio.Runner() as second:
        first.run(send_one_request())
        with pytest.raises(RuntimeError, match="event loop of its first request"):
            second.run(send_to_closed_port())
        first.run(transport.aclose())


def test_transport_rejects_trio() -> None:
    transport = AiohttpTransport()

    async def send() -> None:
        request = httpx2.Request("GET", f"http://127.0.0.1:{unused_port()}/")
        await transport.handle_async_request(request)

    with pytest.raises(RuntimeError, match="only under asyncio"):
        anyio.run(send, backend="trio")


def test_import_red5_bcs_leaves_aiohttp_unimported() -> None:
    code = "import sys, red5_bcs; assert 'aiohttp' not in sys.modules, 'imported'"
    root = Path(__file__).resolve().parent.parent

    result = subprocess.run(  # noqa: S603 - runs this interpreter on fixed code
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr


@pytest.mark.anyio
async def test_close_while_waiting_for_slot_raises_connect_error() -> None:
    transport = AiohttpTransport(limits=httpx2.Limits(max_connections=1))
    with anyio.fail_after(TEST_TIMEOUT):
        async with (
            RawServer(respond_to_every_request()) as server,
            httpx2.AsyncClient(transport=transport) as client,
        ):
            async with client.stream("GET", server.url()):
                waiting = asyncio.create_task(client.get(server.url()))
                await asyncio.sleep(0.1)
                await transport.aclose()
            # Leaving the stream frees the slot, after the session closed.
            with pytest.raises(httpx2.ConnectError, match="closed"):
                await waiting

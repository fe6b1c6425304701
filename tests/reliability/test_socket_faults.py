"""Faults on a real loopback socket: each has its typed error and attempt count.

Every test runs on asyncio with aiohttp, on asyncio with httpx2's transport
and on trio. Attempts are counted on the emulator's request log (or on a raw
server's accepted connections), and every test ends by checking that the
same client still works.
"""

from __future__ import annotations

import email.utils
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest

from red5_bcs import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AsyncRed5Client,
    ChatGrantError,
    InternalServerError,
    RateLimitError,
)
from red5_bcs.testing import EmulatorServer

from .support import (
    API,
    ELSEWHERE,
    GRANT,
    ROOMS,
    attempts,
    close_at_once,
    closed_port_url,
    raw_server,
    respond_with,
    until_logged,
)

pytestmark = [pytest.mark.anyio, pytest.mark.network]

RECORDING = API + "room/r1/startRecording"
MALFORMED = ["truncated", "not_json", "html"]
DROPS = ["before_response", "during_body"]
REDIRECTS = [301, 302, 303, 307, 308]
MIB = 1024 * 1024
EMPTY_ROOMS = b'{"roomCount": 0, "rooms": []}'


@pytest.fixture
def anyio_backend(transport_case: tuple[str, str]) -> str:
    return transport_case[0]


@pytest.fixture
async def red5(
    live: EmulatorServer, transport_case: tuple[str, str]
) -> AsyncIterator[AsyncRed5Client]:
    async with live.async_client(
        transport=transport_case[1], timeout=5.0, max_retries=2
    ) as client:
        yield client


async def assert_usable(red5: AsyncRed5Client) -> None:
    """Fail unless the client still completes a call."""
    assert (await red5.get_room_list()).room_count == 0


def _room_call(red5: AsyncRed5Client, method: str) -> Callable[[], Awaitable[object]]:
    """Return a call that sends a GET (the room list) or a POST (a recording)."""
    if method == "GET":
        return red5.get_room_list
    return functools.partial(red5.start_recording, "r1")


# Retryable statuses


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_are_retried_until_success(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float], status: int
) -> None:
    live.emulator.add_faults("GET", ROOMS, [{"status": status}] * 2)

    rooms = await red5.get_room_list()

    assert rooms.room_count == 0
    assert attempts(live.emulator, ROOMS) == 3
    assert len(no_wait) == 2


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_gateway_errors_past_retries_raise(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float], status: int
) -> None:
    live.emulator.add_faults("GET", ROOMS, [{"status": status}] * 3)

    with pytest.raises(InternalServerError) as caught:
        await red5.get_room_list()

    assert caught.value.status_code == status
    assert attempts(live.emulator, ROOMS) == 3
    await assert_usable(red5)


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_post_sent_once_whatever_status(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float], status: int
) -> None:
    outcome = {"status": status, "headers": {"Retry-After": "1"}}
    live.emulator.add_faults("POST", RECORDING, [outcome])

    with pytest.raises(APIStatusError) as caught:
        await red5.start_recording("r1")

    expected = RateLimitError if status == 429 else InternalServerError
    assert type(caught.value) is expected
    assert caught.value.status_code == status
    assert attempts(live.emulator, RECORDING) == 1
    assert no_wait == []
    await assert_usable(red5)


async def test_retry_after_seconds_sets_each_wait(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float]
) -> None:
    live.emulator.add_faults(
        "GET",
        ROOMS,
        [
            {"status": 429, "headers": {"Retry-After": "7"}},
            {"status": 503, "headers": {"Retry-After": "0"}},
        ],
    )

    await red5.get_room_list()

    assert no_wait == [7.0, 0.0]
    assert attempts(live.emulator, ROOMS) == 3


async def test_retry_after_http_date_sets_the_wait(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float]
) -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    date = email.utils.format_datetime(when, usegmt=True)
    live.emulator.add_faults(
        "GET", ROOMS, [{"status": 429, "headers": {"Retry-After": date}}]
    )

    await red5.get_room_list()

    assert len(no_wait) == 1
    assert 25 <= no_wait[0] <= 31
    assert attempts(live.emulator, ROOMS) == 2


@pytest.mark.parametrize(
    "value",
    ["\N{SUPERSCRIPT TWO}".encode("latin-1"), "\N{ARABIC-INDIC DIGIT ONE}".encode()],
    ids=["superscript-two", "arabic-indic-one"],
)
async def test_non_ascii_retry_after_uses_backoff(
    transport_case: tuple[str, str],
    live: EmulatorServer,
    no_wait: list[float],
    value: bytes,
) -> None:
    # The emulator only sends ASCII header values, so a raw server sends these.
    throttled = (
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: "
        + value
        + b"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    success = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(EMPTY_ROOMS)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + EMPTY_ROOMS
    )

    with raw_server(respond_with(throttled, success)) as raw:
        async with live.async_client(
            base_url=raw.url, pubnub_base_url=raw.url, transport=transport_case[1]
        ) as red5:
            rooms = await red5.get_room_list()

    assert rooms.room_count == 0
    assert raw.accepted == 2
    assert len(no_wait) == 1
    assert 0 <= no_wait[0] <= 0.5


# Dropped connections


@pytest.mark.parametrize("drop", DROPS)
async def test_dropped_get_is_retried(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float], drop: str
) -> None:
    live.emulator.add_faults("GET", ROOMS, [{"drop": drop}])

    await red5.get_room_list()

    assert attempts(live.emulator, ROOMS) == 2
    assert len(no_wait) == 1


@pytest.mark.parametrize("drop", DROPS)
async def test_dropped_post_is_not_sent_again(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float], drop: str
) -> None:
    live.emulator.add_faults("POST", RECORDING, [{"drop": drop}])

    with pytest.raises(APIConnectionError):
        await red5.start_recording("r1")

    assert attempts(live.emulator, RECORDING) == 1
    assert no_wait == []
    await assert_usable(red5)


@pytest.mark.parametrize("drop", DROPS)
async def test_dropped_grant_is_not_sent_again(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float], drop: str
) -> None:
    live.emulator.add_faults("POST", GRANT, [{"drop": drop}])

    with pytest.raises(APIConnectionError):
        await red5.get_chat_token("u1", "r1", True, True)

    assert attempts(live.emulator, GRANT) == 1
    assert await red5.get_chat_token("u1", "r1", True, True)
    await assert_usable(red5)


@pytest.mark.parametrize(("method", "connections"), [("GET", 3), ("POST", 1)])
async def test_connection_closed_before_request_is_read(
    live: EmulatorServer,
    transport_case: tuple[str, str],
    no_wait: list[float],
    method: str,
    connections: int,
) -> None:
    with raw_server(close_at_once) as raw:
        async with live.async_client(
            base_url=raw.url, pubnub_base_url=raw.url, transport=transport_case[1]
        ) as red5:
            with pytest.raises(APIConnectionError):
                await _room_call(red5, method)()

    assert raw.accepted == connections


async def test_refused_connection_retries_post_and_grant(
    live: EmulatorServer, transport_case: tuple[str, str], no_wait: list[float]
) -> None:
    # A refused connection proves nothing was sent, so even a POST is retried.
    closed = closed_port_url()
    async with live.async_client(
        base_url=closed, pubnub_base_url=closed, transport=transport_case[1]
    ) as red5:
        with pytest.raises(APIConnectionError):
            await red5.start_recording("r1")
        with pytest.raises(APIConnectionError):
            await red5.get_conference_token("u1", "r1")

    assert len(no_wait) == 4


# Slow responses


async def test_slow_get_times_out_then_retry_succeeds(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float]
) -> None:
    live.emulator.add_faults("GET", ROOMS, [{"delay": 0.6}])
    quick = red5.with_options(timeout=0.2, max_retries=1)

    rooms = await quick.get_room_list()

    assert rooms.room_count == 0
    await until_logged(live.emulator, ROOMS, 2)
    assert attempts(live.emulator, ROOMS) == 2


async def test_slow_get_past_retries_raises_timeout(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float]
) -> None:
    live.emulator.add_faults("GET", ROOMS, [{"delay": 0.6}] * 2)
    quick = red5.with_options(timeout=0.2, max_retries=1)

    with pytest.raises(APITimeoutError, match="waiting for the response"):
        await quick.get_room_list()

    await until_logged(live.emulator, ROOMS, 2)
    assert attempts(live.emulator, ROOMS) == 2
    await assert_usable(red5)


@pytest.mark.parametrize("path", [RECORDING, GRANT], ids=["recording", "grant"])
async def test_slow_post_is_sent_once(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float], path: str
) -> None:
    live.emulator.add_faults("POST", path, [{"delay": 0.6}])
    quick = red5.with_options(timeout=0.2)

    call = (
        functools.partial(quick.get_conference_token, "u1", "r1")
        if path == GRANT
        else functools.partial(quick.start_recording, "r1")
    )

    with pytest.raises(APITimeoutError):
        await call()

    # A resent request would get its response at once, before the delayed one.
    await until_logged(live.emulator, path, 1)
    assert attempts(live.emulator, path) == 1
    await assert_usable(red5)


# Unreadable bodies


@pytest.mark.parametrize("kind", MALFORMED)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_malformed_success_body_is_validation_error(
    red5: AsyncRed5Client, live: EmulatorServer, kind: str, method: str
) -> None:
    path = ROOMS if method == "GET" else RECORDING
    live.emulator.add_faults(method, path, [{"malformed": kind}])

    with pytest.raises(APIResponseValidationError) as caught:
        await _room_call(red5, method)()

    assert caught.value.status_code == 200
    assert len(caught.value.excerpt) <= 200
    assert attempts(live.emulator, path) == 1
    await assert_usable(red5)


@pytest.mark.parametrize("kind", MALFORMED)
@pytest.mark.parametrize(("method", "sent"), [("GET", 3), ("POST", 1)])
async def test_malformed_error_body_keeps_its_status(
    red5: AsyncRed5Client,
    live: EmulatorServer,
    no_wait: list[float],
    kind: str,
    method: str,
    sent: int,
) -> None:
    path = ROOMS if method == "GET" else RECORDING
    live.emulator.add_faults(method, path, [{"malformed": kind, "status": 500}] * 3)

    with pytest.raises(InternalServerError) as caught:
        await _room_call(red5, method)()

    assert caught.value.status_code == 500
    assert caught.value.body is None
    assert caught.value.message == "Internal Server Error"
    assert attempts(live.emulator, path) == sent
    live.emulator.clear_faults()
    await assert_usable(red5)


@pytest.mark.parametrize("kind", MALFORMED)
@pytest.mark.parametrize("status", [200, 500])
async def test_malformed_grant_response_is_typed(
    red5: AsyncRed5Client, live: EmulatorServer, kind: str, status: int
) -> None:
    live.emulator.add_faults("POST", GRANT, [{"malformed": kind, "status": status}])

    with pytest.raises(ChatGrantError) as caught:
        await red5.get_conference_token("u1", "r1")

    assert caught.value.status_code == status
    assert attempts(live.emulator, GRANT) == 1
    assert await red5.get_conference_token("u1", "r1")


@pytest.mark.parametrize("details", [{"message": "x"}, 5, "text", [], [1]])
async def test_grant_error_odd_details_is_typed(
    red5: AsyncRed5Client, live: EmulatorServer, details: Any
) -> None:
    body = {"status": 400, "error": {"message": "Invalid ttl", "details": details}}
    live.emulator.add_faults("POST", GRANT, [{"status": 400, "body": body}])

    with pytest.raises(ChatGrantError) as caught:
        await red5.get_chat_token("u1", "r1", True, False)

    assert caught.value.status_code == 400
    assert caught.value.pubnub_message == "Invalid ttl"
    await assert_usable(red5)


# Redirects


@pytest.mark.parametrize("status", REDIRECTS)
async def test_redirect_elsewhere_is_not_followed(
    red5: AsyncRed5Client, live: EmulatorServer, status: int
) -> None:
    outcome = {"redirect": ELSEWHERE, "status": status}
    live.emulator.add_faults("GET", ROOMS, [outcome])
    live.emulator.add_faults("POST", RECORDING, [outcome])

    with pytest.raises(APIStatusError) as on_get:
        await red5.get_room_list()
    with pytest.raises(APIStatusError) as on_post:
        await red5.start_recording("r1")

    assert on_get.value.status_code == status
    assert on_post.value.status_code == status
    assert attempts(live.emulator, ROOMS) == 1
    assert attempts(live.emulator, RECORDING) == 1
    await assert_usable(red5)


async def test_redirected_grant_is_chat_grant_error(
    red5: AsyncRed5Client, live: EmulatorServer
) -> None:
    live.emulator.add_faults("POST", GRANT, [{"redirect": ELSEWHERE}])

    with pytest.raises(ChatGrantError) as caught:
        await red5.get_conference_token("u1", "r1")

    assert caught.value.status_code == 307
    assert attempts(live.emulator, GRANT) == 1


# Oversized bodies


class CountingTransport(httpx2.AsyncBaseTransport):
    """Wraps a transport and counts the body bytes its responses deliver."""

    def __init__(self, inner: httpx2.AsyncBaseTransport) -> None:
        self.inner = inner
        self.received = 0

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        response = await self.inner.handle_async_request(request)
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        return httpx2.Response(
            response.status_code,
            headers=response.headers,
            stream=_CountingStream(response.stream, self),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()


class _CountingStream(httpx2.AsyncByteStream):
    def __init__(
        self, inner: httpx2.AsyncByteStream, counter: CountingTransport
    ) -> None:
        self._inner = inner
        self._counter = counter

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._inner:
            self._counter.received += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


def _inner_transport(name: str) -> httpx2.AsyncBaseTransport:
    if name == "aiohttp":
        from red5_bcs._aiohttp_transport import AiohttpTransport

        return AiohttpTransport()
    return httpx2.AsyncHTTPTransport()


# httpcore2 leaves the inner body iterator of a response closed before its end
# to the garbage collector, and trio reports that as a ResourceWarning. The
# connection itself is closed by Response.aclose().
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
async def test_oversized_body_is_rejected_unread(
    live: EmulatorServer, transport_case: tuple[str, str], chunked: bool
) -> None:
    counter = CountingTransport(_inner_transport(transport_case[1]))
    live.emulator.add_faults(
        "GET", ROOMS, [{"body_bytes": 64 * MIB, "chunked": chunked}]
    )

    async with (
        httpx2.AsyncClient(transport=counter) as http,
        live.async_client(http_client=http) as red5,
    ):
        with pytest.raises(APIResponseValidationError, match="larger than 10 MiB"):
            await red5.get_room_list()
        read = counter.received
        await assert_usable(red5)

    if chunked:
        assert 10 * MIB < read <= 11 * MIB
    else:
        assert read < MIB

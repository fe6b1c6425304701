"""Both clients over a real loopback socket: keep-alive, timeouts, retries, drops.

Each async test runs on asyncio with the aiohttp transport, on asyncio with
httpx2's transport, and on trio (httpx2's transport).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anyio
import pytest

from red5_bcs import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    AsyncRed5Client,
    InternalServerError,
    RateLimitError,
    _http,
)
from red5_bcs.testing import EmulatorServer

ROOMS = "/as/v1/conference/rooms"
RECORDING = "/as/v1/conference/room/r1/startRecording"
GRANT = "/v3/pam/"


@pytest.fixture(
    params=[("asyncio", "aiohttp"), ("asyncio", "httpx"), ("trio", "httpx")],
    ids=["asyncio-aiohttp", "asyncio-httpx", "trio-httpx"],
)
def backend_and_transport(request: pytest.FixtureRequest) -> tuple[str, str]:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def anyio_backend(backend_and_transport: tuple[str, str]) -> str:
    return backend_and_transport[0]


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record retry waits instead of sleeping through them."""
    waits: list[float] = []

    async def record(delay: float) -> None:
        waits.append(delay)

    monkeypatch.setattr(_http, "_sleep", record)
    return waits


@pytest.fixture
async def red5(
    live: EmulatorServer, backend_and_transport: tuple[str, str]
) -> AsyncIterator[AsyncRed5Client]:
    async with live.async_client(
        transport=backend_and_transport[1], timeout=5.0, max_retries=2
    ) as client:
        yield client


def _attempts(server: EmulatorServer, path: str) -> int:
    return sum(
        1 for entry in server.emulator.requests if entry.raw_path.startswith(path)
    )


async def _until_logged(server: EmulatorServer, path: str, count: int) -> None:
    """Wait for delayed requests to finish, so they don't log into later tests."""
    with anyio.fail_after(10):
        while _attempts(server, path) < count:  # noqa: ASYNC110 - another thread logs
            await anyio.sleep(0.05)


def _open_connections(server: EmulatorServer) -> int:
    return len(server._connections._transports)


@pytest.mark.anyio
async def test_sequential_calls_reuse_one_connection(
    red5: AsyncRed5Client, live: EmulatorServer
) -> None:
    for _ in range(20):
        await red5.get_room_list()

    assert _attempts(live, ROOMS) == 20
    assert _open_connections(live) == 1


@pytest.mark.anyio
async def test_concurrent_calls_stay_within_pool_limit(
    live: EmulatorServer, backend_and_transport: tuple[str, str]
) -> None:
    import httpx2

    peak = 0
    limits = httpx2.Limits(max_connections=4, max_keepalive_connections=4)
    async with live.async_client(
        transport=backend_and_transport[1], limits=limits
    ) as red5:

        async def call() -> None:
            nonlocal peak
            await red5.get_room_list()
            peak = max(peak, _open_connections(live))

        async with anyio.create_task_group() as group:
            for _ in range(40):
                group.start_soon(call)

    assert _attempts(live, ROOMS) == 40
    assert 1 <= peak <= 4


@pytest.mark.anyio
async def test_get_retries_503_then_succeeds(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float]
) -> None:
    live.emulator.add_faults("GET", ROOMS, [{"status": 503}, {"status": 503}])

    rooms = await red5.get_room_list()

    assert rooms.room_count == 0
    assert _attempts(live, ROOMS) == 3
    assert len(no_wait) == 2


@pytest.mark.anyio
async def test_get_gives_up_after_max_retries(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float]
) -> None:
    live.emulator.add_faults(
        "GET", ROOMS, [{"status": 502, "body": {"message": "x"}}] * 3
    )

    with pytest.raises(InternalServerError) as caught:
        await red5.get_room_list()

    assert caught.value.status_code == 502
    assert _attempts(live, ROOMS) == 3


@pytest.mark.anyio
async def test_retry_after_is_honoured_over_socket(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float]
) -> None:
    live.emulator.add_faults(
        "GET", ROOMS, [{"status": 429, "headers": {"Retry-After": "3"}}]
    )

    await red5.get_room_list()

    assert no_wait == [3.0]


@pytest.mark.anyio
async def test_rate_limit_past_sixty_seconds_raises(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float]
) -> None:
    live.emulator.add_faults(
        "GET", ROOMS, [{"status": 429, "headers": {"Retry-After": "120"}}]
    )

    with pytest.raises(RateLimitError):
        await red5.get_room_list()

    assert _attempts(live, ROOMS) == 1


@pytest.mark.anyio
async def test_dropped_get_is_retried(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float]
) -> None:
    live.emulator.add_faults("GET", ROOMS, [{"drop": "before_response"}])

    await red5.get_room_list()

    assert _attempts(live, ROOMS) == 2


@pytest.mark.anyio
async def test_dropped_post_is_not_sent_twice(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float]
) -> None:
    live.emulator.add_faults("POST", RECORDING, [{"drop": "before_response"}])

    with pytest.raises(APIConnectionError):
        await red5.start_recording("r1")

    assert _attempts(live, RECORDING) == 1
    assert (await red5.get_room_list()).room_count == 0


@pytest.mark.anyio
async def test_drop_during_body_is_connection_error(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float]
) -> None:
    live.emulator.add_faults("POST", RECORDING, [{"drop": "during_body"}])

    with pytest.raises(APIConnectionError):
        await red5.start_recording("r1")

    assert _attempts(live, RECORDING) == 1


@pytest.mark.anyio
async def test_slow_response_times_out_then_client_recovers(
    red5: AsyncRed5Client, live: EmulatorServer
) -> None:
    live.emulator.add_faults("GET", ROOMS, [{"delay": 1.0}])
    quick = red5.with_options(timeout=0.3, max_retries=0)

    with pytest.raises(APITimeoutError):
        await quick.get_room_list()

    assert (await red5.get_room_list()).room_count == 0
    await _until_logged(live, ROOMS, 2)


@pytest.mark.anyio
async def test_slow_grant_times_out(
    red5: AsyncRed5Client, live: EmulatorServer
) -> None:
    live.emulator.add_faults("POST", GRANT, [{"delay": 1.0}])

    with pytest.raises(APITimeoutError):
        await red5.with_options(timeout=0.3).get_chat_token("u", "c", True, True)

    await _until_logged(live, GRANT, 1)
    assert _attempts(live, GRANT) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("kind", ["truncated", "not_json", "html"])
async def test_malformed_body_is_validation_error(
    red5: AsyncRed5Client, live: EmulatorServer, kind: str
) -> None:
    live.emulator.add_faults("GET", ROOMS, [{"malformed": kind}])

    with pytest.raises(APIResponseValidationError) as caught:
        await red5.get_room_list()

    assert caught.value.status_code == 200
    assert len(caught.value.excerpt) <= 200


@pytest.mark.anyio
async def test_redirect_is_not_followed(
    red5: AsyncRed5Client, live: EmulatorServer
) -> None:
    live.emulator.add_faults(
        "GET", ROOMS, [{"redirect": "http://127.0.0.1:9/elsewhere"}]
    )

    with pytest.raises(Exception) as caught:  # noqa: PT011 - checked below
        await red5.get_room_list()

    assert "307" in str(caught.value)
    assert _attempts(live, ROOMS) == 1


# httpcore2 leaves its inner body iterator to the garbage collector when a
# response is closed before the end, and trio reports that as a ResourceWarning.
# The connection itself is closed by Response.aclose().
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.anyio
async def test_oversized_body_is_refused(
    red5: AsyncRed5Client, live: EmulatorServer
) -> None:
    live.emulator.add_faults(
        "GET", ROOMS, [{"body_bytes": 12_000_000, "chunked": True}]
    )

    with pytest.raises(APIResponseValidationError, match="larger than 10 MiB"):
        await red5.get_room_list()

    assert (await red5.get_room_list()).room_count == 0


@pytest.fixture
def sync_red5(live: EmulatorServer) -> Iterator[object]:
    with live.client(timeout=5.0, max_retries=2) as client:
        yield client


def test_sync_client_over_socket_retries_and_recovers(
    live: EmulatorServer, sync_red5: object, no_wait: list[float]
) -> None:
    from red5_bcs import Red5Client

    assert isinstance(sync_red5, Red5Client)
    live.emulator.add_faults(
        "GET", ROOMS, [{"status": 503}, {"drop": "before_response"}]
    )

    assert sync_red5.get_room_list().room_count == 0
    assert _attempts(live, ROOMS) == 3
    token = sync_red5.get_conference_token("alice", "r1")
    live.emulator.join(token)
    assert sync_red5.get_user_list("r1").user_count == 1


@pytest.mark.anyio
async def test_rate_limit_error_carries_retry_after(
    red5: AsyncRed5Client, live: EmulatorServer, no_wait: list[float]
) -> None:
    live.emulator.add_faults(
        "GET", ROOMS, [{"status": 429, "headers": {"Retry-After": "120"}}]
    )

    with pytest.raises(RateLimitError) as caught:
        await red5.get_room_list()

    assert caught.value.retry_after == 120.0
    assert caught.value.headers["retry-after"] == "120"

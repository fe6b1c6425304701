"""Cancelled and interrupted calls give back their connection and lose no call.

Clients here have a pool of one connection and a pool timeout of one second,
so a call after a cancelled one succeeds only if the cancelled call gave its
connection back: a leaked slot would make it raise `APITimeoutError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import httpx2
import pytest

from red5_bcs import APIConnectionError, AsyncRed5Client, NotFoundError, Red5Error
from red5_bcs.testing import EmulatorServer

from .support import (
    API,
    GRANT,
    ROOMS,
    attempts,
    until_logged,
    wait_for_no_sockets,
    wait_logged,
)

pytestmark = [pytest.mark.anyio, pytest.mark.network]

SLOW_ROOM = "slow-room"
SLOW_USERS = API + f"room/{SLOW_ROOM}/users"
SLOW_RECORDING = API + f"room/{SLOW_ROOM}/startRecording"
ONE_CONNECTION = httpx2.Limits(max_connections=1, max_keepalive_connections=1)


@pytest.fixture
def anyio_backend(transport_case: tuple[str, str]) -> str:
    return transport_case[0]


@pytest.fixture
async def red5(
    live: EmulatorServer, transport_case: tuple[str, str]
) -> AsyncIterator[AsyncRed5Client]:
    async with live.async_client(
        transport=transport_case[1],
        timeout=httpx2.Timeout(5.0, pool=1.0),
        max_retries=0,
        limits=ONE_CONNECTION,
    ) as client:
        # A first call opens the connection, so a later request is sent at
        # once and is surely on the server when the test cancels it.
        await client.get_room_list()
        live.emulator.clear_requests()
        yield client


async def cancel_after(
    seconds: float, backend: str, call: Callable[[], Awaitable[object]]
) -> bool:
    """Run `call` under the event loop's own deadline; return whether it fired."""
    if backend == "asyncio":
        try:
            async with asyncio.timeout(seconds):
                await call()
        except TimeoutError:
            return True
        return False

    import trio

    with trio.move_on_after(seconds) as scope:
        await call()
    return scope.cancelled_caught


async def timed_room_list(red5: AsyncRed5Client) -> float:
    """Make one call and return how long it took, in seconds."""
    started = time.perf_counter()
    await red5.get_room_list()
    return time.perf_counter() - started


async def test_cancelled_get_gives_back_its_connection(
    red5: AsyncRed5Client, live: EmulatorServer, transport_case: tuple[str, str]
) -> None:
    live.emulator.add_faults("GET", SLOW_USERS, [{"delay": 1.0}])

    cancelled = await cancel_after(
        0.3, transport_case[0], lambda: red5.get_user_list(SLOW_ROOM)
    )

    assert cancelled
    assert await timed_room_list(red5) < 0.6
    await until_logged(live.emulator, SLOW_USERS, 1)
    assert attempts(live.emulator, SLOW_USERS) == 1


async def test_cancelled_post_is_not_sent_again(
    red5: AsyncRed5Client, live: EmulatorServer, transport_case: tuple[str, str]
) -> None:
    live.emulator.add_faults("POST", SLOW_RECORDING, [{"delay": 1.0}])

    cancelled = await cancel_after(
        0.3, transport_case[0], lambda: red5.start_recording(SLOW_ROOM)
    )

    assert cancelled
    assert await timed_room_list(red5) < 0.6
    await until_logged(live.emulator, SLOW_RECORDING, 1)
    assert attempts(live.emulator, SLOW_RECORDING) == 1


async def test_cancelled_grant_gives_back_its_connection(
    red5: AsyncRed5Client, live: EmulatorServer, transport_case: tuple[str, str]
) -> None:
    live.emulator.add_faults("POST", GRANT, [{"delay": 1.0}])

    cancelled = await cancel_after(
        0.3, transport_case[0], lambda: red5.get_conference_token("u1", "r1")
    )

    assert cancelled
    assert await timed_room_list(red5) < 0.6
    await until_logged(live.emulator, GRANT, 1)
    assert await red5.get_chat_token("u1", "r1", True, True)


async def test_cancelled_pool_wait_keeps_pool_whole(
    red5: AsyncRed5Client, live: EmulatorServer, transport_case: tuple[str, str]
) -> None:
    empty_page = {"userCount": 0, "users": []}
    live.emulator.add_faults(
        "GET", SLOW_USERS, [{"delay": 0.6, "status": 200, "body": empty_page}]
    )

    async with anyio.create_task_group() as group:
        group.start_soon(red5.get_user_list, SLOW_ROOM)
        await anyio.sleep(0.2)
        cancelled = await cancel_after(0.2, transport_case[0], red5.get_room_list)

    assert cancelled
    assert await timed_room_list(red5) < 0.5
    assert attempts(live.emulator, ROOMS) == 1


async def test_cancelled_retry_wait_frees_connection(
    red5: AsyncRed5Client, live: EmulatorServer, transport_case: tuple[str, str]
) -> None:
    # The first response requests a 30 s wait, which is cancelled 0.3 s in.
    live.emulator.add_faults(
        "GET", SLOW_USERS, [{"status": 503, "headers": {"Retry-After": "30"}}]
    )
    retrying = red5.with_options(max_retries=1)

    cancelled = await cancel_after(
        0.3, transport_case[0], lambda: retrying.get_user_list(SLOW_ROOM)
    )

    assert cancelled
    assert await timed_room_list(red5) < 0.5
    assert attempts(live.emulator, SLOW_USERS) == 1


async def test_many_cancellations_keep_pool_whole(
    live: EmulatorServer, transport_case: tuple[str, str]
) -> None:
    live.emulator.add_faults("GET", SLOW_USERS, [{"delay": 0.3}] * 30)
    limits = httpx2.Limits(max_connections=2, max_keepalive_connections=2)

    async with live.async_client(
        transport=transport_case[1],
        timeout=httpx2.Timeout(5.0, pool=1.0),
        max_retries=0,
        limits=limits,
    ) as red5:
        async with anyio.create_task_group() as group:
            for index in range(30):
                group.start_soon(_cancel_slow_call, red5, 0.05 + index * 0.006)
        # Both connections must be free again: two calls run side by side.
        async with anyio.create_task_group() as group:
            group.start_soon(red5.get_room_list)
            group.start_soon(red5.get_room_list)

    assert wait_for_no_sockets(live.port) == 0
    # The server finishes the delayed requests within their 0.3 s delay, so
    # they are logged here rather than in a later test.
    await anyio.sleep(0.4)


async def _cancel_slow_call(red5: AsyncRed5Client, seconds: float) -> None:
    with anyio.move_on_after(seconds):
        # On a loaded machine a call may outlast its 0.3 s delay and get the
        # emulator's 404 for the unknown room. The pool must survive either way.
        with contextlib.suppress(NotFoundError):
            await red5.get_user_list(SLOW_ROOM)


async def test_aclose_ends_calls_in_flight(
    live: EmulatorServer, transport_case: tuple[str, str]
) -> None:
    outcomes: Counter[str] = Counter()

    async def call(red5: AsyncRed5Client) -> None:
        try:
            await red5.get_room_list()
        except Red5Error as exc:
            outcomes[type(exc).__name__] += 1
        else:
            outcomes["ok"] += 1

    red5 = live.async_client(
        transport=transport_case[1], timeout=5.0, max_retries=3, limits=ONE_CONNECTION
    )
    # A first call opens the connection, so that the next ones go out at once.
    await red5.get_room_list()
    live.emulator.add_faults(
        "GET", ROOMS, [{"delay": 0.5}] * 10 + [{"status": 503}] * 10
    )
    async with anyio.create_task_group() as group:
        for _ in range(20):
            group.start_soon(call, red5)
        await anyio.sleep(0.2)
        await red5.aclose()

    assert sum(outcomes.values()) == 20
    assert set(outcomes) <= {"ok", APIConnectionError.__name__}
    assert wait_for_no_sockets(live.port) == 0
    await until_logged(live.emulator, ROOMS, 2)


async def test_closed_http_client_ends_calls(
    live: EmulatorServer, transport_case: tuple[str, str]
) -> None:
    outcomes: Counter[str] = Counter()
    http = httpx2.AsyncClient(transport=_transport(transport_case[1]))
    red5 = live.async_client(
        http_client=http, timeout=httpx2.Timeout(5.0, pool=0.5), max_retries=1
    )
    await red5.get_room_list()
    live.emulator.add_faults("GET", ROOMS, [{"delay": 0.5}] * 5)

    async def call() -> None:
        try:
            await red5.get_room_list()
        except Red5Error as exc:
            outcomes[type(exc).__name__] += 1
        else:
            outcomes["ok"] += 1

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(call)
        await anyio.sleep(0.2)
        await http.aclose()
    await red5.aclose()

    assert sum(outcomes.values()) == 5
    assert set(outcomes) <= {"ok", APIConnectionError.__name__}
    await until_logged(live.emulator, ROOMS, 2)


def _transport(name: str) -> httpx2.AsyncBaseTransport:
    if name == "aiohttp":
        from red5_bcs._aiohttp_transport import AiohttpTransport

        # Calls wait for one of two connections when the client is closed.
        limits = httpx2.Limits(max_connections=2, max_keepalive_connections=2)
        return AiohttpTransport(limits=limits)
    # NOTE: httpcore2 2.16.2 gives a request that waits for a connection a new
    # one after the pool is closed, and never closes it, so here no call waits.
    limits = httpx2.Limits(max_connections=5, max_keepalive_connections=5)
    return httpx2.AsyncHTTPTransport(limits=limits)


def test_sync_close_ends_calls_in_other_threads(live: EmulatorServer) -> None:
    red5 = live.client(timeout=5.0, max_retries=0, limits=ONE_CONNECTION)
    red5.get_room_list()
    live.emulator.add_faults("GET", ROOMS, [{"delay": 0.5}] * 4)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def call() -> None:
        try:
            red5.get_room_list()
        except Red5Error as exc:
            outcome = type(exc).__name__
        else:
            outcome = "ok"
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    red5.close()
    for thread in threads:
        thread.join(timeout=10)

    assert sum(outcomes.values()) == 4
    assert outcomes[APIConnectionError.__name__] == 4
    assert wait_for_no_sockets(live.port) == 0
    wait_logged(live.emulator, ROOMS, 2)


def interrupt_main_thread_after(seconds: float) -> None:
    """Send SIGINT to the main thread, the test's own, after `seconds`."""
    main = threading.main_thread().ident
    assert main == threading.get_ident()
    threading.Timer(seconds, signal.pthread_kill, args=(main, signal.SIGINT)).start()


def test_sync_interrupt_cancels_call(live: EmulatorServer) -> None:
    # With one connection and a one-second pool timeout, the call after the
    # interrupted one succeeds only if the interrupted request, delayed three
    # seconds on the server, was cancelled and gave its connection back.
    red5 = live.client(
        timeout=httpx2.Timeout(5.0, pool=1.0), max_retries=0, limits=ONE_CONNECTION
    )
    try:
        red5.get_room_list()
        live.emulator.add_faults("GET", ROOMS, [{"delay": 3.0}])
        started = time.perf_counter()
        interrupt_main_thread_after(0.3)
        with pytest.raises(KeyboardInterrupt):
            red5.get_room_list()
        assert time.perf_counter() - started < 2.0

        assert red5.get_room_list().rooms is not None
    finally:
        red5.close()
    assert wait_for_no_sockets(live.port) == 0


def test_sync_interrupt_closes_iterator(
    live: EmulatorServer,
) -> None:
    red5 = live.client(timeout=5.0, max_retries=0, limits=ONE_CONNECTION)
    try:
        for user in ("ann", "bob"):
            live.emulator.join(red5.get_conference_token(user, SLOW_ROOM))
        users = red5.iter_users(SLOW_ROOM, page_size=1)
        next(users)
        live.emulator.add_faults("GET", SLOW_USERS, [{"delay": 3.0}])
        interrupt_main_thread_after(0.3)

        # The page request is still unwinding on the loop when the iterator
        # is closed, so the close must wait for it instead of failing.
        with pytest.raises(KeyboardInterrupt):
            next(users)
        with pytest.raises(StopIteration):
            next(users)
        assert red5.get_room_list().rooms is not None
    finally:
        red5.close()


def test_sync_iterator_collected_on_loop_thread(live: EmulatorServer) -> None:
    red5 = live.client(timeout=5.0, max_retries=0)
    live.emulator.join(red5.get_conference_token("ann", SLOW_ROOM))
    users = red5.iter_users(SLOW_ROOM, page_size=1)
    next(users)

    # As when the garbage collector runs on the loop thread: closing the
    # iterator there must not wait for the loop it is running on.
    async def close_on_loop() -> None:
        users.close()

    finisher = threading.Thread(
        target=red5._portal_thread.call, args=(close_on_loop,), daemon=True
    )
    finisher.start()
    finisher.join(timeout=5)

    # A stuck loop would make close() wait forever too, so it is not called.
    assert not finisher.is_alive(), "the loop thread waits for itself"
    assert red5.get_room_list().rooms is not None
    red5.close()

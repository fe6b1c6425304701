"""Load with injected faults: every call ends, typed, within the pool limit.

One client makes thousands of mixed calls against the loopback emulator
while about 5% of requests get a scripted fault. Every call must end with a
result or a `Red5Error` before its deadline, the client must never hold more
sockets than its pool allows, and closing it must leave no socket or thread.

The default transport (aiohttp under asyncio) takes 10,000 calls. httpx2's
transport, on asyncio and on trio, takes 2,500 each, because it costs about
half again as much CPU per call and the whole folder must stay fast on two
cores.
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx2
import pytest

from red5_bcs import AsyncRed5Client, Red5Client, Red5Error
from red5_bcs.testing import Emulator, EmulatorServer

from .support import API, GRANT, SocketSampler, wait_for_no_sockets

pytestmark = pytest.mark.network

LOAD_CASES = [
    ("asyncio", "aiohttp", 10_000),
    ("asyncio", "httpx", 2_500),
    ("trio", "httpx", 2_500),
]
LOAD_IDS = ["asyncio-aiohttp", "asyncio-httpx", "trio-httpx"]
CONCURRENCY = 500
MAX_CONNECTIONS = 50
POOL = httpx2.Limits(
    max_connections=MAX_CONNECTIONS, max_keepalive_connections=MAX_CONNECTIONS
)
# Attempts time out after 5 s and a call makes at most 3 of them; anything
# still running after 30 s is hung.
CALL_DEADLINE = 30.0
FAULT_RATE = 0.05
FAULTS: list[dict[str, Any]] = [
    {"status": 503},
    {"status": 500, "body": {"message": "injected failure"}},
    {"status": 429, "headers": {"Retry-After": "0"}},
    {"drop": "before_response"},
    {"drop": "during_body"},
    {"malformed": "not_json"},
    {"malformed": "html", "status": 502},
    {"delay": 0.05},
]
ROOM_IDS = [f"load-{index}" for index in range(5)]
USER_IDS = ["ann", "bob"]
SYNC_THREADS = 16
SYNC_CALLS_PER_THREAD = 150


def _inject_faults(emulator: Emulator, calls: int) -> None:
    """Queue a fault for about 5% of the requests of every kind."""
    rng = random.Random(calls)
    scripts = calls // 1000 + 2
    for method, prefix in [
        ("GET", API),
        ("POST", API),
        ("DELETE", API),
        ("POST", GRANT),
    ]:
        for _ in range(scripts):
            outcomes = [
                rng.choice(FAULTS) if rng.random() < FAULT_RATE else {}
                for _ in range(1000)
            ]
            emulator.add_faults(method, prefix, outcomes)


def _call_for(index: int) -> tuple[str, tuple[object, ...]]:
    """Return the method and arguments of the `index`-th call of the mix.

    The mix covers every kind of request: GETs, chat and conference tokens
    (PubNub grants), POSTs and DELETEs. Both clients run it.
    """
    room = ROOM_IDS[index % len(ROOM_IDS)]
    user = USER_IDS[index % len(USER_IDS)]
    guest = f"guest-{index}"
    mix: list[tuple[str, tuple[object, ...]]] = [
        ("get_room_list", ()),
        ("get_user_list", (room,)),
        ("get_user_status", (room, user)),
        ("is_user_joined", (room, user)),
        ("get_host_list", (room,)),
        ("get_chat_token", (guest, room, True, False)),
        ("get_conference_token", (guest, room)),
        ("get_transcriptions", (room,)),
        ("add_external_stream", (room, f"cam-{index}")),
        ("remove_external_stream", (room, f"cam-{index - 10}")),
    ]
    return mix[index % len(mix)]


async def _join_everyone(red5: AsyncRed5Client, emulator: Emulator) -> None:
    for room in ROOM_IDS:
        for user in USER_IDS:
            emulator.join(await red5.get_conference_token(user, room))


def _outcome(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    if isinstance(exc, Red5Error):
        return type(exc).__name__
    return f"untyped {type(exc).__name__}"


@pytest.fixture(params=LOAD_CASES, ids=LOAD_IDS)
def load_case(request: pytest.FixtureRequest) -> tuple[str, str, int]:
    backend, transport, calls = request.param
    return backend, transport, calls


@pytest.fixture
def anyio_backend(load_case: tuple[str, str, int]) -> str:
    return load_case[0]


@pytest.mark.anyio
async def test_async_client_under_load_loses_no_call(
    live: EmulatorServer, load_case: tuple[str, str, int], no_wait: list[float]
) -> None:
    _, transport, calls = load_case
    threads_before = set(threading.enumerate())
    outcomes: Counter[str] = Counter()
    indexes = itertools.count()

    async def worker(red5: AsyncRed5Client) -> None:
        while (index := next(indexes)) < calls:
            error: BaseException | None = None
            with anyio.move_on_after(CALL_DEADLINE) as deadline:
                try:
                    name, arguments = _call_for(index)
                    await getattr(red5, name)(*arguments)
                except Exception as exc:
                    error = exc
            outcomes["hung" if deadline.cancelled_caught else _outcome(error)] += 1

    red5 = live.async_client(
        transport=transport, timeout=5.0, max_retries=2, limits=POOL
    )
    with SocketSampler(live.port) as sockets:
        await _join_everyone(red5, live.emulator)
        _inject_faults(live.emulator, calls)
        async with anyio.create_task_group() as group:
            for _ in range(CONCURRENCY):
                group.start_soon(worker, red5)
        await red5.aclose()

    faulted = sum(
        1 for entry in live.emulator.requests if entry.fault not in (None, "pass")
    )
    assert sum(outcomes.values()) == calls
    assert outcomes["hung"] == 0
    assert [name for name in outcomes if name.startswith("untyped")] == []
    assert outcomes["ok"] >= calls * 0.8
    assert faulted >= calls * 0.02
    assert sockets.samples > 0
    assert 1 <= sockets.peak <= MAX_CONNECTIONS
    assert wait_for_no_sockets(live.port) == 0
    assert _threads_started_since(threads_before) == []


def test_sync_client_threads_lose_no_call(
    live: EmulatorServer, no_wait: list[float]
) -> None:
    calls = SYNC_THREADS * SYNC_CALLS_PER_THREAD
    threads_before = set(threading.enumerate())
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def worker(red5: Red5Client, first: int) -> None:
        for index in range(first, calls, SYNC_THREADS):
            started = time.monotonic()
            error: BaseException | None = None
            try:
                name, arguments = _call_for(index)
                getattr(red5, name)(*arguments)
            except Exception as exc:
                error = exc
            hung = time.monotonic() - started > CALL_DEADLINE
            with lock:
                outcomes["hung" if hung else _outcome(error)] += 1

    red5 = live.client(timeout=5.0, max_retries=2, limits=POOL)
    with SocketSampler(live.port) as sockets:
        for room in ROOM_IDS:
            for user in USER_IDS:
                live.emulator.join(red5.get_conference_token(user, room))
        _inject_faults(live.emulator, calls)
        with ThreadPoolExecutor(SYNC_THREADS) as pool:
            futures = [
                pool.submit(worker, red5, first) for first in range(SYNC_THREADS)
            ]
            for future in futures:
                future.result(timeout=300)
        red5.close()

    assert sum(outcomes.values()) == calls
    assert outcomes["hung"] == 0
    assert [name for name in outcomes if name.startswith("untyped")] == []
    assert outcomes["ok"] >= calls * 0.8
    assert 1 <= sockets.peak <= MAX_CONNECTIONS
    assert wait_for_no_sockets(live.port) == 0
    assert _threads_started_since(threads_before) == []


def _threads_started_since(before: set[threading.Thread]) -> list[str]:
    # anyio's pytest runner runs trio in guest mode, which waits for I/O in
    # trio's cached worker threads, named "Trio thread <n>".
    return [
        thread.name
        for thread in threading.enumerate()
        if thread not in before and not thread.name.startswith("Trio thread")
    ]

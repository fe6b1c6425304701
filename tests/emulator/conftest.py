"""Fixtures of the emulator tests: backends, a manual clock and raw clients."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import httpx2
import pytest

from red5_bcs.testing import Emulator, EmulatorServer, ManualClock


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every async emulator test on both asyncio and trio."""
    return str(request.param)


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when a test advances it."""
    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock) -> Emulator:
    """A new in-process emulator on the manual clock."""
    return Emulator(clock=clock)


@pytest.fixture
async def http(emulator: Emulator) -> AsyncIterator[httpx2.AsyncClient]:
    """A raw httpx2 client that reaches the emulator in-process."""
    async with httpx2.AsyncClient(
        transport=emulator.http_transport(), base_url="http://red5-emulator.invalid"
    ) as client:
        yield client


@pytest.fixture
def server(emulator: Emulator) -> Iterator[EmulatorServer]:
    """The emulator served on a free port of 127.0.0.1."""
    with EmulatorServer(emulator) as running:
        yield running


@dataclass(frozen=True)
class Target:
    """A raw client on the emulator and how it reaches it."""

    http: httpx2.AsyncClient
    socket: bool


@pytest.fixture(params=["in-process", "socket"])
async def target(
    request: pytest.FixtureRequest, emulator: Emulator
) -> AsyncIterator[Target]:
    """The emulator reached in-process, or over a loopback socket with uvicorn."""
    if request.param == "in-process":
        async with httpx2.AsyncClient(
            transport=emulator.http_transport(), base_url="http://red5-emulator.invalid"
        ) as client:
            yield Target(client, socket=False)
        return

    with EmulatorServer(emulator) as running:
        async with httpx2.AsyncClient(base_url=running.pubnub_base_url) as client:
            yield Target(client, socket=True)


@pytest.fixture
def any_http(target: Target) -> httpx2.AsyncClient:
    """A raw httpx2 client on the emulator, in-process or over a socket."""
    return target.http

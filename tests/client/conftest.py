"""Fixtures for running both SDK clients against the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from red5_bcs import AsyncRed5Client, Red5Client
from red5_bcs.testing import Emulator, EmulatorServer, ManualClock


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def emulator(clock: ManualClock) -> Emulator:
    return Emulator(clock=clock)


@pytest.fixture
async def red5(emulator: Emulator) -> AsyncIterator[AsyncRed5Client]:
    """An AsyncRed5Client on the in-process emulator, without retries."""
    async with emulator.async_client(max_retries=0) as client:
        yield client


@pytest.fixture
def red5_sync(emulator: Emulator) -> Iterator[Red5Client]:
    """A blocking Red5Client on the in-process emulator."""
    with emulator.client(max_retries=0) as client:
        yield client


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    """One emulator on a loopback socket, on the wall clock, per module."""
    with EmulatorServer(Emulator()) as running:
        yield running


@pytest.fixture
def live(server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The module's socket emulator, emptied before each test."""
    server.emulator.reset()
    yield server
    server.emulator.reset()

"""Fixtures of the reliability tests: a loopback emulator, transports and waits."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from red5_bcs import _http
from red5_bcs.testing import Emulator, EmulatorServer

# Every way the SDK reaches a server: aiohttp is the default under asyncio,
# httpx2's own transport is the alternative there and the only one under trio.
TRANSPORTS = [("asyncio", "aiohttp"), ("asyncio", "httpx"), ("trio", "httpx")]
TRANSPORT_IDS = ["asyncio-aiohttp", "asyncio-httpx", "trio-httpx"]


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    """One emulator on 127.0.0.1, on the wall clock, per module."""
    with EmulatorServer(Emulator()) as running:
        yield running


@pytest.fixture
def live(server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The module's loopback emulator, emptied before and after each test."""
    server.emulator.reset()
    yield server
    server.emulator.reset()


@pytest.fixture(params=TRANSPORTS, ids=TRANSPORT_IDS)
def transport_case(request: pytest.FixtureRequest) -> tuple[str, str]:
    """An event loop and the transport to use on it."""
    backend, transport = request.param
    return backend, transport


@pytest.fixture
def no_wait(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record each retry wait, in seconds, instead of sleeping through it."""
    waits: list[float] = []

    async def record(delay: float) -> None:
        waits.append(delay)

    monkeypatch.setattr(_http, "_sleep", record)
    return waits


@pytest.fixture(autouse=True)
def signed_requests(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Record every PubNub request signature, for the secret scans."""
    from red5_bcs import _pubnub

    from .support import SIGNATURES

    original = _pubnub.sign_request

    def recording(**kwargs: Any) -> str:
        signature = original(**kwargs)
        SIGNATURES.append(signature)
        return signature

    SIGNATURES.clear()
    monkeypatch.setattr(_pubnub, "sign_request", recording)
    yield SIGNATURES
    SIGNATURES.clear()

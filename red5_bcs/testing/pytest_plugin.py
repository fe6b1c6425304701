"""pytest fixtures for testing code that uses red5-bcs against the emulator.

pytest loads this plugin automatically wherever red5-bcs is installed. It
imports the emulator only inside the fixtures, so it costs nothing, and
fails nothing, in projects that do not use it or lack the `emulator` extra.

Fixtures (all function-scoped, so every test starts from an empty account):

- `red5_emulator`: an in-process `Emulator` whose clock is a `ManualClock`;
  move time with `red5_emulator.clock.advance(seconds)`.
- `red5_async_client`: an `AsyncRed5Client` wired to `red5_emulator`.
- `red5_client`: a blocking `Red5Client` wired to `red5_emulator`.
- `red5_emulator_server`: `red5_emulator` served on a free port of
  127.0.0.1, for code that needs a real socket or the `RED5_*` variables.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from red5_bcs import AsyncRed5Client, Red5Client
    from red5_bcs.testing import Emulator, EmulatorServer

__all__ = [
    "red5_async_client",
    "red5_client",
    "red5_emulator",
    "red5_emulator_server",
]


@pytest.fixture
def red5_emulator() -> Emulator:
    """Return a new in-process emulator with a `ManualClock`."""
    try:
        from red5_bcs.testing import Emulator, ManualClock
    except ImportError as exc:
        pytest.fail(str(exc), pytrace=False)
    return Emulator(clock=ManualClock())


@pytest.fixture
def red5_async_client(red5_emulator: Emulator) -> Iterator[AsyncRed5Client]:
    """Yield an `AsyncRed5Client` on `red5_emulator`, closed after the test."""
    import anyio

    client = red5_emulator.async_client()
    yield client
    if not client.is_closed:
        anyio.run(client.aclose)


@pytest.fixture
def red5_client(red5_emulator: Emulator) -> Iterator[Red5Client]:
    """Yield a blocking `Red5Client` on `red5_emulator`, closed after the test."""
    with red5_emulator.client() as client:
        yield client


@pytest.fixture
def red5_emulator_server(red5_emulator: Emulator) -> Iterator[EmulatorServer]:
    """Yield `red5_emulator` served on 127.0.0.1, stopped after the test."""
    from red5_bcs.testing import EmulatorServer

    with EmulatorServer(red5_emulator) as server:
        yield server

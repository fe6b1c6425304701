"""Fixtures of the command-line tests: an emulator on 127.0.0.1 and a runner.

Every command runs with all four RED5_* variables pointing at a loopback
emulator (or deliberately removed), so no test can reach a real service.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from red5_bcs import Red5Client, Role
from red5_bcs._cli import app
from red5_bcs.testing import Emulator, EmulatorServer, ManualClock

Invoke = Callable[..., Result]


@dataclass
class Loopback:
    """An emulator served on 127.0.0.1 and a client that reaches it."""

    emulator: Emulator
    server: EmulatorServer
    client: Red5Client

    @property
    def env(self) -> dict[str, str]:
        """The RED5_* variables that point the command at the server."""
        return self.server.env()

    def join(self, room: str, user: str, role: Role = Role.PUBLISHER) -> str:
        """Mint a conference token, join the room with it and return it."""
        token = self.client.get_conference_token(user, room, role)
        self.emulator.join(token)
        return token


def _serve(clock: Any = None) -> Iterator[Loopback]:
    emulator = Emulator(clock=clock)
    with (
        EmulatorServer(emulator, host="127.0.0.1", port=0) as server,
        server.client() as client,
    ):
        yield Loopback(emulator, server, client)


@pytest.fixture(scope="session")
def loopback() -> Iterator[Loopback]:
    """An emulator on the wall clock, shared by the tests; rooms are per test."""
    yield from _serve()


@pytest.fixture
def fresh_loopback() -> Iterator[Loopback]:
    """An emulator of the test's own, for tests that count every room."""
    yield from _serve()


@pytest.fixture
def manual_loopback() -> Iterator[Loopback]:
    """An emulator whose clock a test moves, for transcripts.

    The clock starts a minute ahead of the wall clock because the command
    signs its admin tokens with the wall clock, and the emulator rejects a
    token issued after its own current time.
    """
    yield from _serve(ManualClock(time.time() + 60))


@pytest.fixture
def room(request: pytest.FixtureRequest) -> str:
    """A room id of the test's own, so tests on the shared emulator never meet."""
    name = request.node.name.replace("[", "-").replace("]", "")
    return f"r-{name}"[:80]


def run_command(
    args: Sequence[str],
    env: Mapping[str, str | None],
    *,
    input: str | bytes | None = None,
) -> Result:
    """Run `red5-bcs` in-process with exactly the given RED5_* variables."""
    full_env: dict[str, str | None] = {
        "RED5_MASTER_KEY": None,
        "RED5_MASTER_SECRET": None,
        "RED5_BASE_URL": None,
        "RED5_PUBNUB_BASE_URL": None,
        "COLUMNS": "200",
    }
    full_env.update(env)
    return CliRunner().invoke(app, list(args), env=full_env, input=input)


@pytest.fixture
def invoke(loopback: Loopback) -> Invoke:
    """Run `red5-bcs` against the shared loopback emulator."""

    def run(*args: str, input: str | bytes | None = None, **env: str | None) -> Result:
        return run_command(args, {**loopback.env, **env}, input=input)

    return run


@pytest.fixture
def closed_port_url() -> str:
    """An http URL on 127.0.0.1 where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"

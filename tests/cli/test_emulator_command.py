"""`red5-bcs emulator` as a real process: four lines, an API, a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from red5_bcs import Red5Client

from .conftest import run_command

VARIABLES = (
    "RED5_MASTER_KEY",
    "RED5_MASTER_SECRET",
    "RED5_BASE_URL",
    "RED5_PUBNUB_BASE_URL",
)
STOP_TIMEOUT_SECONDS = 20


@contextmanager
def emulator_process(*args: str) -> Iterator[subprocess.Popen[str]]:
    """Start `red5-bcs emulator` on 127.0.0.1; kill it if the test did not stop it."""
    env = {name: value for name, value in os.environ.items() if name not in VARIABLES}
    process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "red5_bcs", "emulator", "--host", "127.0.0.1", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=STOP_TIMEOUT_SECONDS)


def _read_variables(process: subprocess.Popen[str]) -> dict[str, str]:
    assert process.stdout is not None
    lines = [process.stdout.readline().rstrip("\n") for _ in VARIABLES]
    pairs = dict(line.split("=", 1) for line in lines)
    assert list(pairs) == list(VARIABLES), lines
    return pairs


def _stop(process: subprocess.Popen[str], signum: int) -> tuple[int, str]:
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=STOP_TIMEOUT_SECONDS)
    return process.returncode, stderr


@pytest.mark.network
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_serves_until_signal(signum: int) -> None:
    with emulator_process("--port", "0") as process:
        variables = _read_variables(process)

        with Red5Client(
            variables["RED5_MASTER_KEY"],
            variables["RED5_MASTER_SECRET"],
            base_url=variables["RED5_BASE_URL"],
            pubnub_base_url=variables["RED5_PUBNUB_BASE_URL"],
        ) as client:
            token = client.get_conference_token("alice", "standup")
            claims = client.verify_conference_token(token)
            rooms = client.get_room_list("all")

        returncode, stderr = _stop(process, signum)

    assert variables["RED5_BASE_URL"].startswith("http://127.0.0.1:")
    assert variables["RED5_PUBNUB_BASE_URL"].startswith("http://127.0.0.1:")
    assert claims.uid == "alice"
    assert rooms.room_count == 0
    assert returncode == 0, stderr
    assert "Traceback" not in stderr
    assert "Red5 emulator listening on 127.0.0.1:" in stderr
    assert "press Ctrl-C to stop" in stderr
    assert "Stopping the emulator." in stderr
    assert "Warning" not in stderr


@pytest.mark.network
def test_printed_variables_drive_cli() -> None:
    with emulator_process("--port", "0") as process:
        variables = _read_variables(process)

        result = run_command(
            ["token", "conference", "bob", "room-1", "--json"], variables
        )
        rooms = run_command(["rooms", "--json", "--state", "all"], variables)

        _stop(process, signal.SIGINT)

    assert result.exit_code == 0, result.output
    assert rooms.exit_code == 0, rooms.output


@pytest.mark.network
def test_port_in_use_exits_1() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with emulator_process("--port", str(port)) as process:
            _, stderr = process.communicate(timeout=STOP_TIMEOUT_SECONDS)

    assert process.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in stderr
    assert "Traceback" not in stderr


def test_port_out_of_range_exits_2() -> None:
    result = run_command(["emulator", "--port", "70000"], {})

    assert result.exit_code == 2


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.0.2.10", False),
    ],
)
def test_non_loopback_hosts_are_flagged(host: str, loopback: bool) -> None:
    from red5_bcs.testing._command import _is_loopback

    assert _is_loopback(host) is loopback

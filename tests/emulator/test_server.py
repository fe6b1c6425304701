"""EmulatorServer on a loopback socket, and the CLI's run_cli_emulator."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading

import anyio
import httpx2
import pytest

from red5_bcs import Red5Credentials
from red5_bcs.testing import Emulator, EmulatorServer, ManualClock, run_cli_emulator
from red5_bcs.testing._server import _advertised

from .helpers import API, bearer

CLI_SCRIPT = (
    "from red5_bcs.testing import run_cli_emulator; run_cli_emulator('127.0.0.1', 0)"
)


def test_env_points_at_real_port(server: EmulatorServer) -> None:
    env = server.env()
    opened = Red5Credentials.from_master(
        env["RED5_MASTER_KEY"], env["RED5_MASTER_SECRET"]
    )

    assert list(env) == [
        "RED5_MASTER_KEY",
        "RED5_MASTER_SECRET",
        "RED5_BASE_URL",
        "RED5_PUBNUB_BASE_URL",
    ]
    assert opened.stream_manager_host == f"127.0.0.1:{server.port}"
    assert env["RED5_BASE_URL"] == f"http://127.0.0.1:{server.port}{API}"
    assert env["RED5_PUBNUB_BASE_URL"] == f"http://127.0.0.1:{server.port}"
    assert opened.conference_secret == server.emulator.credentials.conference_secret


def test_server_responds_over_socket(
    server: EmulatorServer, emulator: Emulator
) -> None:
    response = httpx2.get(server.base_url + "/rooms", headers=bearer(emulator))

    assert response.status_code == 200
    assert response.json() == {"roomCount": 0, "rooms": []}


def test_stopped_server_has_no_address(emulator: Emulator) -> None:
    server = EmulatorServer(emulator)

    with pytest.raises(RuntimeError, match="not running"):
        _ = server.port
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.master_secret
    assert server.is_running is False
    assert repr(server) == "<EmulatorServer not running>"


def test_start_twice_raises(emulator: Emulator) -> None:
    server = EmulatorServer(emulator).start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            server.start()
    finally:
        server.stop()
    server.stop()

    assert server.is_running is False


def test_server_restarts_after_stop(emulator: Emulator) -> None:
    server = EmulatorServer(emulator)
    with server:
        first = server.port
    with server:
        response = httpx2.get(server.pubnub_base_url + "/nowhere")

    assert first > 0
    assert response.status_code == 404


def test_busy_port_raises(server: EmulatorServer, emulator: Emulator) -> None:
    other = EmulatorServer(emulator, port=server.port)

    with pytest.raises(OSError, match="in use"):
        other.start()


def test_reprs_hide_secrets(server: EmulatorServer, emulator: Emulator) -> None:
    secrets = [
        emulator.master_secret,
        server.master_secret,
        emulator.credentials.conference_secret.get_secret_value(),
        emulator.credentials.pubnub_secret_key.get_secret_value(),
    ]
    shown = " ".join(
        repr(value)
        for value in (
            emulator,
            server,
            emulator.credentials,
            emulator.clock,
            emulator._core,
        )
    )

    for secret in secrets:
        assert secret not in shown


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_async_context_serves_in_running_loop(emulator: Emulator) -> None:
    async with EmulatorServer(emulator) as server, httpx2.AsyncClient() as http:
        response = await http.get(server.base_url + "/rooms", headers=bearer(emulator))

    assert response.status_code == 200
    assert server.is_running is False


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["trio"])
async def test_async_context_needs_asyncio(emulator: Emulator) -> None:
    server = EmulatorServer(emulator)

    with pytest.raises(RuntimeError, match="asyncio"):
        await server.__aenter__()

    assert server.is_running is False
    with server:
        assert server.is_running is True


@pytest.mark.parametrize(
    ("host", "advertised"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("0.0.0.0", "127.0.0.1"),
        ("::", "[::1]"),
        ("::1", "[::1]"),
    ],
)
def test_wildcard_hosts_are_advertised_as_loopback(host: str, advertised: str) -> None:
    assert _advertised(host) == advertised


def test_ipv6_loopback_server(emulator: Emulator) -> None:
    if not socket.has_ipv6:
        pytest.skip("IPv6 is not available")
    try:
        server = EmulatorServer(emulator, host="::1").start()
    except OSError:
        pytest.skip("::1 cannot be bound here")
    try:
        port = server.port
        opened = Red5Credentials.from_master(server.master_key, server.master_secret)
        response = httpx2.get(server.pubnub_base_url + "/nowhere")
    finally:
        server.stop()

    assert opened.stream_manager_host == f"[::1]:{port}"
    assert response.status_code == 404


def test_server_clock_is_emulator_clock() -> None:
    clock = ManualClock(1_800_000_000)
    with EmulatorServer(Emulator(clock=clock)) as server, server.client() as red5:
        token = red5.get_conference_token("alice", "room")

    assert red5.decode_conference_token(token).iat == 1_800_000_000


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_cli_prints_environment_and_stops_on_signal(sig: signal.Signals) -> None:
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", CLI_SCRIPT],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().rstrip("\n") for _ in range(4)]
        values = dict(line.split("=", 1) for line in lines)
        response = httpx2.get(values["RED5_PUBNUB_BASE_URL"] + "/nowhere")
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=15)
    finally:
        process.kill()
        process.wait()

    assert [line.split("=", 1)[0] for line in lines] == [
        "RED5_MASTER_KEY",
        "RED5_MASTER_SECRET",
        "RED5_BASE_URL",
        "RED5_PUBNUB_BASE_URL",
    ]
    assert values["RED5_BASE_URL"].startswith("http://127.0.0.1:")
    assert response.status_code == 404
    assert process.returncode == 0, stderr


def test_cli_refuses_other_threads() -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            run_cli_emulator("127.0.0.1", 0)
        except RuntimeError as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()

    assert len(errors) == 1
    assert "main thread" in str(errors[0])


@pytest.mark.anyio
async def test_client_leaving_mid_delay_logs_no_error(
    server: EmulatorServer, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.add_faults("POST", "/v3/pam/", [{"delay": 0.3}])

    async with server.async_client(max_retries=0) as red5:
        with anyio.move_on_after(0.1):
            await red5.get_conference_token("ann", "standup")
        # The emulator reads the grant's body once the delay ends, and only
        # then finds the client gone.
        await anyio.sleep(0.5)

    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == []

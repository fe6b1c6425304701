"""Every example in examples/, run against an emulator on 127.0.0.1.

The scripts run as subprocesses of this interpreter, with the four `RED5_*`
variables of an `EmulatorServer` and no other `RED5_*` variable, so they can
reach nothing but the loopback emulator. The FastAPI example is driven
in-process through `httpx2.ASGITransport`, and once under uvicorn.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
import pytest
from fastapi import FastAPI

from red5_bcs import parse_chat_token
from red5_bcs.testing import Emulator, EmulatorServer

pytestmark = pytest.mark.network

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# A generous bound for a cold interpreter start plus a few requests.
RUN_TIMEOUT = 60.0
CONFERENCE = "/as/v1/conference"


@pytest.fixture
def emulator() -> Emulator:
    """An emulator on the wall clock, because the examples use the wall clock."""
    return Emulator()


@pytest.fixture
def server(emulator: Emulator) -> Iterator[EmulatorServer]:
    """The emulator served on a free port of 127.0.0.1."""
    with EmulatorServer(emulator, host="127.0.0.1") as running:
        yield running


def example_env(server: EmulatorServer) -> dict[str, str]:
    """This process's environment, with RED5_* pointing only at `server`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("RED5_")
    }
    env.update(server.env())
    env["PYTHONUNBUFFERED"] = "1"
    return env


def run_example(
    server: EmulatorServer, name: str, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run `examples/<name>` to completion and return its result."""
    return subprocess.run(  # noqa: S603 - this interpreter on a file of this repository
        [sys.executable, str(EXAMPLES / name), *args],
        cwd=ROOT,
        env=example_env(server),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )


def join(emulator: Emulator, user_id: str, room_id: str) -> str:
    """Put a user online in a room, and return their conference token."""
    with emulator.client() as red5:
        token = red5.get_conference_token(user_id, room_id)
    emulator.join(token)
    return token


def test_env_points_only_at_loopback(server: EmulatorServer) -> None:
    env = example_env(server)
    red5 = {name: value for name, value in env.items() if name.startswith("RED5_")}

    assert set(red5) == {
        "RED5_MASTER_KEY",
        "RED5_MASTER_SECRET",
        "RED5_BASE_URL",
        "RED5_PUBNUB_BASE_URL",
    }
    assert red5["RED5_BASE_URL"].startswith("http://127.0.0.1:")
    assert red5["RED5_PUBNUB_BASE_URL"].startswith("http://127.0.0.1:")


# blocking_script.py


def test_blocking_script_runs_every_step(
    emulator: Emulator, server: EmulatorServer
) -> None:
    join(emulator, "alice", "standup")
    join(emulator, "bob", "standup")

    result = run_example(
        server,
        "blocking_script.py",
        "--room",
        "standup",
        "--block",
        "bob",
        "--block-seconds",
        "120",
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"conference API: {server.base_url}" in out
    assert (
        "conference token: uid=alice room=standup role=publisher lifetime=3600s" in out
    )
    assert (
        "chat token: user=alice channels: standup-chat (read=True, write=False)" in out
    )
    assert "rooms: 1" in out
    assert "users in standup: 2" in out
    assert "block: User with ID bob in room standup blocked for 120 seconds" in out
    assert "bob still joined after the block: False" in out
    assert "unblock: User with ID bob in room standup unblocked" in out
    assert "eyJ" not in out


def test_blocking_script_explains_empty_room(server: EmulatorServer) -> None:
    result = run_example(server, "blocking_script.py", "--room", "empty-room")

    assert result.returncode == 0
    assert "users in empty-room: none, nobody has joined it yet" in result.stdout


def test_blocking_script_reports_api_error(server: EmulatorServer) -> None:
    args = ("--room", "empty-room", "--block", "bob")
    result = run_example(server, "blocking_script.py", *args)

    assert result.returncode == 1
    assert "error: NotFoundError:" in result.stderr
    assert "Traceback" not in result.stderr


# asyncio_worker.py


def test_asyncio_worker_once_lists_rooms(
    emulator: Emulator, server: EmulatorServer
) -> None:
    join(emulator, "alice", "standup")
    join(emulator, "bob", "standup")
    join(emulator, "carol", "design")
    join(emulator, "dave", "standup")
    emulator.leave("standup", "dave")

    result = run_example(server, "asyncio_worker.py", "--once")

    assert result.returncode == 0, result.stderr
    assert "room standup: 2 online (alice, bob)" in result.stdout
    assert "room design: 1 online (carol)" in result.stdout
    assert "poll done: 2 active rooms" in result.stdout
    assert "Worker started" in result.stderr
    assert "Worker stopped after 1 polls." in result.stderr


def test_asyncio_worker_backs_off_and_recovers(
    emulator: Emulator, server: EmulatorServer
) -> None:
    join(emulator, "alice", "standup")
    # Three 503s use up the first poll's request and its two retries.
    emulator.add_faults("GET", f"{CONFERENCE}/rooms", [{"status": 503}] * 3)

    result = run_example(
        server, "asyncio_worker.py", "--iterations", "2", "--interval", "0.1"
    )

    assert result.returncode == 0, result.stderr
    assert "Poll failed (1 in a row)" in result.stderr
    assert result.stdout.count("poll done: 1 active rooms") == 1
    assert "Worker stopped after 2 polls." in result.stderr


def test_asyncio_worker_failed_poll_exits_1(
    emulator: Emulator, server: EmulatorServer
) -> None:
    emulator.add_faults("GET", f"{CONFERENCE}/rooms", [{"status": 500}] * 3)

    result = run_example(server, "asyncio_worker.py", "--once")

    assert result.returncode == 1
    assert "Poll failed (1 in a row)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_asyncio_worker_stops_on_signal(
    emulator: Emulator, server: EmulatorServer, signum: signal.Signals
) -> None:
    join(emulator, "alice", "standup")
    command = [sys.executable, str(EXAMPLES / "asyncio_worker.py"), "--interval", "30"]
    with subprocess.Popen(  # noqa: S603 - this interpreter on a file of this repository
        command,
        cwd=ROOT,
        env=example_env(server),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as worker:
        assert worker.stdout is not None
        first = worker.stdout.readline()
        worker.send_signal(signum)
        _, err = worker.communicate(timeout=RUN_TIMEOUT)

    assert first == "room standup: 1 online (alice)\n"
    assert worker.returncode == 0, err
    assert "Worker stopped after 1 polls." in err
    assert "Traceback" not in err


# trio_program.py


def test_trio_program_mints_tokens_for_empty_room(server: EmulatorServer) -> None:
    result = run_example(server, "trio_program.py", "--room", "standup")

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "token for alice: room=standup role=admin expires in 3600s" in out
    assert "token for bob: room=standup role=publisher expires in 3600s" in out
    assert "token for carol: room=standup role=publisher expires in 3600s" in out
    assert "room standup: nobody has joined yet" in out
    assert "eyJ" not in out


def test_trio_program_reads_joined_room(
    emulator: Emulator, server: EmulatorServer
) -> None:
    join(emulator, "dave", "standup")
    join(emulator, "erin", "standup")

    result = run_example(
        server, "trio_program.py", "--room", "standup", "--minutes", "5", "dave"
    )

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "token for dave: room=standup role=admin expires in 300s" in out
    assert "room standup: 2 participants" in out
    assert "  dave: publisher, online=True" in out
    assert "  erin: publisher, online=True" in out


def test_trio_program_reports_grant_failure(
    emulator: Emulator, server: EmulatorServer
) -> None:
    emulator.add_faults("POST", "/v3/pam/", [{"status": 403}] * 3)

    result = run_example(server, "trio_program.py", "alice", "bob", "carol")

    assert result.returncode == 1
    assert "error: ChatGrantError:" in result.stderr
    assert "Traceback" not in result.stderr


# fastapi_app.py, in-process


def session(name: str) -> dict[str, str]:
    """The Authorization header of a demo session."""
    return {"Authorization": f"Bearer {name}-session"}


@pytest.fixture
def example_app(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    """A new app from examples/fastapi_app.py, configured from RED5_* only."""
    for name in list(os.environ):
        if name.startswith("RED5_"):
            monkeypatch.delenv(name)
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    from examples.fastapi_app import create_app

    return create_app()


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """Run the app's lifespan and yield an HTTP client that calls it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as http:
            yield http


@pytest.mark.anyio
async def test_fastapi_example_mints_own_tokens(
    emulator: Emulator, example_app: FastAPI
) -> None:
    body = {"user_id": "bob", "room_id": "standup"}
    async with running(example_app) as http:
        own = await http.post(
            "/red5/tokens/conference", headers=session("bob"), json=body
        )
        chat = await http.post(
            "/red5/tokens/chat",
            headers=session("bob"),
            json={
                "user_id": "bob",
                "channel_id": "standup",
                "read": True,
                "write": True,
            },
        )

    assert own.status_code == 200
    assert emulator.join(own.json()["token"]).uid == "bob"
    assert chat.status_code == 200
    assert parse_chat_token(chat.json()["token"]).authorized_uuid == "bob"


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("user", "method", "path", "body"),
    [
        (
            "bob",
            "POST",
            "/red5/tokens/conference",
            {"user_id": "alice", "room_id": "standup"},
        ),
        (
            "bob",
            "POST",
            "/red5/tokens/conference",
            {"user_id": "bob", "room_id": "design"},
        ),
        (
            "bob",
            "POST",
            "/red5/tokens/conference",
            {"user_id": "bob", "room_id": "standup", "role": "admin"},
        ),
        ("bob", "POST", "/red5/rooms/standup/recording/start", None),
        (
            "bob",
            "POST",
            "/red5/rooms/standup/block",
            {"user_id": "alice", "seconds": 9},
        ),
        ("carol", "GET", "/red5/rooms/standup/users", None),
    ],
)
async def test_fastapi_example_denies_outside_policy(
    emulator: Emulator,
    example_app: FastAPI,
    user: str,
    method: str,
    path: str,
    body: dict[str, str] | None,
) -> None:
    async with running(example_app) as http:
        response = await http.request(method, path, headers=session(user), json=body)

    assert response.status_code == 403
    assert emulator.requests == []


@pytest.mark.anyio
async def test_fastapi_example_lets_admin_record(
    emulator: Emulator, example_app: FastAPI
) -> None:
    join(emulator, "bob", "standup")
    async with running(example_app) as http:
        started = await http.post(
            "/red5/rooms/standup/recording/start", headers=session("alice")
        )
        users = await http.get("/red5/rooms/standup/users", headers=session("bob"))

    assert started.status_code == 200
    assert started.json()["participant_count"] == 1
    assert users.status_code == 200
    assert [user["uid"] for user in users.json()["users"]] == ["bob"]


@pytest.mark.anyio
async def test_fastapi_example_requires_session(example_app: FastAPI) -> None:
    async with running(example_app) as http:
        missing = await http.get("/red5/rooms/standup/users")
        unknown = await http.get(
            "/red5/rooms/standup/users", headers={"Authorization": "Bearer nope"}
        )

    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert unknown.status_code == 401


@pytest.mark.anyio
async def test_fastapi_example_caps_token_lifetime(example_app: FastAPI) -> None:
    body = {"user_id": "bob", "room_id": "standup", "expiration_minutes": 481}
    async with running(example_app) as http:
        response = await http.post(
            "/red5/tokens/conference", headers=session("bob"), json=body
        )

    assert response.status_code == 422
    assert response.json()["argument"] == "expiration_minutes"


@pytest.mark.anyio
async def test_fastapi_example_presence_route(
    emulator: Emulator, example_app: FastAPI
) -> None:
    async with running(example_app) as http:
        before = await http.get("/me/rooms/standup", headers=session("bob"))
        join(emulator, "bob", "standup")
        after = await http.get("/me/rooms/standup", headers=session("bob"))
        foreign = await http.get("/me/rooms/design", headers=session("bob"))

    assert before.json() == {"user_id": "bob", "room_id": "standup", "joined": False}
    assert after.json() == {"user_id": "bob", "room_id": "standup", "joined": True}
    assert foreign.status_code == 404


@pytest.mark.anyio
async def test_fastapi_example_presence_errors(
    emulator: Emulator, example_app: FastAPI
) -> None:
    emulator.add_faults("GET", f"{CONFERENCE}/room/", [{"status": 500}] * 3)
    async with running(example_app) as http:
        response = await http.get("/me/rooms/standup", headers=session("bob"))

    assert response.status_code == 502
    assert response.json()["upstream_status"] == 500


def test_fastapi_example_module_app_is_importable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in list(os.environ):
        if name.startswith("RED5_"):
            monkeypatch.delenv(name)
    from examples import fastapi_app

    assert isinstance(fastapi_app.app, FastAPI)
    assert "/me/rooms/{room_id}" in fastapi_app.app.openapi()["paths"]


# fastapi_app.py, under uvicorn


def wait_until_ready(url: str, process: subprocess.Popen[str]) -> None:
    """Poll `url` until the server responds, or fail when it exits or times out."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"uvicorn exited with {process.returncode}")
        try:
            httpx2.get(url, timeout=1.0)
        except httpx2.TransportError:
            time.sleep(0.1)
        else:
            return
    pytest.fail("uvicorn did not answer in time")


def test_fastapi_example_under_uvicorn(
    emulator: Emulator, server: EmulatorServer
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "examples.fastapi_app:app",
            "--fd",
            str(sock.fileno()),
            "--log-level",
            "info",
        ]
        with subprocess.Popen(  # noqa: S603 - this interpreter, uvicorn, this repository
            command,
            cwd=ROOT,
            env=example_env(server),
            pass_fds=(sock.fileno(),),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as app:
            try:
                wait_until_ready(f"{url}/openapi.json", app)
                response = httpx2.post(
                    f"{url}/red5/tokens/conference",
                    headers=session("carol"),
                    json={"user_id": "carol", "room_id": "design"},
                    timeout=10.0,
                )
            finally:
                app.send_signal(signal.SIGTERM)
                _, err = app.communicate(timeout=RUN_TIMEOUT)

    assert response.status_code == 200
    assert emulator.join(response.json()["token"]).uid == "carol"
    # uvicorn shuts down gracefully, then raises the signal it caught again,
    # so the process ends with the SIGTERM status.
    assert app.returncode == -signal.SIGTERM, err
    assert "Application startup complete." in err
    assert "Application shutdown complete." in err
    assert "Traceback" not in err

"""No secret, token or signature reaches the CLI's output or a FastAPI error body.

The command line runs its commands on success and failure paths, with
--verbose, against the loopback emulator, and the FastAPI router responds to
invalid requests and upstream failures. Their output, their error bodies
and every log record at DEBUG are checked as in test_secret_hygiene.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx2
import pytest
from typer.testing import CliRunner

from red5_bcs._cli import app as cli_app
from red5_bcs.testing import EmulatorServer

from .haystack import Haystack, Minted, secrets_of
from .support import API, GRANT, ROOMS, RecordingMinter, closed_port_url, until_logged

ROOM = "hygiene"

# The command line

CLI_FAULTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", ROOMS, {"status": 500, "body": {"message": "injected"}}),
    ("GET", API + f"room/{ROOM}/users", {"drop": "before_response"}),
    ("GET", API + f"room/{ROOM}/hosts", {"malformed": "html"}),
]


def _cli_commands(live: EmulatorServer, token: str) -> list[list[str]]:
    header, payload, signature = token.split(".")
    return [
        ["rooms"], ["rooms"], ["users", ROOM], ["hosts", ROOM], ["user", ROOM, "ann"],
        ["user", ROOM, "zed"], ["joined", ROOM, "ann", "--json"],
        ["block", ROOM, "ann", "--seconds", "5"], ["unblock", ROOM, "ann"],
        ["recording", "stop", ROOM], ["streams", "list", "--json"],
        ["block", "bad/room", "ann"], ["token", "decode", "garbage"],
        ["token", "verify", f"{header}.{payload[:-2]}AA.{signature}"],
        ["token", "verify", "not-a-token", "--json"],
        ["rooms", "--master-key", "wrong-master-key-0123456789"],
        ["rooms", "--master-secret", live.master_secret[:-8]],
        ["rooms", "--base-url", closed_port_url()],
        ["token", "chat", "ann", ROOM, "--pubnub-base-url", closed_port_url()],
    ]  # fmt: skip


@pytest.mark.network
def test_command_line_leaks_no_secret(
    live: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    haystack = Haystack()
    minter = RecordingMinter()
    minted = Minted(jwts=minter.tokens)
    with live.client(minter=minter) as red5:
        token = red5.get_conference_token("ann", ROOM)
        minted.pubnub_tokens.append(red5.decode_conference_token(token).pubnub_token)
        live.emulator.join(token)
    for method, path, outcome in CLI_FAULTS:
        live.emulator.add_faults(method, path, [outcome] * 3)
    environment = {**live.env(), "COLUMNS": "200"}

    for command in _cli_commands(live, token):
        result = CliRunner().invoke(cli_app, ["--verbose", *command], env=environment)
        where = "red5-bcs " + " ".join(command)[:60]
        assert result.exit_code in (0, 1, 2), where
        haystack.add(where, result.output)
        if result.exception is not None and not isinstance(
            result.exception, SystemExit
        ):
            haystack.add_exception(where, result.exception)
    haystack.add_logs(caplog.records)

    assert haystack.leaks(secrets_of(live.emulator, live, minted)) == []


# The FastAPI router


@pytest.mark.network
@pytest.mark.anyio
async def test_fastapi_error_responses_leak_no_secret(
    live: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    from fastapi import FastAPI

    from red5_bcs.fastapi import create_red5_router, red5_lifespan

    caplog.set_level(logging.DEBUG)
    haystack = Haystack()
    minter = RecordingMinter()
    minted = Minted(jwts=minter.tokens)
    application = FastAPI(
        lifespan=red5_lifespan(
            client_factory=lambda: live.async_client(
                transport="httpx", minter=minter, timeout=0.3, max_retries=0
            )
        )
    )
    application.include_router(create_red5_router(authorize=lambda *_: True))
    emulator = live.emulator
    emulator.add_faults("POST", GRANT, [{"status": 403, "body": {"status": 403}}])
    emulator.add_faults("GET", API + "room/r1/users", [{"status": 500}, {"delay": 0.6}])
    emulator.add_faults("POST", API + "room/r1/block", [{"drop": "during_body"}])
    requests: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/red5/tokens/conference", {"user_id": "ann", "room_id": "r1"}),
        ("POST", "/red5/tokens/conference", {"user_id": "", "room_id": "r1"}),
        ("POST", "/red5/tokens/chat", {"user_id": "a", "channel_id": "a/b",
                                       "read": True, "write": True}),
        ("POST", "/red5/rooms/nowhere/recording/start", None),
        ("GET", "/red5/rooms/r1/users", None),
        ("GET", "/red5/rooms/r1/users", None),
        ("POST", "/red5/rooms/r1/block", {"user_id": "ann", "seconds": 5}),
    ]  # fmt: skip

    async with application.router.lifespan_context(application):
        transport = httpx2.ASGITransport(app=application)
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as http:
            for method, path, body in requests:
                response = await http.request(method, path, json=body)
                assert response.status_code >= 400, path
                haystack.add(
                    f"{method} {path} -> {response.status_code}", response.text
                )
    await until_logged(emulator, API + "room/r1/users", 2)
    haystack.add_logs(caplog.records)

    assert haystack.leaks(secrets_of(emulator, live, minted)) == []

"""red5_bcs.fastapi: the lifespan, the dependency and the router.

Apps are driven in-process through `httpx2.ASGITransport`, with the SDK client
wired to an in-process `Emulator`, except where a real socket is needed: a
timeout needs `EmulatorServer` on 127.0.0.1, and a refused connection a
loopback port that nothing listens on.
"""

from __future__ import annotations

import inspect
import logging
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx2
import pytest
from fastapi import FastAPI, HTTPException, Request

from red5_bcs import AsyncRed5Client, Role, parse_chat_token
from red5_bcs.fastapi import (
    STATE_ATTRIBUTE,
    Red5Action,
    Red5ClientDep,
    Red5ClientNotInstalledError,
    Red5ClientOptions,
    add_red5_error_handlers,
    create_red5_router,
    get_red5_client,
    open_red5_client,
    red5_lifespan,
)
from red5_bcs.testing import Emulator, EmulatorServer, JoinRejectedError

pytestmark = pytest.mark.anyio

ROOM = "standup"
CONFERENCE = "/as/v1/conference"

Call = tuple[Red5Action, str, "str | None"]


# Fixtures and helpers


@pytest.fixture
def emulator(red5_emulator: Emulator) -> Emulator:
    """The plugin's in-process emulator, whose clock only tests move."""
    return red5_emulator


def allow_all(
    request: Request, action: Red5Action, room_id: str, user_id: str | None
) -> bool:
    """An authorize function that allows every request."""
    return True


def deny_all(
    request: Request, action: Red5Action, room_id: str, user_id: str | None
) -> bool:
    """An authorize function that denies every request."""
    return False


def build_app(
    emulator: Emulator,
    authorize: Any = allow_all,
    client_options: dict[str, Any] | None = None,
    **router_options: Any,
) -> FastAPI:
    """Build an app with the lifespan wired to `emulator` and the router."""
    options = client_options or {}
    app = FastAPI(
        lifespan=red5_lifespan(client_factory=lambda: emulator.async_client(**options))
    )
    app.include_router(create_red5_router(authorize=authorize, **router_options))
    return app


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx2.AsyncClient]:
    """Run the app's lifespan and yield an HTTP client that calls it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(
            transport=transport, base_url="http://testserver"
        ) as http:
            yield http


async def join(emulator: Emulator, user_id: str, room_id: str = ROOM) -> str:
    """Put a user online in a room through the emulator, and return their token."""
    async with emulator.async_client() as red5:
        token = await red5.get_conference_token(user_id, room_id)
    emulator.join(token)
    return token


def assert_clean(response: httpx2.Response, emulator: Emulator) -> None:
    """Fail if an error body contains a secret, a token or a traceback."""
    text = response.text
    secrets = [
        emulator.master_key,
        emulator.master_secret,
        emulator.credentials.conference_secret.get_secret_value(),
        emulator.credentials.pubnub_secret_key.get_secret_value(),
    ]
    for secret in secrets:
        assert secret not in text
    assert "eyJ" not in text
    assert "Traceback" not in text
    assert "token" not in response.json()


# Every route: (method, path, JSON body), for table-driven tests.
ROUTES: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "conference_token": (
        "POST",
        "/red5/tokens/conference",
        {"user_id": "alice", "room_id": ROOM},
    ),
    "chat_token": (
        "POST",
        "/red5/tokens/chat",
        {"user_id": "alice", "channel_id": ROOM, "read": True, "write": False},
    ),
    "start_recording": ("POST", f"/red5/rooms/{ROOM}/recording/start", None),
    "stop_recording": ("POST", f"/red5/rooms/{ROOM}/recording/stop", None),
    "list_users": ("GET", f"/red5/rooms/{ROOM}/users", None),
    "block_user": (
        "POST",
        f"/red5/rooms/{ROOM}/block",
        {"user_id": "bob", "seconds": 60},
    ),
    "unblock_user": ("POST", f"/red5/rooms/{ROOM}/unblock", {"user_id": "bob"}),
}

EXPECTED_CALLS: dict[str, Call] = {
    "conference_token": (Red5Action.CONFERENCE_TOKEN, ROOM, "alice"),
    "chat_token": (Red5Action.CHAT_TOKEN, ROOM, "alice"),
    "start_recording": (Red5Action.START_RECORDING, ROOM, None),
    "stop_recording": (Red5Action.STOP_RECORDING, ROOM, None),
    "list_users": (Red5Action.LIST_USERS, ROOM, None),
    "block_user": (Red5Action.BLOCK_USER, ROOM, "bob"),
    "unblock_user": (Red5Action.UNBLOCK_USER, ROOM, "bob"),
}


async def call(http: httpx2.AsyncClient, route: str) -> httpx2.Response:
    """Send the request of one of `ROUTES`."""
    method, path, body = ROUTES[route]
    return await http.request(method, path, json=body)


# Routes that succeed


async def test_conference_token_is_joinable(
    emulator: Emulator,
) -> None:
    async with running(build_app(emulator)) as http:
        body = {"user_id": "alice", "room_id": ROOM, "role": "subscriber"}
        response = await http.post("/red5/tokens/conference", json=body)

    assert response.status_code == 200
    token = response.json()["token"]
    status = emulator.join(token)
    assert status.uid == "alice"
    assert status.role == "subscriber"
    assert status.model_extra is not None
    assert status.model_extra["roomId"] == ROOM


async def test_conference_token_expiration(emulator: Emulator) -> None:
    async with running(build_app(emulator)) as http:
        body = {"user_id": "alice", "room_id": ROOM, "expiration_minutes": 5}
        response = await http.post("/red5/tokens/conference", json=body)
        async with emulator.async_client() as red5:
            claims = red5.verify_conference_token(response.json()["token"])

    assert response.status_code == 200
    assert claims.exp - claims.iat == 300
    assert claims.role == Role.PUBLISHER


async def test_chat_token_grants_rights(emulator: Emulator) -> None:
    async with running(build_app(emulator)) as http:
        response = await call(http, "chat_token")

    assert response.status_code == 200
    grant = parse_chat_token(response.json()["token"])
    assert grant.authorized_uuid == "alice"
    assert set(grant.channels) == {ROOM, f"{ROOM}-pnpres"}
    assert grant.channels[ROOM].read is True
    assert grant.channels[ROOM].write is False
    assert grant.ttl_minutes == 60


async def test_recording_routes_start_and_stop(emulator: Emulator) -> None:
    await join(emulator, "alice")
    async with running(build_app(emulator)) as http:
        started = await call(http, "start_recording")
        stopped = await call(http, "stop_recording")

    assert started.status_code == 200
    assert started.json()["recording_stream_name"]
    assert started.json()["participant_count"] == 1
    assert stopped.status_code == 200
    assert stopped.json()["mixer_stopped"] is True


async def test_recording_route_hides_origin_ip(emulator: Emulator) -> None:
    await join(emulator, "alice")
    async with running(build_app(emulator)) as http:
        response = await call(http, "start_recording")

    assert response.status_code == 200
    assert set(response.json()) == {
        "message",
        "recording_stream_name",
        "participant_count",
        "mixer_stopped",
    }


async def test_list_users_route_pages(emulator: Emulator) -> None:
    await join(emulator, "alice")
    await join(emulator, "bob")
    async with running(build_app(emulator)) as http:
        response = await http.get(
            f"/red5/rooms/{ROOM}/users", params={"limit": 1, "offset": 1}
        )

    assert response.status_code == 200
    page = response.json()
    assert page["user_count"] == 2
    assert len(page["users"]) == 1
    assert set(page["users"][0]) == {
        "uid",
        "online",
        "role",
        "audio_enabled",
        "video_enabled",
        "join_time",
    }
    assert emulator.requests[-1].query == "limit=1&offset=1"


async def test_block_and_unblock_routes(emulator: Emulator) -> None:
    await join(emulator, "alice")
    bob_token = await join(emulator, "bob")
    async with running(build_app(emulator)) as http:
        blocked = await call(http, "block_user")
        with pytest.raises(JoinRejectedError):
            emulator.join(bob_token)
        unblocked = await call(http, "unblock_user")

    assert blocked.status_code == 200
    assert blocked.json() == {
        "message": f"User with ID bob in room {ROOM} blocked for 60 seconds"
    }
    assert unblocked.status_code == 200
    assert "unblocked" in unblocked.json()["message"]
    assert emulator.join(bob_token).online is True


async def test_router_prefix_is_configurable(emulator: Emulator) -> None:
    app = FastAPI(lifespan=red5_lifespan(client_factory=emulator.async_client))
    app.include_router(create_red5_router(authorize=allow_all, prefix="/api/video"))
    async with running(app) as http:
        response = await http.post(
            "/api/video/tokens/conference", json={"user_id": "a", "room_id": "r"}
        )

    assert response.status_code == 200


# Authorization


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_denied_request_skips_upstream(emulator: Emulator, route: str) -> None:
    await join(emulator, "alice")
    await join(emulator, "bob")
    emulator.clear_requests()
    async with running(build_app(emulator, authorize=deny_all)) as http:
        response = await call(http, route)

    assert response.status_code == 403
    assert response.json() == {
        "detail": f"Permission denied for {EXPECTED_CALLS[route][0].value}."
    }
    assert emulator.requests == []
    assert_clean(response, emulator)


@pytest.mark.parametrize("route", sorted(ROUTES))
async def test_authorize_receives_arguments(emulator: Emulator, route: str) -> None:
    calls: list[Call] = []

    def record(
        request: Request, action: Red5Action, room_id: str, user_id: str | None
    ) -> bool:
        assert isinstance(request, Request)
        calls.append((action, room_id, user_id))
        return False

    async with running(build_app(emulator, authorize=record)) as http:
        await call(http, route)

    assert calls == [EXPECTED_CALLS[route]]


async def test_admin_role_asks_for_admin_action(emulator: Emulator) -> None:
    calls: list[Call] = []

    def record(
        request: Request, action: Red5Action, room_id: str, user_id: str | None
    ) -> bool:
        calls.append((action, room_id, user_id))
        return action is Red5Action.CONFERENCE_TOKEN

    async with running(build_app(emulator, authorize=record)) as http:
        body = {"user_id": "alice", "room_id": ROOM, "role": "admin"}
        response = await http.post("/red5/tokens/conference", json=body)

    assert response.status_code == 403
    assert calls == [(Red5Action.ADMIN_CONFERENCE_TOKEN, ROOM, "alice")]


async def test_authorize_sees_stripped_ids(emulator: Emulator) -> None:
    calls: list[Call] = []

    def record(
        request: Request, action: Red5Action, room_id: str, user_id: str | None
    ) -> bool:
        calls.append((action, room_id, user_id))
        return True

    async with running(build_app(emulator, authorize=record)) as http:
        body = {"user_id": "  alice ", "room_id": f" {ROOM}\t"}
        response = await http.post("/red5/tokens/conference", json=body)

    assert response.status_code == 200
    assert calls == [(Red5Action.CONFERENCE_TOKEN, ROOM, "alice")]


async def test_async_authorize_is_awaited(emulator: Emulator) -> None:
    calls: list[Call] = []

    async def record(
        request: Request, action: Red5Action, room_id: str, user_id: str | None
    ) -> bool:
        calls.append((action, room_id, user_id))
        return user_id == "alice"

    async with running(build_app(emulator, authorize=record)) as http:
        allowed = await call(http, "conference_token")
        denied = await http.post(
            "/red5/tokens/conference", json={"user_id": "bob", "room_id": ROOM}
        )

    assert allowed.status_code == 200
    assert denied.status_code == 403
    assert len(calls) == 2


async def test_async_callable_object_authorize(emulator: Emulator) -> None:
    class Policy:
        async def __call__(
            self,
            request: Request,
            action: Red5Action,
            room_id: str,
            user_id: str | None,
        ) -> bool:
            return action is Red5Action.CHAT_TOKEN

    async with running(build_app(emulator, authorize=Policy())) as http:
        allowed = await call(http, "chat_token")
        denied = await call(http, "conference_token")

    assert allowed.status_code == 200
    assert denied.status_code == 403


async def test_sync_authorize_runs_in_thread(emulator: Emulator) -> None:
    threads: list[int] = []

    def record(
        request: Request, action: Red5Action, room_id: str, user_id: str | None
    ) -> bool:
        threads.append(threading.get_ident())
        return True

    async with running(build_app(emulator, authorize=record)) as http:
        response = await call(http, "conference_token")

    assert response.status_code == 200
    assert threads != [threading.get_ident()]


@pytest.mark.parametrize("result", [None, 1, "yes", object()])
async def test_non_true_result_denies(
    emulator: Emulator, result: object, caplog: pytest.LogCaptureFixture
) -> None:
    def answer(
        request: Request, action: Red5Action, room_id: str, user_id: str | None
    ) -> Any:
        return result

    caplog.set_level(logging.WARNING, logger="red5_bcs.fastapi")
    async with running(build_app(emulator, authorize=answer)) as http:
        response = await call(http, "conference_token")

    assert response.status_code == 403
    assert emulator.requests == []
    assert "instead of a bool" in caplog.text


async def test_authorize_may_raise_http_exception(emulator: Emulator) -> None:
    def require_login(
        request: Request, action: Red5Action, room_id: str, user_id: str | None
    ) -> bool:
        raise HTTPException(status_code=401, detail="Sign in first.")

    async with running(build_app(emulator, authorize=require_login)) as http:
        response = await call(http, "list_users")

    assert response.status_code == 401
    assert response.json() == {"detail": "Sign in first."}
    assert emulator.requests == []


async def test_denial_is_logged(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="red5_bcs.fastapi")
    async with running(build_app(emulator, authorize=deny_all)) as http:
        await call(http, "block_user")

    assert "Denied block_user on room 'standup' for user 'bob'" in caplog.text


def test_router_requires_authorize() -> None:
    with pytest.raises(TypeError):
        create_red5_router()  # type: ignore[call-arg]


@pytest.mark.parametrize("authorize", [None, "allow", True])
def test_router_rejects_non_callable_authorize(authorize: Any) -> None:
    with pytest.raises(TypeError, match="There is no default"):
        create_red5_router(authorize=authorize)


@pytest.mark.parametrize("minutes", [0, 43_201])
def test_router_rejects_bad_max_minutes(minutes: int) -> None:
    with pytest.raises(ValueError, match="max_token_minutes"):
        create_red5_router(authorize=allow_all, max_token_minutes=minutes)


# Validation


async def test_missing_body_field_is_422(emulator: Emulator) -> None:
    async with running(build_app(emulator)) as http:
        response = await http.post("/red5/tokens/conference", json={"user_id": "a"})

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "room_id"]
    assert emulator.requests == []


@pytest.mark.parametrize(
    ("route", "body", "argument"),
    [
        ("/red5/tokens/conference", {"user_id": "a", "room_id": "a,b"}, "room_id"),
        ("/red5/tokens/conference", {"user_id": " ", "room_id": ROOM}, "user_id"),
        (
            "/red5/tokens/chat",
            {"user_id": "a", "channel_id": "x" * 86, "read": True, "write": True},
            "channel_id",
        ),
        (
            "/red5/tokens/chat",
            {"user_id": "a", "channel_id": ROOM, "read": False, "write": False},
            "read",
        ),
        (f"/red5/rooms/{ROOM}/block", {"user_id": "..", "seconds": 5}, "user_id"),
    ],
)
async def test_sdk_rejected_argument_is_422(
    emulator: Emulator, route: str, body: dict[str, Any], argument: str
) -> None:
    calls: list[Red5Action] = []

    def record(
        request: Request, action: Red5Action, room_id: str, user_id: str | None
    ) -> bool:
        calls.append(action)
        return True

    async with running(build_app(emulator, authorize=record)) as http:
        response = await http.post(route, json=body)

    assert response.status_code == 422
    assert response.json()["argument"] == argument
    assert argument in response.json()["detail"]
    assert calls == []
    assert emulator.requests == []
    assert_clean(response, emulator)


async def test_room_id_in_path_is_checked(emulator: Emulator) -> None:
    async with running(build_app(emulator)) as http:
        response = await http.post("/red5/rooms/a%3Ab/recording/start")

    assert response.status_code == 422
    assert response.json()["argument"] == "room_id"
    assert emulator.requests == []


async def test_lifetime_above_limit_is_422(emulator: Emulator) -> None:
    async with running(build_app(emulator, max_token_minutes=30)) as http:
        body = {"user_id": "a", "room_id": ROOM, "expiration_minutes": 31}
        response = await http.post("/red5/tokens/conference", json=body)

    assert response.status_code == 422
    assert response.json() == {
        "detail": "expiration_minutes must be at most 30, not 31.",
        "argument": "expiration_minutes",
    }
    assert emulator.requests == []


async def test_chat_permissions_must_be_booleans(emulator: Emulator) -> None:
    async with running(build_app(emulator)) as http:
        body = {"user_id": "a", "channel_id": ROOM, "read": "yes", "write": 1}
        response = await http.post("/red5/tokens/chat", json=body)

    assert response.status_code == 422
    assert emulator.requests == []


@pytest.mark.parametrize("query", [{"limit": 0}, {"offset": -1}, {"limit": "x"}])
async def test_list_users_query_is_checked(
    emulator: Emulator, query: dict[str, Any]
) -> None:
    async with running(build_app(emulator)) as http:
        response = await http.get(f"/red5/rooms/{ROOM}/users", params=query)

    assert response.status_code == 422
    assert emulator.requests == []


# Upstream failures


async def test_upstream_409_is_502(emulator: Emulator) -> None:
    await join(emulator, "alice")
    async with running(build_app(emulator)) as http:
        await call(http, "start_recording")
        response = await call(http, "start_recording")

    assert response.status_code == 502
    assert response.json() == {
        "detail": "Red5 Cloud answered 409 Conflict.",
        "upstream_status": 409,
    }
    assert_clean(response, emulator)


async def test_upstream_404_is_502(emulator: Emulator) -> None:
    async with running(build_app(emulator)) as http:
        response = await call(http, "list_users")

    assert response.status_code == 502
    assert response.json()["upstream_status"] == 404


async def test_upstream_503_hides_server_message(emulator: Emulator) -> None:
    # A server message that quotes a secret must not reach the caller.
    leaked = f"{emulator.master_secret} went wrong"
    emulator.add_faults(
        "GET", f"{CONFERENCE}/room/", [{"status": 503, "body": {"message": leaked}}]
    )
    app = build_app(emulator, client_options={"max_retries": 0})
    async with running(app) as http:
        response = await call(http, "list_users")

    assert response.status_code == 502
    assert response.json() == {
        "detail": "Red5 Cloud answered 503 Service Unavailable.",
        "upstream_status": 503,
    }
    assert "went wrong" not in response.text
    assert_clean(response, emulator)


async def test_upstream_error_is_logged(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.add_faults("GET", f"{CONFERENCE}/room/", [{"status": 503}])
    caplog.set_level(logging.WARNING, logger="red5_bcs.fastapi")
    app = build_app(emulator, client_options={"max_retries": 0})
    async with running(app) as http:
        await call(http, "list_users")

    records = [r for r in caplog.records if r.name == "red5_bcs.fastapi"]
    assert len(records) == 1
    assert records[0].levelno == logging.WARNING
    assert "InternalServerError" in records[0].getMessage()
    assert f"/red5/rooms/{ROOM}/users" in records[0].getMessage()


async def test_dropped_connection_is_502(emulator: Emulator) -> None:
    emulator.add_faults("POST", f"{CONFERENCE}/room/", [{"drop": "before_response"}])
    await join(emulator, "alice")
    async with running(build_app(emulator)) as http:
        response = await call(http, "start_recording")

    assert response.status_code == 502
    assert response.json() == {"detail": "Red5 Cloud or PubNub could not be reached."}


async def test_unreadable_response_is_502(emulator: Emulator) -> None:
    emulator.add_faults("GET", f"{CONFERENCE}/room/", [{"malformed": "not_json"}])
    async with running(build_app(emulator)) as http:
        response = await call(http, "list_users")

    assert response.status_code == 502
    assert response.json() == {
        "detail": "Red5 Cloud sent a response that could not be read."
    }


async def test_rejected_chat_grant_is_502(emulator: Emulator) -> None:
    envelope = {
        "status": 403,
        "error": {"message": "Forbidden", "source": "grant"},
        "service": "Access Manager",
    }
    emulator.add_faults("POST", "/v3/pam/", [{"status": 403, "body": envelope}])
    async with running(build_app(emulator)) as http:
        response = await call(http, "chat_token")

    assert response.status_code == 502
    assert response.json() == {
        "detail": "PubNub rejected the chat grant.",
        "upstream_status": 403,
    }
    assert_clean(response, emulator)


@pytest.fixture
def closed_port() -> int:
    """A loopback port that nothing listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_refused_connection_is_502(emulator: Emulator, closed_port: int) -> None:
    base = f"http://127.0.0.1:{closed_port}"

    def factory() -> AsyncRed5Client:
        return AsyncRed5Client(
            emulator.master_key,
            emulator.master_secret,
            base_url=base,
            pubnub_base_url=base,
            max_retries=0,
            transport="httpx",
        )

    app = FastAPI(lifespan=red5_lifespan(client_factory=factory))
    app.include_router(create_red5_router(authorize=allow_all))
    async with running(app) as http:
        response = await call(http, "list_users")

    assert response.status_code == 502
    assert response.json() == {"detail": "Red5 Cloud or PubNub could not be reached."}


@pytest.mark.network
async def test_upstream_timeout_is_504(
    emulator: Emulator, red5_emulator_server: EmulatorServer
) -> None:
    emulator.add_faults("GET", f"{CONFERENCE}/room/", [{"delay": 2.0}])

    def factory() -> AsyncRed5Client:
        return red5_emulator_server.async_client(
            timeout=0.2, max_retries=0, transport="httpx"
        )

    app = FastAPI(lifespan=red5_lifespan(client_factory=factory))
    app.include_router(create_red5_router(authorize=allow_all))
    async with running(app) as http:
        response = await call(http, "list_users")

    assert response.status_code == 504
    assert response.json() == {
        "detail": "The request to Red5 Cloud or PubNub timed out."
    }


async def test_closed_client_is_generic_500(emulator: Emulator) -> None:
    app = build_app(emulator)
    async with running(app) as http:
        await getattr(app.state, STATE_ATTRIBUTE).aclose()
        response = await call(http, "conference_token")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error."}


# Lifespan and dependency


async def test_lifespan_manages_one_client(emulator: Emulator) -> None:
    created: list[AsyncRed5Client] = []

    def factory() -> AsyncRed5Client:
        created.append(emulator.async_client())
        return created[-1]

    app = FastAPI(lifespan=red5_lifespan(client_factory=factory))
    app.include_router(create_red5_router(authorize=allow_all))
    async with running(app) as http:
        assert len(created) == 1
        assert getattr(app.state, STATE_ATTRIBUTE) is created[0]
        assert created[0].is_closed is False
        for _ in range(3):
            response = await call(http, "conference_token")
            assert response.status_code == 200

    assert len(created) == 1
    assert created[0].is_closed is True
    assert not hasattr(app.state, STATE_ATTRIBUTE)


async def test_lifespan_builds_client_from_options(emulator: Emulator) -> None:
    lifespan = red5_lifespan(
        master_key=emulator.master_key,
        master_secret=emulator.master_secret,
        base_url="http://127.0.0.1:9",
        pubnub_base_url="http://127.0.0.1:9",
        max_retries=0,
    )
    app = FastAPI(lifespan=lifespan)
    async with app.router.lifespan_context(app):
        client = getattr(app.state, STATE_ATTRIBUTE)
        assert isinstance(client, AsyncRed5Client)
        assert client.base_url == "http://127.0.0.1:9/as/v1/conference"

    assert client.is_closed is True


async def test_lifespan_wraps_app_lifespan(emulator: Emulator) -> None:
    events: list[str] = []

    @asynccontextmanager
    async def app_lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        client = getattr(app.state, STATE_ATTRIBUTE)
        events.append(f"start closed={client.is_closed}")
        yield {"greeting": "hello"}
        events.append(f"stop closed={client.is_closed}")

    app = FastAPI(
        lifespan=red5_lifespan(app_lifespan, client_factory=emulator.async_client)
    )
    async with app.router.lifespan_context(app) as state:
        assert state == {"greeting": "hello"}
        client = getattr(app.state, STATE_ATTRIBUTE)

    assert events == ["start closed=False", "stop closed=False"]
    assert client.is_closed is True


async def test_open_red5_client_in_own_lifespan(emulator: Emulator) -> None:
    seen: list[AsyncRed5Client] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_red5_client(app, client_factory=emulator.async_client) as red5:
            seen.append(red5)
            yield

    app = FastAPI(lifespan=lifespan)
    app.include_router(create_red5_router(authorize=allow_all))
    async with running(app) as http:
        response = await call(http, "conference_token")

    assert response.status_code == 200
    assert len(seen) == 1
    assert seen[0].is_closed is True


async def test_lifespan_installed_twice_raises(emulator: Emulator) -> None:
    inner = red5_lifespan(client_factory=emulator.async_client)
    app = FastAPI(lifespan=red5_lifespan(inner, client_factory=emulator.async_client))

    with pytest.raises(RuntimeError, match="already set"):
        async with app.router.lifespan_context(app):
            pass
    assert not hasattr(app.state, STATE_ATTRIBUTE)


async def test_lifespan_rejects_factory_of_other_type() -> None:
    app = FastAPI(lifespan=red5_lifespan(client_factory=lambda: "client"))  # type: ignore[arg-type, return-value]

    with pytest.raises(TypeError, match="must return an AsyncRed5Client"):
        async with app.router.lifespan_context(app):
            pass
    assert not hasattr(app.state, STATE_ATTRIBUTE)


def test_lifespan_rejects_factory_and_options(emulator: Emulator) -> None:
    with pytest.raises(TypeError, match="not both"):
        red5_lifespan(client_factory=emulator.async_client, timeout=1.0)


def test_client_options_match_async_client() -> None:
    parameters = inspect.signature(AsyncRed5Client).parameters

    assert set(Red5ClientOptions.__annotations__) == set(parameters) - {"self"}


@pytest.mark.parametrize("debug", [False, True])
async def test_missing_lifespan_is_generic_500(
    emulator: Emulator, debug: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = FastAPI(debug=debug)
    app.include_router(create_red5_router(authorize=allow_all))
    caplog.set_level(logging.ERROR, logger="red5_bcs.fastapi")
    async with running(app) as http:
        response = await call(http, "conference_token")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error."}
    assert "red5_lifespan()" in caplog.text
    assert_clean(response, emulator)


async def test_missing_lifespan_in_own_route(emulator: Emulator) -> None:
    app = FastAPI(debug=True)

    @app.get("/rooms")
    async def rooms(red5: Red5ClientDep) -> int:
        return (await red5.get_room_list()).room_count

    async with running(app) as http:
        response = await http.get("/rooms")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error."}


def test_missing_client_error_is_runtime_error() -> None:
    app = FastAPI()
    scope = {"type": "http", "app": app, "headers": []}

    with pytest.raises(RuntimeError, match="install the lifespan") as caught:
        get_red5_client(Request(scope))
    assert isinstance(caught.value, Red5ClientNotInstalledError)


async def test_dependency_returns_shared_client(emulator: Emulator) -> None:
    app = FastAPI(lifespan=red5_lifespan(client_factory=emulator.async_client))
    seen: list[int] = []

    @app.get("/client")
    async def client_id(red5: Red5ClientDep) -> int:
        seen.append(id(red5))
        return len(seen)

    async with running(app) as http:
        await http.get("/client")
        await http.get("/client")
        shared = id(getattr(app.state, STATE_ATTRIBUTE))

    assert seen == [shared, shared]


async def test_error_handlers_cover_own_routes(emulator: Emulator) -> None:
    app = FastAPI(lifespan=red5_lifespan(client_factory=emulator.async_client))
    add_red5_error_handlers(app)

    @app.get("/rooms/{room_id}/hosts")
    async def hosts(room_id: str, red5: Red5ClientDep) -> int:
        return (await red5.get_host_list(room_id)).host_count

    async with running(app) as http:
        missing = await http.get("/rooms/nowhere/hosts")
        invalid = await http.get("/rooms/a,b/hosts")

    assert missing.status_code == 502
    assert missing.json()["upstream_status"] == 404
    assert invalid.status_code == 422
    assert invalid.json()["argument"] == "room_id"


def test_openapi_lists_routes(emulator: Emulator) -> None:
    schema = build_app(emulator).openapi()

    assert set(schema["paths"]) == {
        "/red5/tokens/conference",
        "/red5/tokens/chat",
        "/red5/rooms/{room_id}/recording/start",
        "/red5/rooms/{room_id}/recording/stop",
        "/red5/rooms/{room_id}/users",
        "/red5/rooms/{room_id}/block",
        "/red5/rooms/{room_id}/unblock",
    }
    assert "ErrorResponse" in schema["components"]["schemas"]


def test_core_import_skips_fastapi() -> None:
    code = "import sys, red5_bcs; print('fastapi' in sys.modules)"
    result = subprocess.run(  # noqa: S603 - runs this interpreter on fixed code
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "False"

"""Admin tokens on conference API calls: every refusal and its status."""

from __future__ import annotations

import base64
import json

import httpx2
import pytest

from red5_bcs.testing import Emulator, ManualClock

from .helpers import API, admin_token, join, join_token, mint

pytestmark = pytest.mark.anyio

ROUTES = [
    ("GET", "/room/r1/user/alice", "r1"),
    ("GET", "/room/r1/user/alice/isJoined", "r1"),
    ("GET", "/room/r1/users", "r1"),
    ("GET", "/room/r1/hosts", "r1"),
    ("GET", "/rooms", "admin"),
    ("POST", "/room/r1/user/alice/block", "r1"),
    ("POST", "/room/r1/user/alice/unblock", "r1"),
    ("POST", "/room/r1/startRecording", "r1"),
    ("POST", "/room/r1/stopRecording", "r1"),
    ("POST", "/room/r1/user/alice/start-transcription", "r1"),
    ("POST", "/room/r1/user/alice/stop-transcription", "r1"),
    ("GET", "/room/r1/transcriptions", "r1"),
    ("GET", "/external-streams", "admin"),
    ("POST", "/room/r1/external-stream/cam", "r1"),
    ("DELETE", "/room/r1/external-stream/cam", "r1"),
]


@pytest.fixture
async def room(http: httpx2.AsyncClient, emulator: Emulator) -> str:
    await join(http, emulator, "alice", "r1")
    return "r1"


async def users(http: httpx2.AsyncClient, headers: dict[str, str]) -> httpx2.Response:
    return await http.get(API + "/room/r1/users", headers=headers)


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
async def test_every_call_needs_a_token(
    http: httpx2.AsyncClient, emulator: Emulator, method: str, path: str, scope: str
) -> None:
    response = await http.request(method, API + path)

    assert response.status_code == 401
    assert "Authorization" in response.json()["message"]


@pytest.mark.parametrize(("method", "path", "scope"), ROUTES)
async def test_every_call_checks_the_token_scope(
    http: httpx2.AsyncClient, emulator: Emulator, method: str, path: str, scope: str
) -> None:
    wrong = "elsewhere" if scope != "admin" else "r1"
    headers = {"Authorization": f"Bearer {admin_token(emulator, wrong)}"}

    response = await http.request(method, API + path, headers=headers)

    assert response.status_code == 403
    assert f"this call is about {scope!r}" in response.json()["message"]


@pytest.mark.parametrize(
    "value",
    ["Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer    ", "Token abc", "bearer-abc"],
)
async def test_header_must_be_bearer(
    http: httpx2.AsyncClient, emulator: Emulator, room: str, value: str
) -> None:
    response = await users(http, {"Authorization": value})

    assert response.status_code == 401


async def test_scheme_is_case_insensitive(
    http: httpx2.AsyncClient, emulator: Emulator, room: str
) -> None:
    response = await users(
        http, {"Authorization": f"bearer {admin_token(emulator, 'r1')}"}
    )

    assert response.status_code == 200


async def test_two_authorization_headers_are_rejected(
    http: httpx2.AsyncClient, emulator: Emulator, room: str
) -> None:
    token = admin_token(emulator, "r1")
    headers = [
        ("Authorization", f"Bearer {token}"),
        ("Authorization", f"Bearer {token}"),
    ]

    response = await http.get(API + "/room/r1/users", headers=headers)

    assert response.status_code == 401


@pytest.mark.parametrize(
    "token",
    ["not-a-token", "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.", "x" * 70_000],
)
async def test_malformed_token_is_unauthorized(
    http: httpx2.AsyncClient, emulator: Emulator, room: str, token: str
) -> None:
    response = await users(http, {"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert token[:20] not in response.json()["message"]


async def test_token_signed_with_other_secret_is_unauthorized(
    http: httpx2.AsyncClient, emulator: Emulator, room: str
) -> None:
    token = admin_token(emulator, "r1", secret="some-other-conference-secret")

    response = await users(http, {"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert response.json() == {"message": "The token's signature is invalid."}


async def test_unsigned_token_is_unauthorized(
    http: httpx2.AsyncClient, emulator: Emulator, room: str
) -> None:
    def segment(data: dict[str, object]) -> str:
        raw = json.dumps(data).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    now = int(emulator.clock())
    claims = {
        "uid": "admin",
        "roomId": "r1",
        "role": "admin",
        "iat": now,
        "exp": now + 60,
    }
    token = f"{segment({'alg': 'none', 'typ': 'JWT'})}.{segment(claims)}."

    response = await users(http, {"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


@pytest.mark.parametrize(("elapsed", "status"), [(59, 200), (60, 401), (3600, 401)])
async def test_token_expires_by_emulator_clock(
    http: httpx2.AsyncClient,
    emulator: Emulator,
    clock: ManualClock,
    room: str,
    elapsed: int,
    status: int,
) -> None:
    headers = {"Authorization": f"Bearer {admin_token(emulator, 'r1', lifetime=60)}"}
    clock.advance(elapsed)

    response = await users(http, headers)

    assert response.status_code == status


async def test_token_issued_in_future_is_unauthorized(
    http: httpx2.AsyncClient, emulator: Emulator, room: str
) -> None:
    now = int(emulator.clock())
    claims = {"uid": "admin", "roomId": "r1", "role": "admin", "iat": now + 1}
    secret = emulator.credentials.conference_secret.get_secret_value()
    token = mint({**claims, "exp": now + 3600}, secret)

    response = await users(http, {"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert "in the future" in response.json()["message"]


@pytest.mark.parametrize(
    ("uid", "role"),
    [("admin", "publisher"), ("alice", "admin"), ("admin", "subscriber")],
)
async def test_non_admin_token_is_forbidden(
    http: httpx2.AsyncClient, emulator: Emulator, room: str, uid: str, role: str
) -> None:
    token = admin_token(emulator, "r1", uid=uid, role=role)

    response = await users(http, {"Authorization": f"Bearer {token}"})

    assert response.status_code == 403
    assert "not an admin token" in response.json()["message"]


async def test_unknown_role_is_unauthorized(
    http: httpx2.AsyncClient, emulator: Emulator, room: str
) -> None:
    token = admin_token(emulator, "r1", role="owner")

    response = await users(http, {"Authorization": f"Bearer {token}"})

    assert response.status_code == 401


async def test_participant_token_is_not_an_admin_token(
    http: httpx2.AsyncClient, emulator: Emulator, room: str
) -> None:
    token = await join_token(http, emulator, "alice", "r1", role="admin")

    response = await users(http, {"Authorization": f"Bearer {token}"})

    assert response.status_code == 403


async def test_authorization_is_checked_before_room_lookup(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    response = await http.get(API + "/room/ghost/users")

    assert response.status_code == 401

"""Joining a room: the checks a Red5 server makes on a conference token."""

from __future__ import annotations

import base64
import hashlib
import hmac

import httpx2
import pytest

from red5_bcs import _cbor
from red5_bcs.testing import Emulator, EmulatorError, JoinRejectedError, ManualClock

from .helpers import (
    API,
    bearer,
    conference_claims,
    conference_token,
    grant_token,
    join,
    join_token,
    mint,
    room_grant_body,
)

pytestmark = pytest.mark.anyio


async def token_with_grant(
    http: httpx2.AsyncClient,
    emulator: Emulator,
    grant: bytes,
    *,
    uid: str = "alice",
    room_id: str = "r1",
) -> str:
    """Return a conference token for `uid` in `room_id` embedding a grant."""
    pubnub_token = await grant_token(http, emulator, grant)
    return conference_token(
        emulator, **conference_claims(emulator, uid, room_id, pubnub_token)
    )


def forged_pubnub_token(uid: str, room_id: str, now: int) -> str:
    """Return a well-formed PubNub token signed with a key that is not the account's."""
    channels = {room_id: 3, f"{room_id}-pnpres": 3}
    empty: dict[str, int] = {}
    unsigned = {
        b"v": 2,
        b"t": now,
        b"ttl": 60,
        b"res": {
            b"chan": channels,
            b"grp": empty,
            b"usr": empty,
            b"spc": empty,
            b"uuid": empty,
        },
        b"pat": {
            b"chan": empty,
            b"grp": empty,
            b"usr": empty,
            b"spc": empty,
            b"uuid": empty,
        },
        b"meta": empty,
        b"uuid": uid,
    }
    signature = hmac.new(b"forger", _cbor.dumps(unsigned), hashlib.sha256).digest()
    raw = _cbor.dumps({**unsigned, b"sig": signature})
    return base64.urlsafe_b64encode(raw).decode()


def rejected(emulator: Emulator, token: str) -> JoinRejectedError:
    with pytest.raises(JoinRejectedError) as caught:
        emulator.join(token)
    return caught.value


async def test_join_admits_participant(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    status = emulator.join(await join_token(http, emulator, "alice", "r1"))

    assert status.uid == "alice"
    assert status.online is True
    assert status.role == "publisher"
    assert status.join_time == 1_700_000_000
    assert status.model_extra == {"roomId": "r1"}


async def test_join_over_http(http: httpx2.AsyncClient, emulator: Emulator) -> None:
    token = await join_token(http, emulator, "alice", "r1", role="subscriber")

    response = await http.post("/emulator/v1/join", json={"token": token})

    assert response.status_code == 200
    assert response.json() == {
        "roomId": "r1",
        "uid": "alice",
        "online": True,
        "role": "subscriber",
        "audioEnabled": False,
        "videoEnabled": False,
        "joinTime": 1_700_000_000,
    }


async def test_rejection_over_http_has_status_and_message(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    token = await join_token(http, emulator, "alice", "r1")
    emulator.reset()

    response = await http.post("/emulator/v1/join", json={"token": token})

    assert response.status_code == 403
    assert "was not granted" in response.json()["message"]


async def test_forged_pubnub_token_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    forged = forged_pubnub_token("alice", "r1", int(emulator.clock()))
    claims = conference_claims(emulator, "alice", "r1", forged)

    error = rejected(emulator, conference_token(emulator, **claims))

    assert error.status_code == 403
    assert "was not granted" in error.message


async def test_garbage_pubnub_token_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    claims = conference_claims(emulator, "alice", "r1", "not base64 at all!")

    error = rejected(emulator, conference_token(emulator, **claims))

    assert error.status_code == 403


async def test_grant_for_other_room_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    token = await token_with_grant(http, emulator, room_grant_body("alice", "r2"))

    error = rejected(emulator, token)

    assert error.status_code == 403
    assert "channel 'r1'" in error.message


async def test_grant_for_other_user_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    token = await token_with_grant(http, emulator, room_grant_body("mallory", "r1"))

    error = rejected(emulator, token)

    assert error.status_code == 403
    assert "not bound to user 'alice'" in error.message


@pytest.mark.parametrize(("read", "write"), [(True, False), (False, True)])
async def test_grant_without_read_and_write_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator, read: bool, write: bool
) -> None:
    grant = room_grant_body("alice", "r1", read=read, write=write)

    error = rejected(emulator, await token_with_grant(http, emulator, grant))

    assert error.status_code == 403
    assert "read and write" in error.message


async def test_grant_without_presence_channel_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    from red5_bcs._pubnub import ChatGrant, grant_body

    grant = grant_body(ChatGrant("alice", ("r1",), True, True, 60))

    error = rejected(emulator, await token_with_grant(http, emulator, grant))

    assert "channel 'r1-pnpres'" in error.message


async def test_expired_grant_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    grant = room_grant_body("alice", "r1", ttl=1)
    token = await token_with_grant(http, emulator, grant)
    clock.advance(60)

    error = rejected(emulator, token)

    assert error.status_code == 403
    assert "expired" in error.message


async def test_grant_just_before_expiry_is_accepted(
    http: httpx2.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    token = await token_with_grant(
        http, emulator, room_grant_body("alice", "r1", ttl=1)
    )
    clock.advance(59)

    assert emulator.join(token).online is True


async def test_expired_conference_token_is_unauthorized(
    http: httpx2.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    token = await join_token(http, emulator, "alice", "r1")
    clock.advance(3600)

    error = rejected(emulator, token)

    assert error.status_code == 401
    assert "expired" in error.message


async def test_conference_token_with_other_secret_is_unauthorized(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    pubnub_token = await grant_token(http, emulator, room_grant_body("alice", "r1"))
    claims = conference_claims(emulator, "alice", "r1", pubnub_token)

    error = rejected(emulator, mint(claims, "not-the-conference-secret"))

    assert error.status_code == 401


@pytest.mark.parametrize("role", ["owner", "Admin", ""])
async def test_unknown_role_is_unauthorized(
    http: httpx2.AsyncClient, emulator: Emulator, role: str
) -> None:
    pubnub_token = await grant_token(http, emulator, room_grant_body("alice", "r1"))
    claims = conference_claims(emulator, "alice", "r1", pubnub_token, role=role)

    error = rejected(emulator, conference_token(emulator, **claims))

    assert error.status_code == 401


@pytest.mark.parametrize("claim", ["pubnubToken", "pubnubSubscribeKey", "exp", "uid"])
async def test_missing_claim_is_unauthorized(
    http: httpx2.AsyncClient, emulator: Emulator, claim: str
) -> None:
    pubnub_token = await grant_token(http, emulator, room_grant_body("alice", "r1"))
    claims = conference_claims(emulator, "alice", "r1", pubnub_token)
    del claims[claim]

    error = rejected(emulator, conference_token(emulator, **claims))

    assert error.status_code == 401


@pytest.mark.parametrize("claim", ["pubnubSubscribeKey", "pubnubPublishKey"])
async def test_other_pubnub_keys_are_forbidden(
    http: httpx2.AsyncClient, emulator: Emulator, claim: str
) -> None:
    pubnub_token = await grant_token(http, emulator, room_grant_body("alice", "r1"))
    claims = conference_claims(emulator, "alice", "r1", pubnub_token)
    claims[claim] = "key-of-another-account"

    error = rejected(emulator, conference_token(emulator, **claims))

    assert error.status_code == 403
    assert "PubNub keys" in error.message


async def test_blocked_user_is_rejected_until_block_expires(
    http: httpx2.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    await join(http, emulator, "alice", "r1")
    await http.post(
        API + "/room/r1/user/alice/block?blockDuration=30",
        headers=bearer(emulator, "r1"),
    )
    token = await join_token(http, emulator, "alice", "r1")

    clock.advance(29)
    error = rejected(emulator, token)
    clock.advance(1)
    status = emulator.join(token)

    assert error.status_code == 403
    assert "blocked" in error.message
    assert status.online is True


async def test_unblocked_user_can_join_at_once(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    await join(http, emulator, "alice", "r1")
    headers = bearer(emulator, "r1")
    await http.post(
        API + "/room/r1/user/alice/block?blockDuration=3600", headers=headers
    )
    await http.post(API + "/room/r1/user/alice/unblock", headers=headers)

    await join(http, emulator, "alice", "r1")


async def test_rejoin_replaces_role_and_join_time(
    http: httpx2.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    await join(http, emulator, "alice", "r1")
    clock.advance(10)

    status = emulator.join(
        await join_token(http, emulator, "alice", "r1", role="admin")
    )

    assert status.role == "admin"
    assert status.join_time == 1_700_000_010


async def test_leave_takes_user_offline_once(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    await join(http, emulator, "alice", "r1")

    status = emulator.leave("r1", "alice")
    with pytest.raises(EmulatorError) as again:
        emulator.leave("r1", "alice")
    with pytest.raises(EmulatorError) as unknown:
        emulator.leave("r1", "bob")

    assert status.online is False
    assert again.value.status_code == 409
    assert unknown.value.status_code == 404


async def test_leave_and_media_over_http(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    await join(http, emulator, "alice", "r1")

    media = await http.post(
        "/emulator/v1/media",
        json={"roomId": "r1", "uid": "alice", "videoEnabled": False},
    )
    left = await http.post("/emulator/v1/leave", json={"roomId": "r1", "uid": "alice"})

    assert media.json()["audioEnabled"] is True
    assert media.json()["videoEnabled"] is False
    assert left.json()["online"] is False


async def test_set_media_rules(http: httpx2.AsyncClient, emulator: Emulator) -> None:
    await join(http, emulator, "alice", "r1")
    await join(http, emulator, "viewer", "r1", role="subscriber")

    muted = emulator.set_media("r1", "alice", audio_enabled=False)
    with pytest.raises(EmulatorError) as subscriber:
        emulator.set_media("r1", "viewer", video_enabled=True)
    emulator.leave("r1", "alice")
    with pytest.raises(EmulatorError) as offline:
        emulator.set_media("r1", "alice", audio_enabled=True)

    assert muted.audio_enabled is False
    assert muted.video_enabled is True
    assert subscriber.value.status_code == 403
    assert offline.value.status_code == 409


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("join", {"token": 5}),
        ("join", {"token": "t", "extra": 1}),
        ("join", {}),
        ("leave", {"roomId": "r1"}),
        ("media", {"roomId": "r1", "uid": "alice"}),
        ("media", {"roomId": "r1", "uid": "alice", "audioEnabled": "yes"}),
    ],
)
async def test_control_bodies_are_validated(
    http: httpx2.AsyncClient, emulator: Emulator, path: str, body: object
) -> None:
    response = await http.post(f"/emulator/v1/{path}", json=body)

    assert response.status_code == 400
    assert response.json()["message"].startswith("The request body is invalid")


async def test_control_rejects_non_json(http: httpx2.AsyncClient) -> None:
    response = await http.post("/emulator/v1/join", content=b"{")

    assert response.status_code == 400
    assert response.json() == {"message": "The request body is not valid JSON."}


async def test_control_rejects_huge_body(http: httpx2.AsyncClient) -> None:
    response = await http.post("/emulator/v1/join", content=b" " * (1024 * 1024 + 1))

    assert response.status_code == 413


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/emulator/v1/join", 405), ("POST", "/emulator/v1/nothing", 404)],
)
async def test_unknown_control_calls(
    http: httpx2.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await http.request(method, path)

    assert response.status_code == status


async def test_reset_forgets_rooms_and_grants(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    await join(http, emulator, "alice", "r1")
    token = await join_token(http, emulator, "bob", "r1")

    response = await http.post("/emulator/v1/reset")
    rooms = await http.get(API + "/rooms?state=all", headers=bearer(emulator))

    assert response.status_code == 200
    assert rooms.json() == {"roomCount": 0, "rooms": []}
    assert rejected(emulator, token).status_code == 403

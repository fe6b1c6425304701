"""Every client method against the in-process emulator, on asyncio and trio."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from red5_bcs import (
    AsyncRed5Client,
    ConflictError,
    ExpiredTokenError,
    InvalidArgumentError,
    NotFoundError,
    Red5Client,
    Role,
    RoomState,
    parse_chat_token,
)
from red5_bcs.testing import Emulator, JoinRejectedError, ManualClock

pytestmark = pytest.mark.anyio


async def _join(
    red5: AsyncRed5Client, emulator: Emulator, user: str, room: str, role: str
) -> None:
    emulator.join(await red5.get_conference_token(user, room, role))


async def test_conference_token_is_accepted_by_emulator(
    red5: AsyncRed5Client, emulator: Emulator
) -> None:
    token = await red5.get_conference_token("alice", "standup", Role.PUBLISHER, 30)

    status = emulator.join(token)

    assert status.uid == "alice"
    assert status.online
    assert status.role == "publisher"
    claims = red5.verify_conference_token(token)
    grant = parse_chat_token(claims.pubnub_token)
    assert grant.authorized_uuid == "alice"
    assert grant.ttl_minutes == 30
    assert set(grant.channels) == {"standup", "standup-pnpres"}
    assert all(p.read and p.write for p in grant.channels.values())


async def test_expired_conference_token_is_refused(
    red5: AsyncRed5Client, emulator: Emulator, clock: ManualClock
) -> None:
    token = await red5.get_conference_token("alice", "standup", expiration_minutes=1)

    clock.advance(120)

    with pytest.raises(JoinRejectedError):
        emulator.join(token)
    with pytest.raises(ExpiredTokenError):
        red5.verify_conference_token(token)


@pytest.mark.parametrize(
    ("read", "write"), [(True, False), (False, True), (True, True)]
)
async def test_chat_token_grants_what_was_asked(
    red5: AsyncRed5Client, read: bool, write: bool
) -> None:
    token = await red5.get_chat_token("bob", "lobby", read, write, ttl_minutes=5)

    grant = parse_chat_token(token)

    assert grant.authorized_uuid == "bob"
    assert grant.ttl_minutes == 5
    for channel in ("lobby", "lobby-pnpres"):
        assert grant.channels[channel].read is read
        assert grant.channels[channel].write is write


async def test_participants_hosts_and_status(
    red5: AsyncRed5Client, emulator: Emulator
) -> None:
    await _join(red5, emulator, "host", "room-1", "admin")
    await _join(red5, emulator, "speaker", "room-1", "publisher")
    await _join(red5, emulator, "viewer", "room-1", "subscriber")

    users = await red5.get_user_list("room-1")
    hosts = await red5.get_host_list("room-1")
    status = await red5.get_user_status("room-1", "viewer")
    joined = await red5.is_user_joined("room-1", "viewer")

    assert users.user_count == 3
    assert {user.uid for user in users.users} == {"host", "speaker", "viewer"}
    assert {host.uid for host in hosts.hosts} == {"host", "speaker"}
    assert hosts.host_count == 2
    assert status.role == "subscriber"
    assert status.online
    assert status.joined_at == datetime.fromtimestamp(emulator.clock(), UTC).replace(
        microsecond=0
    )
    assert joined.joined


async def test_user_left_is_not_joined(
    red5: AsyncRed5Client, emulator: Emulator
) -> None:
    await _join(red5, emulator, "alice", "room-1", "publisher")

    emulator.leave("room-1", "alice")

    assert not (await red5.is_user_joined("room-1", "alice")).joined
    assert not (await red5.get_user_status("room-1", "alice")).online


async def test_unknown_user_is_not_found(
    red5: AsyncRed5Client, emulator: Emulator
) -> None:
    await _join(red5, emulator, "alice", "room-1", "publisher")

    with pytest.raises(NotFoundError) as caught:
        await red5.get_user_status("room-1", "nobody")

    assert caught.value.status_code == 404
    assert "nobody" in caught.value.message


async def test_paging_users_with_limit_offset_and_iterator(
    red5: AsyncRed5Client, emulator: Emulator
) -> None:
    for index in range(7):
        await _join(red5, emulator, f"user-{index}", "big", "subscriber")

    first = await red5.get_user_list("big", limit=3, offset=0)
    last = await red5.get_user_list("big", limit=3, offset=6)
    beyond = await red5.get_user_list("big", limit=3, offset=50)
    everyone = [user.uid async for user in red5.iter_users("big", page_size=3)]

    assert first.user_count == 7
    assert len(first.users) == 3
    assert len(last.users) == 1
    assert beyond.users == []
    assert sorted(everyone) == sorted(f"user-{index}" for index in range(7))
    assert len(everyone) == 7


async def test_rooms_by_state_and_paging(
    red5: AsyncRed5Client, emulator: Emulator
) -> None:
    for room in ("a", "b", "c"):
        await _join(red5, emulator, "someone", room, "publisher")
    emulator.leave("c", "someone")

    active = await red5.get_room_list()
    inactive = await red5.get_room_list(RoomState.INACTIVE)
    every = [room.room_id async for room in red5.iter_rooms("all", page_size=2)]

    assert {room.room_id for room in active.rooms} == {"a", "b"}
    assert active.room_count == 2
    assert [room.room_id for room in inactive.rooms] == ["c"]
    assert inactive.rooms[0].state == "inactive"
    assert sorted(every) == ["a", "b", "c"]


async def test_block_refuses_join_until_unblocked(
    red5: AsyncRed5Client, emulator: Emulator
) -> None:
    await _join(red5, emulator, "troll", "room-1", "publisher")

    blocked = await red5.block_user("room-1", "troll", 3600)
    with pytest.raises(JoinRejectedError):
        await _join(red5, emulator, "troll", "room-1", "publisher")
    unblocked = await red5.unblock_user("room-1", "troll")
    await _join(red5, emulator, "troll", "room-1", "publisher")

    assert (
        blocked.message == "User with ID troll in room room-1 blocked for 3600 seconds"
    )
    assert unblocked.message == "User with ID troll in room room-1 unblocked"
    assert (await red5.is_user_joined("room-1", "troll")).joined


async def test_block_expires_with_time(
    red5: AsyncRed5Client, emulator: Emulator, clock: ManualClock
) -> None:
    await _join(red5, emulator, "troll", "room-1", "publisher")
    await red5.block_user("room-1", "troll", block_duration_seconds=60)

    clock.advance(61)

    await _join(red5, emulator, "troll", "room-1", "publisher")
    assert (await red5.is_user_joined("room-1", "troll")).joined


async def test_recording_start_stop_and_conflicts(
    red5: AsyncRed5Client, emulator: Emulator, clock: ManualClock
) -> None:
    await _join(red5, emulator, "alice", "room-1", "publisher")
    await _join(red5, emulator, "bob", "room-1", "subscriber")

    started = await red5.start_recording("room-1")
    with pytest.raises(ConflictError):
        await red5.start_recording("room-1")
    stopped = await red5.stop_recording("room-1")
    with pytest.raises(ConflictError):
        await red5.stop_recording("room-1")

    assert started.recording_stream_name == f"room-1_{int(clock() * 1000)}"
    assert started.participant_count == 2
    assert started.origin_ip
    assert stopped.recording_stream_name == started.recording_stream_name
    assert stopped.mixer_stopped is True


async def test_transcription_and_transcripts(
    red5: AsyncRed5Client, emulator: Emulator, clock: ManualClock
) -> None:
    await _join(red5, emulator, "alice", "room-1", "publisher")
    before = int(clock() * 1000)

    started = await red5.start_transcription("room-1", "alice")
    clock.advance(30)
    transcripts = await red5.get_transcriptions("room-1")
    windowed = await red5.get_transcriptions(
        "room-1", start_time=before, end_time=datetime.fromtimestamp(clock(), UTC)
    )
    empty = await red5.get_transcriptions("room-1", start_time=int(clock() * 1000) + 1)
    stopped = await red5.stop_transcription("room-1", "alice")

    assert started.message
    assert started.total_participants == 1
    assert stopped.message
    assert transcripts.entries
    assert len(windowed.entries) == len(transcripts.entries)
    assert all(
        before <= (entry.timestamp or 0) <= clock() * 1000 for entry in windowed.entries
    )
    assert empty.entries == []


async def test_external_streams_add_list_remove(
    red5: AsyncRed5Client, emulator: Emulator
) -> None:
    await _join(red5, emulator, "alice", "room-1", "publisher")

    await red5.add_external_stream("room-1", "camera/1")
    listed = await red5.get_external_streams()
    await red5.remove_external_stream("room-1", "camera/1")
    after = await red5.get_external_streams()
    with pytest.raises(NotFoundError):
        await red5.remove_external_stream("room-1", "camera/1")

    assert [(s.room_id, s.stream_id) for s in listed.streams] == [
        ("room-1", "camera/1")
    ]
    assert after.streams == []


@pytest.mark.parametrize(
    "user_id", ["a/b", "a/../../x", "100%", "q?x=1#f", "zoë", "...", "%2F", "a b"]
)
async def test_unusual_user_ids_reach_emulator_unchanged(
    red5: AsyncRed5Client, emulator: Emulator, user_id: str
) -> None:
    await _join(red5, emulator, user_id, "room-1", "publisher")

    status = await red5.get_user_status("room-1", user_id)
    users = await red5.get_user_list("room-1")

    assert status.uid == user_id
    assert [user.uid for user in users.users] == [user_id]


async def test_invalid_argument_makes_no_request(
    red5: AsyncRed5Client, emulator: Emulator
) -> None:
    emulator.clear_requests()

    with pytest.raises(InvalidArgumentError):
        await red5.get_user_list("room/1")
    with pytest.raises(InvalidArgumentError):
        await red5.get_conference_token("alice", "room", expiration_minutes=0)

    assert emulator.requests == []


def test_sync_client_runs_every_call(red5_sync: Red5Client, emulator: Emulator) -> None:
    red5 = red5_sync
    for user, role in (("alice", "admin"), ("bob", "publisher")):
        emulator.join(red5.get_conference_token(user, "sync-room", role))

    assert red5.get_user_list("sync-room").user_count == 2
    paged = [user.uid for user in red5.iter_users("sync-room", page_size=1)]
    assert sorted(paged) == ["alice", "bob"]
    assert red5.get_host_list("sync-room").host_count == 2
    assert red5.get_user_status("sync-room", "bob").online
    assert red5.is_user_joined("sync-room", "bob").joined
    assert [room.room_id for room in red5.iter_rooms()] == ["sync-room"]
    assert red5.get_room_list("all").room_count == 1
    assert red5.block_user("sync-room", "bob", 5).message
    assert red5.unblock_user("sync-room", "bob").message
    # Blocking took bob out of the room, so only alice is recorded.
    assert red5.start_recording("sync-room").participant_count == 1
    assert red5.stop_recording("sync-room").mixer_stopped is True
    assert red5.start_transcription("sync-room", "alice").message
    assert red5.get_transcriptions("sync-room") is not None
    assert red5.stop_transcription("sync-room", "alice").message
    assert red5.add_external_stream("sync-room", "cam").message is not None
    assert len(red5.get_external_streams().streams) == 1
    assert red5.remove_external_stream("sync-room", "cam").message is not None
    token = red5.get_chat_token("alice", "sync-room", True, False)
    assert parse_chat_token(token).channels["sync-room"].read

"""The SDK's own clients against the emulator, in-process and over a socket."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from red5_bcs import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AsyncRed5Client,
    AuthenticationError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
)
from red5_bcs.testing import Emulator, EmulatorServer, JoinRejectedError, ManualClock

pytestmark = pytest.mark.anyio

ROOMS = "/as/v1/conference/rooms"


@pytest.fixture
async def red5(emulator: Emulator) -> AsyncIterator[AsyncRed5Client]:
    async with emulator.async_client(max_retries=0) as client:
        yield client


async def test_every_call_against_emulator(
    red5: AsyncRed5Client, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.join(await red5.get_conference_token("alice", "standup"))
    emulator.join(await red5.get_conference_token("bob", "standup", "subscriber"))

    status = await red5.get_user_status("standup", "alice")
    joined = await red5.is_user_joined("standup", "bob")
    users = await red5.get_user_list("standup", limit=1, offset=1)
    hosts = await red5.get_host_list("standup")
    rooms = await red5.get_room_list("all")
    recording = await red5.start_recording("standup")
    stopped = await red5.stop_recording("standup")
    started = await red5.start_transcription("standup", "bob")
    clock.advance(10)
    transcripts = await red5.get_transcriptions("standup", start_time=0)
    ended = await red5.stop_transcription("standup", "bob")
    added = await red5.add_external_stream("standup", "cam/1")
    streams = await red5.get_external_streams()
    removed = await red5.remove_external_stream("standup", "cam/1")
    blocked = await red5.block_user("standup", "bob", 60)
    unblocked = await red5.unblock_user("standup", "bob")

    assert status.role == "publisher"
    assert joined.joined is True
    assert (users.user_count, [u.uid for u in users.users]) == (2, ["bob"])
    assert [h.uid for h in hosts.hosts] == ["alice"]
    assert rooms.rooms[0].room_id == "standup"
    assert recording.recording_stream_name == "standup_1700000000000"
    assert stopped.mixer_stopped is True
    assert started.successful_streams == ["alice"]
    assert [entry.uid for entry in transcripts.entries] == ["alice", "alice"]
    assert ended.total_participants == 2
    assert added.message == "External stream cam/1 added to room standup"
    assert [s.stream_id for s in streams.streams] == ["cam/1"]
    assert removed.message is not None
    assert blocked.message == "User with ID bob in room standup blocked for 60 seconds"
    assert unblocked.message == "User with ID bob in room standup unblocked"


async def test_error_statuses_become_typed_errors(
    red5: AsyncRed5Client, emulator: Emulator
) -> None:
    emulator.join(await red5.get_conference_token("alice", "standup"))
    await red5.start_recording("standup")

    with pytest.raises(NotFoundError) as missing:
        await red5.get_user_status("ghost", "alice")
    with pytest.raises(ConflictError) as conflict:
        await red5.start_recording("standup")
    with pytest.raises(NotFoundError):
        await red5.remove_external_stream("standup", "nothing")

    assert missing.value.message == "Room 'ghost' not found."
    assert conflict.value.message == "Room 'standup' is already being recorded."


async def test_tokens_of_another_account_are_rejected(emulator: Emulator) -> None:
    other = Emulator(clock=emulator.clock)
    async with emulator.async_client(
        master_key=other.master_key, master_secret=other.master_secret, max_retries=0
    ) as wrong:
        with pytest.raises(AuthenticationError):
            await wrong.get_room_list()


async def test_conference_token_of_another_account_cannot_join(
    emulator: Emulator,
) -> None:
    other = Emulator(clock=emulator.clock)
    async with other.async_client() as red5:
        token = await red5.get_conference_token("alice", "standup")

    with pytest.raises(JoinRejectedError) as caught:
        emulator.join(token)

    assert caught.value.status_code == 401


async def test_admin_tokens_follow_the_shared_clock(
    red5: AsyncRed5Client, emulator: Emulator, clock: ManualClock
) -> None:
    emulator.join(await red5.get_conference_token("alice", "standup"))
    await red5.get_host_list("standup")
    clock.advance(2 * 3600)

    hosts = await red5.get_host_list("standup")

    assert hosts.host_count == 1


async def test_conference_token_expires_on_shared_clock(
    red5: AsyncRed5Client, emulator: Emulator, clock: ManualClock
) -> None:
    token = await red5.get_conference_token("alice", "standup", expiration_minutes=1)
    clock.advance(60)

    with pytest.raises(JoinRejectedError):
        emulator.join(token)


async def test_retries_follow_scripted_503s(emulator: Emulator) -> None:
    retry_now = {"status": 503, "headers": {"Retry-After": "0"}}
    emulator.add_faults("GET", ROOMS, [retry_now, retry_now])

    async with emulator.async_client(max_retries=2) as red5:
        rooms = await red5.get_room_list()

    assert rooms.room_count == 0
    assert [r.status for r in emulator.requests] == [503, 503, 200]


async def test_last_503_is_raised(red5: AsyncRed5Client, emulator: Emulator) -> None:
    emulator.add_faults("GET", ROOMS, [{"status": 503, "body": {"message": "busy"}}])

    with pytest.raises(InternalServerError) as caught:
        await red5.get_room_list()

    assert caught.value.message == "busy"


async def test_scripted_403_becomes_permission_error(
    red5: AsyncRed5Client, emulator: Emulator
) -> None:
    emulator.add_faults("GET", ROOMS, [{"status": 403}])

    with pytest.raises(PermissionDeniedError):
        await red5.get_room_list()


@pytest.mark.parametrize("kind", ["before_response", "during_body"])
async def test_dropped_connection_is_connection_error(
    red5: AsyncRed5Client, emulator: Emulator, kind: str
) -> None:
    emulator.add_faults("GET", ROOMS, [{"drop": kind}])

    with pytest.raises(APIConnectionError):
        await red5.get_room_list()


async def test_dropped_post_is_not_retried(emulator: Emulator) -> None:
    async with emulator.async_client(max_retries=2) as red5:
        emulator.join(await red5.get_conference_token("alice", "standup"))
        emulator.add_faults(
            "POST",
            "/as/v1/conference/room/standup/startRecording",
            [{"drop": "before_response"}],
        )

        with pytest.raises(APIConnectionError):
            await red5.start_recording("standup")

    assert [r.fault for r in emulator.requests if r.method == "POST"][-1] == "drop"
    assert (
        sum(1 for r in emulator.requests if r.raw_path.endswith("startRecording")) == 1
    )


@pytest.mark.parametrize(
    "outcome",
    [
        {"malformed": "truncated"},
        {"malformed": "not_json"},
        {"malformed": "html"},
        {"body_bytes": 12_000_000},
        {"body_bytes": 12_000_000, "chunked": True},
    ],
)
async def test_unreadable_bodies_are_validation_errors(
    red5: AsyncRed5Client, emulator: Emulator, outcome: dict[str, object]
) -> None:
    emulator.add_faults("GET", ROOMS, [outcome])

    with pytest.raises(APIResponseValidationError):
        await red5.get_room_list()


async def test_scripted_redirect_is_not_followed(
    red5: AsyncRed5Client, emulator: Emulator
) -> None:
    emulator.add_faults("GET", ROOMS, [{"redirect": "http://127.0.0.1:9/elsewhere"}])

    with pytest.raises(APIStatusError) as caught:
        await red5.get_room_list()

    assert caught.value.status_code == 307
    assert len(emulator.requests) == 1


@pytest.mark.parametrize("transport", ["auto", "httpx"])
async def test_client_over_socket(emulator: Emulator, transport: str) -> None:
    with EmulatorServer(emulator) as server:
        async with server.async_client(transport=transport, max_retries=0) as red5:
            emulator.join(await red5.get_conference_token("alice", "standup"))
            emulator.add_faults("GET", ROOMS, [{"drop": "before_response"}])
            with pytest.raises(APIConnectionError):
                await red5.get_room_list()
            rooms = await red5.get_room_list()

    assert rooms.room_count == 1


def test_blocking_client_in_process(emulator: Emulator) -> None:
    with emulator.client(max_retries=0) as red5:
        emulator.join(red5.get_conference_token("alice", "standup"))
        users = red5.get_user_list("standup")

    assert users.user_count == 1


def test_blocking_client_on_trio(emulator: Emulator) -> None:
    with emulator.client(backend="trio") as red5:
        emulator.join(red5.get_conference_token("alice", "standup"))
        rooms = red5.get_room_list()

    assert rooms.room_count == 1


def test_blocking_client_over_socket(emulator: Emulator) -> None:
    with EmulatorServer(emulator) as server, server.client(max_retries=0) as red5:
        emulator.join(red5.get_conference_token("alice", "standup"))
        hosts = red5.get_host_list("standup")

    assert hosts.host_count == 1

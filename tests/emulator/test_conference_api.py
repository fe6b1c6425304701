"""The emulated conference API: bodies, paging, validation and the 404s and 409s."""

from __future__ import annotations

import httpx2
import pytest

from red5_bcs.testing import Emulator, ManualClock

from .helpers import API, bearer, join

pytestmark = pytest.mark.anyio


@pytest.fixture
async def standup(http: httpx2.AsyncClient, emulator: Emulator) -> str:
    """A room with a publisher, an admin and a subscriber online."""
    await join(http, emulator, "alice", "standup")
    await join(http, emulator, "root", "standup", role="admin")
    await join(http, emulator, "viewer", "standup", role="subscriber")
    return "standup"


async def get(
    http: httpx2.AsyncClient, emulator: Emulator, path: str, scope: str = "standup"
) -> httpx2.Response:
    return await http.get(API + path, headers=bearer(emulator, scope))


async def post(
    http: httpx2.AsyncClient, emulator: Emulator, path: str, scope: str = "standup"
) -> httpx2.Response:
    return await http.post(API + path, headers=bearer(emulator, scope))


async def test_user_status_has_documented_shape(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    response = await get(http, emulator, "/room/standup/user/alice")

    assert response.status_code == 200
    assert response.json() == {
        "uid": "alice",
        "online": True,
        "role": "publisher",
        "audioEnabled": True,
        "videoEnabled": True,
        "joinTime": 1_700_000_000,
    }


async def test_subscriber_joins_with_media_off(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    response = await get(http, emulator, "/room/standup/user/viewer")

    assert response.json()["audioEnabled"] is False
    assert response.json()["videoEnabled"] is False


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/room/standup/user/nobody", "User 'nobody' not found in room 'standup'."),
        ("/room/standup/user/nobody/isJoined", None),
    ],
)
async def test_unknown_user(
    http: httpx2.AsyncClient,
    emulator: Emulator,
    standup: str,
    path: str,
    message: str | None,
) -> None:
    response = await get(http, emulator, path)

    if message is None:
        assert response.status_code == 200
        assert response.json()["isJoined"] is False
    else:
        assert response.status_code == 404
        assert response.json() == {"message": message}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/room/ghost/user/alice"),
        ("GET", "/room/ghost/user/alice/isJoined"),
        ("GET", "/room/ghost/users"),
        ("GET", "/room/ghost/hosts"),
        ("POST", "/room/ghost/user/alice/block"),
        ("POST", "/room/ghost/user/alice/unblock"),
        ("POST", "/room/ghost/startRecording"),
        ("POST", "/room/ghost/stopRecording"),
        ("POST", "/room/ghost/user/alice/start-transcription"),
        ("POST", "/room/ghost/user/alice/stop-transcription"),
        ("GET", "/room/ghost/transcriptions"),
        ("POST", "/room/ghost/external-stream/cam"),
        ("DELETE", "/room/ghost/external-stream/cam"),
    ],
)
async def test_unknown_room_is_not_found(
    http: httpx2.AsyncClient, emulator: Emulator, method: str, path: str
) -> None:
    response = await http.request(method, API + path, headers=bearer(emulator, "ghost"))

    assert response.status_code == 404
    assert response.json() == {"message": "Room 'ghost' not found."}


async def test_is_joined_follows_presence(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    before = await get(http, emulator, "/room/standup/user/alice/isJoined")
    emulator.leave("standup", "alice")
    after = await get(http, emulator, "/room/standup/user/alice/isJoined")

    assert before.json() == {"roomId": "standup", "uid": "alice", "isJoined": True}
    assert after.json()["isJoined"] is False


async def test_user_list_keeps_join_order_and_offline_users(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    emulator.leave("standup", "root")

    body = (await get(http, emulator, "/room/standup/users")).json()

    assert body["userCount"] == 3
    assert [user["uid"] for user in body["users"]] == ["alice", "root", "viewer"]
    assert [user["online"] for user in body["users"]] == [True, False, True]


@pytest.mark.parametrize(
    ("query", "uids"),
    [
        ("?limit=1", ["alice"]),
        ("?limit=1&offset=1", ["root"]),
        ("?limit=2&offset=2", ["viewer"]),
        ("?offset=3", []),
        ("?offset=2147483647", []),
        ("?limit=2147483647", ["alice", "root", "viewer"]),
        ("?limit=100&offset=0", ["alice", "root", "viewer"]),
    ],
)
async def test_user_list_pages(
    http: httpx2.AsyncClient,
    emulator: Emulator,
    standup: str,
    query: str,
    uids: list[str],
) -> None:
    body = (await get(http, emulator, "/room/standup/users" + query)).json()

    assert body["userCount"] == 3
    assert [user["uid"] for user in body["users"]] == uids


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=-1",
        "limit=abc",
        "limit=1.5",
        "limit=",
        "limit=%201",
        "limit=%2B1",
        "limit=2147483648",
        "offset=-1",
        "offset=x",
        "limit=1&limit=2",
    ],
)
async def test_user_list_rejects_bad_paging(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str, query: str
) -> None:
    response = await get(http, emulator, "/room/standup/users?" + query)

    assert response.status_code == 400
    assert isinstance(response.json()["message"], str)


async def test_host_list_has_online_publishers_and_admins(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    await join(http, emulator, "bob", "standup")
    emulator.leave("standup", "bob")

    body = (await get(http, emulator, "/room/standup/hosts")).json()

    assert body["hostCount"] == 2
    assert [host["uid"] for host in body["hosts"]] == ["alice", "root"]
    assert body["hosts"][1]["role"] == "admin"


async def rooms_with_states(http: httpx2.AsyncClient, emulator: Emulator) -> None:
    for room in ("r1", "r2", "r3"):
        await join(http, emulator, "u", room)
    emulator.leave("r2", "u")


@pytest.mark.parametrize(
    ("query", "count", "rooms"),
    [
        ("", 2, ["r1", "r3"]),
        ("?state=active", 2, ["r1", "r3"]),
        ("?state=inactive", 1, ["r2"]),
        ("?state=all", 3, ["r1", "r2", "r3"]),
        ("?state=all&limit=2", 3, ["r1", "r2"]),
        ("?state=all&limit=2&offset=2", 3, ["r3"]),
        ("?state=all&offset=5", 3, []),
    ],
)
async def test_room_list_filters_and_pages(
    http: httpx2.AsyncClient,
    emulator: Emulator,
    query: str,
    count: int,
    rooms: list[str],
) -> None:
    await rooms_with_states(http, emulator)

    body = (await get(http, emulator, "/rooms" + query, "admin")).json()

    assert body["roomCount"] == count
    assert [room["roomId"] for room in body["rooms"]] == rooms


async def test_room_item_shape(http: httpx2.AsyncClient, emulator: Emulator) -> None:
    await rooms_with_states(http, emulator)

    body = (await get(http, emulator, "/rooms?state=all", "admin")).json()

    assert body["rooms"][1] == {
        "roomId": "r2",
        "state": "inactive",
        "userCount": 0,
        "hostCount": 0,
        "recording": False,
    }


@pytest.mark.parametrize(
    "query", ["state=Active", "state=", "state=none", "limit=0", "offset=-2"]
)
async def test_room_list_rejects_bad_query(
    http: httpx2.AsyncClient, emulator: Emulator, query: str
) -> None:
    response = await get(http, emulator, "/rooms?" + query, "admin")

    assert response.status_code == 400
    assert isinstance(response.json()["message"], str)


async def test_block_disconnects_and_reports(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    response = await post(
        http, emulator, "/room/standup/user/alice/block?blockDuration=3600"
    )
    status = await get(http, emulator, "/room/standup/user/alice")

    assert response.json() == {
        "message": "User with ID alice in room standup blocked for 3600 seconds"
    }
    assert status.json()["online"] is False


async def test_block_duration_defaults_to_one_second(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    response = await post(http, emulator, "/room/standup/user/alice/block")

    assert response.json()["message"].endswith("blocked for 1 seconds")


@pytest.mark.parametrize("duration", ["0", "-1", "abc", "1.0", "", "2147483648"])
async def test_block_rejects_bad_duration(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str, duration: str
) -> None:
    path = f"/room/standup/user/alice/block?blockDuration={duration}"

    response = await post(http, emulator, path)

    assert response.status_code == 400
    assert "blockDuration" in response.json()["message"]


async def test_block_unknown_user_is_not_found(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    response = await post(http, emulator, "/room/standup/user/nobody/block")

    assert response.status_code == 404


async def test_unblock_reports_and_rejects_unblocked_user(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    await post(http, emulator, "/room/standup/user/alice/block?blockDuration=60")

    first = await post(http, emulator, "/room/standup/user/alice/unblock")
    second = await post(http, emulator, "/room/standup/user/alice/unblock")

    assert first.json() == {"message": "User with ID alice in room standup unblocked"}
    assert second.status_code == 404
    assert second.json()["message"] == "User 'alice' is not blocked in room 'standup'."


async def test_unblock_after_block_expired_is_not_found(
    http: httpx2.AsyncClient, emulator: Emulator, clock: ManualClock, standup: str
) -> None:
    await post(http, emulator, "/room/standup/user/alice/block?blockDuration=5")
    clock.advance(5)

    response = await post(http, emulator, "/room/standup/user/alice/unblock")

    assert response.status_code == 404


async def test_recording_start_and_stop(
    http: httpx2.AsyncClient, emulator: Emulator, clock: ManualClock, standup: str
) -> None:
    clock.advance(1.5)
    started = await post(http, emulator, "/room/standup/startRecording")
    stopped = await post(http, emulator, "/room/standup/stopRecording")

    assert started.json() == {
        "message": "Recording started for room standup",
        "recordingStreamName": "standup_1700000001500",
        "participantCount": 3,
        "originIp": "127.0.0.1",
    }
    assert stopped.json() == {
        "message": "Recording stopped for room standup",
        "recordingStreamName": "standup_1700000001500",
        "mixerStopped": True,
    }


async def test_second_recording_start_conflicts(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    await post(http, emulator, "/room/standup/startRecording")

    response = await post(http, emulator, "/room/standup/startRecording")

    assert response.status_code == 409
    assert response.json() == {"message": "Room 'standup' is already being recorded."}


async def test_recording_stop_without_start_conflicts(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    response = await post(http, emulator, "/room/standup/stopRecording")

    assert response.status_code == 409
    assert response.json() == {"message": "Room 'standup' is not being recorded."}


async def test_recording_empty_room_conflicts(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    await join(http, emulator, "u", "empty")
    emulator.leave("empty", "u")

    response = await post(http, emulator, "/room/empty/startRecording", "empty")

    assert response.status_code == 409


async def test_room_list_shows_recording(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    await post(http, emulator, "/room/standup/startRecording")

    body = (await get(http, emulator, "/rooms", "admin")).json()

    assert body["rooms"][0]["recording"] is True


async def test_transcription_start_reports_streams(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    response = await post(
        http, emulator, "/room/standup/user/viewer/start-transcription"
    )

    assert response.json() == {
        "message": "Transcription started for user viewer in room standup",
        "successfulStreams": ["alice", "root"],
        "totalParticipants": 3,
    }


async def test_transcription_start_twice_conflicts(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    await post(http, emulator, "/room/standup/user/viewer/start-transcription")

    response = await post(
        http, emulator, "/room/standup/user/viewer/start-transcription"
    )

    assert response.status_code == 409
    assert "already running" in response.json()["message"]


async def test_transcription_stop_without_start_conflicts(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    response = await post(
        http, emulator, "/room/standup/user/viewer/stop-transcription"
    )

    assert response.status_code == 409
    assert "not running" in response.json()["message"]


async def test_transcription_needs_online_user(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    emulator.leave("standup", "viewer")

    offline = await post(
        http, emulator, "/room/standup/user/viewer/start-transcription"
    )
    unknown = await post(http, emulator, "/room/standup/user/ghost/start-transcription")

    assert offline.status_code == 409
    assert unknown.status_code == 404


async def test_transcript_entries_are_deterministic(
    http: httpx2.AsyncClient, emulator: Emulator, clock: ManualClock, standup: str
) -> None:
    await post(http, emulator, "/room/standup/user/viewer/start-transcription")
    clock.advance(16)

    body = (await get(http, emulator, "/room/standup/transcriptions")).json()

    assert body["roomId"] == "standup"
    assert body["transcriptionCount"] == 3
    assert body["transcriptions"] == [
        {
            "id": 0,
            "uid": "alice",
            "text": "Good morning, everyone.",
            "timestamp": 1_700_000_005_000,
        },
        {
            "id": 1,
            "uid": "root",
            "text": "Can you all hear me clearly?",
            "timestamp": 1_700_000_010_000,
        },
        {
            "id": 2,
            "uid": "alice",
            "text": "Let us start with the first item on the agenda.",
            "timestamp": 1_700_000_015_000,
        },
    ]


async def test_transcript_follows_speakers_and_stops(
    http: httpx2.AsyncClient, emulator: Emulator, clock: ManualClock, standup: str
) -> None:
    await post(http, emulator, "/room/standup/user/viewer/start-transcription")
    clock.advance(5)
    emulator.set_media("standup", "alice", audio_enabled=False)
    clock.advance(10)
    await post(http, emulator, "/room/standup/user/viewer/stop-transcription")
    clock.advance(60)

    body = (await get(http, emulator, "/room/standup/transcriptions")).json()

    assert [entry["uid"] for entry in body["transcriptions"]] == [
        "alice",
        "root",
        "root",
    ]


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("?startTime=1700000010000", [1, 2]),
        ("?endTime=1700000010000", [0, 1]),
        ("?startTime=1700000006000&endTime=1700000014999", [1]),
        ("?startTime=1700000010000&endTime=1700000010000", [1]),
        ("?startTime=0", [0, 1, 2]),
    ],
)
async def test_transcriptions_filter_by_time(
    http: httpx2.AsyncClient,
    emulator: Emulator,
    clock: ManualClock,
    standup: str,
    query: str,
    ids: list[int],
) -> None:
    await post(http, emulator, "/room/standup/user/viewer/start-transcription")
    clock.advance(15)

    body = (await get(http, emulator, "/room/standup/transcriptions" + query)).json()

    assert [entry["id"] for entry in body["transcriptions"]] == ids


@pytest.mark.parametrize(
    "query",
    ["startTime=-1", "startTime=abc", "endTime=1.5", "startTime=5&endTime=4"],
)
async def test_transcriptions_reject_bad_times(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str, query: str
) -> None:
    response = await get(http, emulator, "/room/standup/transcriptions?" + query)

    assert response.status_code == 400


async def test_long_clock_jump_keeps_latest_entries(
    http: httpx2.AsyncClient, emulator: Emulator, clock: ManualClock, standup: str
) -> None:
    await post(http, emulator, "/room/standup/user/viewer/start-transcription")
    clock.advance(365 * 24 * 3600)

    body = (await get(http, emulator, "/room/standup/transcriptions")).json()

    assert body["transcriptionCount"] == 10_000
    assert body["transcriptions"][-1]["timestamp"] == int(clock.now()) * 1000


async def test_external_streams_add_list_remove(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    added = await post(http, emulator, "/room/standup/external-stream/cam%2F1")
    listed = await get(http, emulator, "/external-streams", "admin")
    removed = await http.delete(
        API + "/room/standup/external-stream/cam%2F1",
        headers=bearer(emulator, "standup"),
    )
    after = await get(http, emulator, "/external-streams", "admin")

    assert added.json() == {
        "message": "External stream cam/1 added to room standup",
        "roomId": "standup",
        "streamId": "cam/1",
    }
    assert listed.json() == {
        "externalStreamCount": 1,
        "externalStreams": [
            {"roomId": "standup", "streamId": "cam/1", "addedTime": 1_700_000_000}
        ],
    }
    assert (
        removed.json()["message"] == "External stream cam/1 removed from room standup"
    )
    assert after.json() == {"externalStreamCount": 0, "externalStreams": []}


async def test_external_stream_added_twice_conflicts(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    await post(http, emulator, "/room/standup/external-stream/cam")

    response = await post(http, emulator, "/room/standup/external-stream/cam")

    assert response.status_code == 409


async def test_removing_unknown_external_stream_is_not_found(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    response = await http.delete(
        API + "/room/standup/external-stream/cam", headers=bearer(emulator, "standup")
    )

    assert response.status_code == 404
    assert response.json() == {
        "message": "External stream 'cam' not found in room 'standup'."
    }


async def test_wrong_method_is_not_allowed(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str
) -> None:
    response = await get(http, emulator, "/room/standup/startRecording")

    assert response.status_code == 405
    assert "use POST" in response.json()["message"]


@pytest.mark.parametrize(
    "path", ["/nothing", "/room/standup", "/room/standup/users/", "/rooms/extra", ""]
)
async def test_unknown_endpoint_is_not_found(
    http: httpx2.AsyncClient, emulator: Emulator, standup: str, path: str
) -> None:
    response = await get(http, emulator, path)

    assert response.status_code == 404
    assert response.json()["message"].startswith("No endpoint at GET")

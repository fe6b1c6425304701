"""Any string as an id is rejected before sending, or arrives exactly as given.

An id that the SDK accepts must reach the emulator on the intended path: its
percent-decoded segments are the ids, so `../` and `%2F` cannot move the
request elsewhere. It must come back unchanged in token claims, in the
PubNub grant and in responses. Ids lose only their surrounding whitespace,
as documented. An id that the SDK rejects must be rejected by every method
that takes it, with `InvalidArgumentError` and without a single request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from red5_bcs import (
    AsyncRed5Client,
    InvalidArgumentError,
    Red5Client,
    parse_chat_token,
)
from red5_bcs.testing import Emulator, EmulatorServer, ManualClock

from .support import decoded_segments

ROOM = "standup"
USER = "ann"
API_SEGMENTS = ["", "as", "v1", "conference"]
# Characters that have a meaning in URLs, in PubNub channel names or in
# Unicode text handling, mixed into generated ids far more often than chance.
SPECIAL_CHARACTERS = list(
    "/.%?#&=+;@ ,:*\\\t\n\r\x00\x1f\x7f\x85\xa0\u2028\u200b\u202e\ufeff\ud800\udfff"
    "\N{GRINNING FACE}\N{COMBINING ACUTE ACCENT}"
)
NASTY_IDS = [
    ".",
    "..",
    "...",
    "../",
    "../../rooms",
    "a/../../x",
    "%2F",
    "%2e%2e",
    "..%2F..%2Fexternal-streams",
    "%",
    "%zz",
    "?state=all",
    "#fragment",
    "a+b&c=d",
    "  padded  ",
    "\u2028line\u2028",
    "zo\N{LATIN SMALL LETTER E WITH DIAERESIS}",
    "\N{GRINNING FACE}",
    "x" * 85,
    "x" * 86,
    "x" * 92,
    "x" * 93,
    "x" * 256,
    "x" * 257,
    "",
    "   ",
    "a\x00b",
    "a\ud800b",
]
CHARACTERS = st.one_of(
    st.characters(exclude_categories=()), st.sampled_from(SPECIAL_CHARACTERS)
)
IDS = st.one_of(st.text(CHARACTERS, max_size=100), st.sampled_from(NASTY_IDS))
EXAMPLES = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def emulator() -> Emulator:
    return Emulator(clock=ManualClock())


@pytest.fixture(scope="module")
def red5(emulator: Emulator) -> Iterator[Red5Client]:
    """A blocking client on the in-process emulator; it drives the async one."""
    with emulator.client(max_retries=0) as client:
        yield client


def _rejected_everywhere(
    emulator: Emulator, calls: list[Callable[[], object]]
) -> list[str]:
    """Return a problem for each call that does not reject the id unsent."""
    problems = []
    for index, call in enumerate(calls):
        try:
            call()
        except InvalidArgumentError:
            pass
        else:
            problems.append(f"call {index} accepted the id")
        if emulator.requests:
            problems.append(f"call {index} sent {len(emulator.requests)} requests")
    return problems


def _last_segments(emulator: Emulator) -> list[str]:
    return decoded_segments(emulator.requests[-1].raw_path)


@EXAMPLES
@given(user=IDS)
def test_user_id_rejected_or_round_trips(
    emulator: Emulator, red5: Red5Client, user: str
) -> None:
    emulator.reset()
    try:
        token = red5.get_conference_token(user, ROOM)
    except InvalidArgumentError:
        problems = _rejected_everywhere(
            emulator,
            [
                lambda: red5.get_chat_token(user, ROOM, True, True),
                lambda: red5.get_user_status(ROOM, user),
                lambda: red5.is_user_joined(ROOM, user),
                lambda: red5.block_user(ROOM, user),
                lambda: red5.unblock_user(ROOM, user),
                lambda: red5.start_transcription(ROOM, user),
                lambda: red5.stop_transcription(ROOM, user),
            ],
        )
        assert problems == []
        event("rejected")
        return

    uid = user.strip()
    claims = red5.verify_conference_token(token)
    grant = parse_chat_token(claims.pubnub_token)
    assert claims.uid == uid
    assert grant.authorized_uuid == uid
    assert emulator.join(token).uid == uid

    assert red5.get_user_status(ROOM, user).uid == uid
    assert _last_segments(emulator) == [*API_SEGMENTS, "room", ROOM, "user", uid]
    assert red5.is_user_joined(ROOM, user).joined
    assert [item.uid for item in red5.get_user_list(ROOM).users] == [uid]
    blocked = red5.block_user(ROOM, user, 60)
    assert (
        blocked.message == f"User with ID {uid} in room {ROOM} blocked for 60 seconds"
    )
    assert _last_segments(emulator) == [
        *API_SEGMENTS, "room", ROOM, "user", uid, "block",
    ]  # fmt: skip


@EXAMPLES
@given(room=IDS)
def test_room_id_rejected_or_round_trips(
    emulator: Emulator, red5: Red5Client, room: str
) -> None:
    emulator.reset()
    try:
        token = red5.get_conference_token(USER, room)
    except InvalidArgumentError:
        problems = _rejected_everywhere(
            emulator,
            [
                lambda: red5.get_chat_token(USER, room, True, False),
                lambda: red5.get_user_list(room),
                lambda: list(red5.iter_users(room)),
                lambda: red5.get_host_list(room),
                lambda: red5.start_recording(room),
                lambda: red5.stop_recording(room),
                lambda: red5.get_transcriptions(room),
                lambda: red5.add_external_stream(room, "cam"),
                lambda: red5.remove_external_stream(room, "cam"),
            ],
        )
        assert problems == []
        event("rejected")
        return

    room_id = room.strip()
    claims = red5.decode_conference_token(token)
    grant = parse_chat_token(claims.pubnub_token)
    assert claims.room_id == room_id
    assert set(grant.channels) == {room_id, f"{room_id}-pnpres"}
    emulator.join(token)

    assert [user.uid for user in red5.get_user_list(room).users] == [USER]
    assert _last_segments(emulator) == [*API_SEGMENTS, "room", room_id, "users"]
    recording = red5.start_recording(room)
    assert (recording.recording_stream_name or "").startswith(f"{room_id}_")
    assert [item.room_id for item in red5.get_room_list().rooms] == [room_id]


@EXAMPLES
@given(stream=IDS)
def test_stream_id_rejected_or_round_trips(
    emulator: Emulator, red5: Red5Client, stream: str
) -> None:
    emulator.reset()
    emulator.join(red5.get_conference_token(USER, ROOM))
    emulator.clear_requests()
    try:
        added = red5.add_external_stream(ROOM, stream)
    except InvalidArgumentError:
        problems = _rejected_everywhere(
            emulator, [lambda: red5.remove_external_stream(ROOM, stream)]
        )
        assert problems == []
        event("rejected")
        return

    stream_id = stream.strip()
    path = [*API_SEGMENTS, "room", ROOM, "external-stream", stream_id]
    assert added.model_extra == {"roomId": ROOM, "streamId": stream_id}
    assert _last_segments(emulator) == path
    listed = red5.get_external_streams().streams
    assert [item.stream_id for item in listed] == [stream_id]
    red5.remove_external_stream(ROOM, stream)
    assert _last_segments(emulator) == path


# The same ids over a real socket, on every transport


SOCKET_USERS = [
    "../",
    "a/../../x",
    "%2F",
    "..%2F..%2Frooms",
    "%2e%2e",
    "...",
    "?state=all#x",
    "a+b&c=d",
    "zo\N{LATIN SMALL LETTER E WITH DIAERESIS} smith",
    "\N{GRINNING FACE}",
    "\u200b\u202e",
]
SOCKET_STREAMS = ["../../rooms", "a/b/c", "%2F..%2F", "...", "x" * 256]


@pytest.fixture(scope="module")
def loopback() -> Iterator[EmulatorServer]:
    with EmulatorServer(Emulator()) as running:
        yield running


@pytest.fixture
def anyio_backend(transport_case: tuple[str, str]) -> str:
    return transport_case[0]


@pytest.fixture
async def socket_red5(
    loopback: EmulatorServer, transport_case: tuple[str, str]
) -> AsyncIterator[AsyncRed5Client]:
    loopback.emulator.reset()
    async with loopback.async_client(
        transport=transport_case[1], max_retries=0
    ) as client:
        yield client


@pytest.mark.network
@pytest.mark.anyio
@pytest.mark.parametrize("user", SOCKET_USERS)
async def test_user_id_arrives_intact_over_socket(
    socket_red5: AsyncRed5Client, loopback: EmulatorServer, user: str
) -> None:
    emulator = loopback.emulator
    token = await socket_red5.get_conference_token(user, ROOM)
    emulator.join(token)

    status = await socket_red5.get_user_status(ROOM, user)

    assert status.uid == user
    assert socket_red5.decode_conference_token(token).uid == user
    assert _last_segments(emulator) == [*API_SEGMENTS, "room", ROOM, "user", user]


@pytest.mark.network
@pytest.mark.anyio
@pytest.mark.parametrize("stream", SOCKET_STREAMS)
async def test_stream_id_arrives_intact_over_socket(
    socket_red5: AsyncRed5Client, loopback: EmulatorServer, stream: str
) -> None:
    emulator = loopback.emulator
    emulator.join(await socket_red5.get_conference_token(USER, ROOM))

    added = await socket_red5.add_external_stream(ROOM, stream)
    removed = await socket_red5.remove_external_stream(ROOM, stream)

    assert added.model_extra == {"roomId": ROOM, "streamId": stream}
    assert removed.model_extra == {"roomId": ROOM, "streamId": stream}
    path = [*API_SEGMENTS, "room", ROOM, "external-stream", stream]
    assert [decoded_segments(entry.raw_path) for entry in emulator.requests[-2:]] == [
        path,
        path,
    ]

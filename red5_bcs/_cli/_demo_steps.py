"""The steps of `red5-bcs demo` against the embedded emulator, in order.

Together they use every capability of the SDK. Each step checks the
service's response, not only that the call returned. Steps show ids, claims
and grants, but never a token, a secret or a signature.
"""

from __future__ import annotations

from .._credentials import Red5Credentials
from .._errors import ConflictError, InvalidArgumentError
from .._pubnub import ChatTokenGrant, parse_chat_token
from .._tokens import Role
from ._demo_runner import Demo, DemoStep, Details, StepFailed, expect
from ._output import format_seconds, permission_names

__all__ = ["EMULATOR_STEPS", "PARTICIPANTS"]

ROOM = "demo-standup"
CHAT_CHANNEL = "demo-standup-chat"
STREAM = "lobby-camera"
PAGE_SIZE = 2
BLOCK_SECONDS = 60
# Transcript entries are produced every 5 s of emulator time.
TRANSCRIPT_WAIT_SECONDS = 15

PARTICIPANTS = {
    "host": Role.ADMIN,
    "alice": Role.PUBLISHER,
    "bob": Role.SUBSCRIBER,
    "carol": Role.PUBLISHER,
    "dave": Role.PUBLISHER,
}


def check_credentials(demo: Demo) -> Details:
    """Open the development credentials sealed in the emulator's master secret."""
    emulator = demo.require_emulator()
    opened = Red5Credentials.from_master(emulator.master_key, emulator.master_secret)
    expect(
        opened == emulator.credentials,
        "The master secret did not open to the emulator's credentials.",
    )
    # The client's master secret seals the server's address as the host, so
    # every credential but the host must match.
    own_host = {"stream_manager_host": opened.stream_manager_host}
    expect(
        demo.client.credentials.model_copy(update=own_host) == opened,
        "The client opened different credentials.",
    )
    expect(
        demo.client.base_url.startswith("http://127.0.0.1:"),
        f"The client calls {demo.client.base_url}, not the loopback emulator.",
    )
    return {
        "masterKey": emulator.master_key[:6] + "…",
        "baseUrl": demo.client.base_url,
        "pubnubSubscribeKey": opened.pubnub_subscribe_key,
    }


def mint_admin_token(demo: Demo) -> Details:
    """Mint an admin token, decode it and verify it."""
    return _mint_checked(demo, "host")


def mint_publisher_token(demo: Demo) -> Details:
    """Mint a publisher token, decode it and verify it."""
    return _mint_checked(demo, "alice")


def mint_subscriber_token(demo: Demo) -> Details:
    """Mint a subscriber token, decode it and verify it."""
    return _mint_checked(demo, "bob")


def _mint_checked(demo: Demo, user: str) -> Details:
    role = PARTICIPANTS[user]
    token = demo.client.get_conference_token(user, ROOM, role)
    decoded = demo.client.decode_conference_token(token)
    verified = demo.client.verify_conference_token(token)
    expect(decoded == verified, "The decoded and verified claims differ.")
    expect(
        (verified.uid, verified.room_id, verified.role) == (user, ROOM, role),
        f"The token names {verified.uid!r} in {verified.room_id!r} as "
        f"{verified.role.value}, not {user!r} in {ROOM!r} as {role.value}.",
    )
    expect(verified.exp - verified.iat == 3600, "The token does not last 60 minutes.")

    grant = parse_chat_token(verified.pubnub_token)
    _expect_grant(grant, user, ROOM, read=True, write=True)
    demo.tokens[user] = token
    return {
        "uid": verified.uid,
        "roomId": verified.room_id,
        "role": verified.role.value,
        "expires": format_seconds(verified.exp),
        "chatGrant": _describe_grant(grant),
    }


def _expect_grant(
    grant: ChatTokenGrant, user: str, channel: str, *, read: bool, write: bool
) -> None:
    expected = {channel, f"{channel}-pnpres"}
    expect(
        set(grant.channels) == expected,
        f"The grant covers {sorted(grant.channels)}, not {sorted(expected)}.",
    )
    expect(grant.authorized_uuid == user, f"The grant is not bound to {user!r}.")
    for name, permissions in grant.channels.items():
        expect(
            (permissions.read, permissions.write) == (read, write),
            f"The grant on {name!r} is {permission_names(permissions)}.",
        )


def _describe_grant(grant: ChatTokenGrant) -> str:
    return "; ".join(
        f"{name}: {permission_names(bits)}" for name, bits in grant.channels.items()
    )


def join_participants(demo: Demo) -> Details:
    """Join the room as every participant, each with their own token."""
    emulator = demo.require_emulator()
    for user, role in PARTICIPANTS.items():
        if user not in demo.tokens:
            demo.tokens[user] = demo.client.get_conference_token(user, ROOM, role)
        status = emulator.join(demo.token(user))
        expect(status.online, f"{user!r} is not online after joining.")
        expect(status.role == role.value, f"{user!r} joined as {status.role}.")
    return {"room": ROOM, "joined": ", ".join(PARTICIPANTS)}


def list_rooms(demo: Demo) -> Details:
    """List the active rooms and find the demo room in them."""
    rooms = demo.client.get_room_list("active")
    found = [room for room in rooms.rooms if room.room_id == ROOM]
    expect(len(found) == 1, f"{ROOM!r} is not listed as an active room.")
    expect(
        found[0].user_count == len(PARTICIPANTS),
        f"{ROOM!r} has {found[0].user_count} users online, not {len(PARTICIPANTS)}.",
    )
    return {"roomCount": rooms.room_count, "room": ROOM, "online": len(PARTICIPANTS)}


def page_users(demo: Demo) -> Details:
    """List the room's users a page at a time, then iterate over every page."""
    first = demo.client.get_user_list(ROOM, limit=PAGE_SIZE)
    expect(first.user_count == len(PARTICIPANTS), "The user count is wrong.")
    expect(len(first.users) == PAGE_SIZE, f"The first page is not {PAGE_SIZE} long.")

    everyone = [user.uid for user in demo.client.iter_users(ROOM, page_size=PAGE_SIZE)]
    expect(
        everyone == list(PARTICIPANTS),
        f"Iterating gave {everyone}, not {list(PARTICIPANTS)} in join order.",
    )
    pages = -(-len(everyone) // PAGE_SIZE)
    return {
        "pageSize": PAGE_SIZE,
        "firstPage": ", ".join(user.uid for user in first.users),
        "pages": pages,
        "users": ", ".join(everyone),
    }


def list_hosts(demo: Demo) -> Details:
    """List the room's hosts: the online publishers and admins."""
    hosts = demo.client.get_host_list(ROOM)
    expected = [user for user, role in PARTICIPANTS.items() if role != Role.SUBSCRIBER]
    names = [host.uid for host in hosts.hosts]
    expect(sorted(names) == sorted(expected), f"The hosts are {names}.")
    expect(hosts.host_count == len(expected), "The host count is wrong.")
    return {"hosts": ", ".join(names)}


def show_user_status(demo: Demo) -> Details:
    """Show one participant's status."""
    status = demo.client.get_user_status(ROOM, "alice")
    expect(status.uid == "alice" and status.online, "alice is not online.")
    expect(status.role == Role.PUBLISHER.value, f"alice's role is {status.role}.")
    return {
        "uid": status.uid,
        "role": status.role,
        "audio": status.audio_enabled,
        "video": status.video_enabled,
        "joined": format_seconds(status.join_time),
    }


def check_joined(demo: Demo) -> Details:
    """Ask whether a participant, and someone who never came, are in the room."""
    alice = demo.client.is_user_joined(ROOM, "alice")
    stranger = demo.client.is_user_joined(ROOM, "mallory")
    expect(alice.joined, "alice is reported as not joined.")
    expect(not stranger.joined, "mallory, who never joined, is reported as joined.")
    return {"alice": alice.joined, "mallory": stranger.joined}


def mint_chat_tokens(demo: Demo) -> Details:
    """Grant read-only, write-only and read-write chat tokens and decode them."""
    details: Details = {}
    for label, read, write in (
        ("readOnly", True, False),
        ("writeOnly", False, True),
        ("readWrite", True, True),
    ):
        token = demo.client.get_chat_token("alice", CHAT_CHANNEL, read, write)
        grant = parse_chat_token(token)
        _expect_grant(grant, "alice", CHAT_CHANNEL, read=read, write=write)
        details[label] = _describe_grant(grant)
    return details


def record_room(demo: Demo) -> Details:
    """Start and stop a recording, then see a second stop rejected with 409."""
    started = demo.client.start_recording(ROOM)
    name = started.recording_stream_name or ""
    expect(name.startswith(ROOM), f"The recording is named {name!r}.")
    expect(
        started.participant_count == len(PARTICIPANTS),
        f"The recording counts {started.participant_count} participants.",
    )

    stopped = demo.client.stop_recording(ROOM)
    expect(stopped.recording_stream_name == name, "A different recording stopped.")
    try:
        demo.client.stop_recording(ROOM)
    except ConflictError as error:
        conflict = error.status_code
    else:
        raise StepFailed("Stopping a stopped recording was not rejected.")
    return {
        "stream": name,
        "mixerStopped": stopped.mixer_stopped,
        "stopAgain": conflict,
    }


def transcribe_room(demo: Demo) -> Details:
    """Start a transcription, read the transcript, then stop it."""
    clock = demo.clock
    if clock is None:
        raise StepFailed("This step needs the emulator's clock.")
    started = demo.client.start_transcription(ROOM, "alice")
    speakers = {str(stream) for stream in started.successful_streams}
    expect("alice" in speakers, f"alice's stream is not transcribed: {speakers}.")

    # Move the emulator's time on, instead of waiting, so entries are due.
    clock.advance(TRANSCRIPT_WAIT_SECONDS)
    entries = demo.client.get_transcriptions(ROOM).entries
    expect(len(entries) >= 2, f"The transcript has {len(entries)} entries.")
    expect(
        all(entry.uid in speakers and entry.text for entry in entries),
        "An entry has no text or names someone who is not a speaker.",
    )

    stopped = demo.client.stop_transcription(ROOM, "alice")
    expect(bool(stopped.message), "Stopping the transcription returned no message.")
    first = entries[0]
    return {
        "streams": ", ".join(sorted(speakers)),
        "entries": len(entries),
        "first": f"{first.uid}: {first.text}",
    }


def block_and_unblock(demo: Demo) -> Details:
    """Block a user, see their join rejected, unblock them and admit them."""
    from ..testing import JoinRejectedError

    emulator = demo.require_emulator()
    blocked = demo.client.block_user(ROOM, "bob", BLOCK_SECONDS)
    expect("blocked" in (blocked.message or ""), f"Block said {blocked.message!r}.")
    expect(not demo.client.is_user_joined(ROOM, "bob").joined, "bob is still in.")
    try:
        emulator.join(demo.token("bob"))
    except JoinRejectedError as error:
        rejected = error.status_code
    else:
        raise StepFailed("bob joined although he is blocked.")

    unblocked = demo.client.unblock_user(ROOM, "bob")
    expect("unblocked" in (unblocked.message or ""), "Unblocking was not confirmed.")
    emulator.join(demo.token("bob"))
    expect(demo.client.is_user_joined(ROOM, "bob").joined, "bob could not rejoin.")
    return {
        "block": blocked.message,
        "joinWhileBlocked": rejected,
        "unblock": unblocked.message,
        "rejoined": True,
    }


def manage_external_streams(demo: Demo) -> Details:
    """Add an external stream to the room, list it and remove it."""
    added = demo.client.add_external_stream(ROOM, STREAM)
    listed = _stream_pairs(demo)
    expect((ROOM, STREAM) in listed, f"{STREAM!r} is not listed after adding it.")

    removed = demo.client.remove_external_stream(ROOM, STREAM)
    expect((ROOM, STREAM) not in _stream_pairs(demo), f"{STREAM!r} is still listed.")
    return {"added": added.message, "listed": len(listed), "removed": removed.message}


def _stream_pairs(demo: Demo) -> set[tuple[str | None, str | None]]:
    streams = demo.client.get_external_streams().streams
    return {(stream.room_id, stream.stream_id) for stream in streams}


def reject_bad_argument(demo: Demo) -> Details:
    """Reject a room id containing '/' before any request is sent."""
    emulator = demo.require_emulator()
    sent_before = len(emulator.requests)
    try:
        demo.client.block_user("demo/standup", "alice")
    except InvalidArgumentError as error:
        rejected = error
    else:
        raise StepFailed("The room id 'demo/standup' was accepted.")
    expect(rejected.argument == "room_id", f"{rejected.argument!r} was blamed.")
    expect(len(emulator.requests) == sent_before, "A request was sent anyway.")
    return {"argument": rejected.argument, "message": str(rejected)}


EMULATOR_STEPS: list[DemoStep] = [
    check_credentials,
    mint_admin_token,
    mint_publisher_token,
    mint_subscriber_token,
    join_participants,
    list_rooms,
    page_users,
    list_hosts,
    show_user_status,
    check_joined,
    mint_chat_tokens,
    record_room,
    transcribe_room,
    block_and_unblock,
    manage_external_streams,
    reject_bad_argument,
]
"""Every step of the emulator demo, in the order they run."""

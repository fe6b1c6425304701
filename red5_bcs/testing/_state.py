"""The emulator's conference model: rooms, participants and what happens in them.

Every method takes the state lock, so the model can be shared by an
in-process client, a socket server thread and a test at the same time. Each
method returns the JSON body of the matching conference API response, or
raises `EmulatorError` with the status and message of the error response.

Rules where Red5 Cloud does not publish its behaviour, chosen so that the
emulator accepts nothing the service would plausibly reject:

- A room exists once a participant has joined it. Every room call about an
  unknown room gets 404, and so does every call about a user who never joined
  the room, except `isJoined`, which returns `false`.
- Blocking disconnects the user; blocking again replaces the expiry.
  Unblocking a user who is not blocked gets 404.
- Recording needs someone online (else 409) and one recording runs per room
  at a time (a second start, or a stop with none running, gets 409). A
  recording keeps running when everybody leaves.
- Transcription is per (room, user): the user receives the room's
  transcription. The user must be online to start it (else 409), and
  starting it twice or stopping it when it is not running gets 409, in
  the way recordings do. `successfulStreams` lists the online publishers
  and admins, whose stream names are their user ids.
- External streams are unique per room: adding one twice gets 409, and
  removing an unknown one gets 404.
"""

from __future__ import annotations

import threading
from typing import Any

from .._tokens import Role
from ._clock import Clock
from ._errors import EmulatorError
from ._rooms import ORIGIN_IP, Participant, Recording, Room, conflict, not_found

__all__ = ["ConferenceState"]

ROOM_STATES = ("active", "inactive", "all")


class ConferenceState:
    """Rooms and their participants, in memory."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._rooms: dict[str, Room] = {}
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"<ConferenceState rooms={len(self._rooms)}>"

    def reset(self) -> None:
        """Forget every room."""
        with self._lock:
            self._rooms.clear()

    # Participants

    def admit(self, room_id: str, uid: str, role: Role) -> dict[str, Any]:
        """Put a user online in a room, creating the room on first use.

        A user who is online already is admitted again, as a reconnect: the
        role and join time are replaced.

        Raises:
            EmulatorError: 403, the user is blocked from the room.
        """
        with self._lock:
            now = self._clock()
            room = self._rooms.get(room_id)
            if room is not None and room.is_blocked(uid, now):
                until = room.blocked_until[uid]
                raise EmulatorError(
                    403,
                    f"User {uid!r} is blocked from room {room_id!r} for "
                    f"{until - now:.0f} more seconds.",
                )
            if room is None:
                room = self._rooms[room_id] = Room(room_id, now)

            self._catch_up(room)
            publishes = role is not Role.SUBSCRIBER
            person = Participant(uid, role, True, publishes, publishes, int(now))
            room.participants[uid] = person
            return person.to_json()

    def leave(self, room_id: str, uid: str) -> dict[str, Any]:
        """Take a user offline.

        Raises:
            EmulatorError: 404, unknown room or user; 409, the user is offline.
        """
        with self._lock:
            room = self._room(room_id)
            person = room.participant(uid)
            if not person.online:
                raise conflict(f"User {uid!r} is not online in room {room_id!r}.")
            self._catch_up(room)
            person.online = False
            return person.to_json()

    def set_media(
        self, room_id: str, uid: str, audio: bool | None, video: bool | None
    ) -> dict[str, Any]:
        """Turn an online participant's microphone or camera on or off.

        Raises:
            EmulatorError: 404, unknown room or user; 409, the user is
                offline; 403, a subscriber tried to turn media on.
        """
        with self._lock:
            room = self._room(room_id)
            person = room.participant(uid)
            if not person.online:
                raise conflict(f"User {uid!r} is not online in room {room_id!r}.")
            if not person.publishes and (audio or video):
                raise EmulatorError(
                    403, f"User {uid!r} is a subscriber and cannot send media."
                )
            self._catch_up(room)
            if audio is not None:
                person.audio_enabled = audio
            if video is not None:
                person.video_enabled = video
            return person.to_json()

    # Users and rooms

    def user_status(self, room_id: str, uid: str) -> dict[str, Any]:
        """Return a participant's status."""
        with self._lock:
            return self._room(room_id).participant(uid).to_json()

    def is_joined(self, room_id: str, uid: str) -> dict[str, Any]:
        """Return whether a user is online in a room."""
        with self._lock:
            person = self._room(room_id).participants.get(uid)
            joined = person is not None and person.online
            return {"roomId": room_id, "uid": uid, "isJoined": joined}

    def users(self, room_id: str, limit: int, offset: int) -> dict[str, Any]:
        """Return one page of a room's participants, online or not."""
        with self._lock:
            people = list(self._room(room_id).participants.values())
            page = people[offset : offset + limit]
            return {
                "userCount": len(people),
                "users": [person.to_json() for person in page],
            }

    def hosts(self, room_id: str) -> dict[str, Any]:
        """Return a room's online publishers and admins."""
        with self._lock:
            hosts = [p for p in self._room(room_id).online if p.publishes]
            return {"hostCount": len(hosts), "hosts": [p.to_json() for p in hosts]}

    def rooms(self, state: str, limit: int, offset: int) -> dict[str, Any]:
        """Return one page of the rooms in `state`, oldest first."""
        with self._lock:
            rooms = [
                room
                for room in self._rooms.values()
                if state == "all" or room.active == (state == "active")
            ]
            page = rooms[offset : offset + limit]
            return {"roomCount": len(rooms), "rooms": [r.to_json() for r in page]}

    # Moderation

    def block(self, room_id: str, uid: str, seconds: int) -> dict[str, Any]:
        """Disconnect a user and keep them out for `seconds`."""
        with self._lock:
            room = self._room(room_id)
            person = room.participant(uid)
            self._catch_up(room)
            person.online = False
            room.blocked_until[uid] = self._clock() + seconds
            return {
                "message": f"User with ID {uid} in room {room_id} blocked for "
                f"{seconds} seconds"
            }

    def unblock(self, room_id: str, uid: str) -> dict[str, Any]:
        """Lift a block before it expires."""
        with self._lock:
            room = self._room(room_id)
            room.participant(uid)
            if not room.is_blocked(uid, self._clock()):
                raise not_found(f"User {uid!r} is not blocked in room {room_id!r}.")
            del room.blocked_until[uid]
            return {"message": f"User with ID {uid} in room {room_id} unblocked"}

    # Recording

    def start_recording(self, room_id: str) -> dict[str, Any]:
        """Start the room's recording, named `<room>_<Unix milliseconds>`."""
        with self._lock:
            room = self._room(room_id)
            if room.recording is not None:
                raise conflict(f"Room {room_id!r} is already being recorded.")
            count = len(room.online)
            if count == 0:
                raise conflict(
                    f"Room {room_id!r} has no participant online, so there is "
                    "nothing to record."
                )
            name = f"{room_id}_{self._now_ms()}"
            room.recording = Recording(name, count)
            return {
                "message": f"Recording started for room {room_id}",
                "recordingStreamName": name,
                "participantCount": count,
                "originIp": ORIGIN_IP,
            }

    def stop_recording(self, room_id: str) -> dict[str, Any]:
        """Stop the room's recording."""
        with self._lock:
            room = self._room(room_id)
            recording = room.recording
            if recording is None:
                raise conflict(f"Room {room_id!r} is not being recorded.")
            room.recording = None
            return {
                "message": f"Recording stopped for room {room_id}",
                "recordingStreamName": recording.stream_name,
                "mixerStopped": True,
            }

    # Transcription

    def start_transcription(self, room_id: str, uid: str) -> dict[str, Any]:
        """Start delivering the room's transcription to a user."""
        with self._lock:
            room = self._room(room_id)
            person = room.participant(uid)
            if uid in room.transcription_users:
                raise conflict(
                    f"Transcription is already running for user {uid!r} in room "
                    f"{room_id!r}."
                )
            if not person.online:
                raise conflict(f"User {uid!r} is not online in room {room_id!r}.")
            self._catch_up(room)
            room.transcription_users[uid] = self._clock()
            room.transcript.start(self._now_ms())
            return self._transcription_result(room, f"started for user {uid}")

    def stop_transcription(self, room_id: str, uid: str) -> dict[str, Any]:
        """Stop delivering the room's transcription to a user."""
        with self._lock:
            room = self._room(room_id)
            room.participant(uid)
            if uid not in room.transcription_users:
                raise conflict(
                    f"Transcription is not running for user {uid!r} in room "
                    f"{room_id!r}."
                )
            self._catch_up(room)
            del room.transcription_users[uid]
            if not room.transcription_users:
                room.transcript.stop()
            return self._transcription_result(room, f"stopped for user {uid}")

    def transcriptions(
        self, room_id: str, start_ms: int | None, end_ms: int | None
    ) -> dict[str, Any]:
        """Return the room's transcript entries within a time window."""
        with self._lock:
            room = self._room(room_id)
            self._catch_up(room)
            entries = room.transcript.select(start_ms, end_ms)
            return {
                "roomId": room_id,
                "transcriptionCount": len(entries),
                "transcriptions": [entry.to_json() for entry in entries],
            }

    # External streams

    def external_streams(self) -> dict[str, Any]:
        """Return every room's external streams, oldest room first."""
        with self._lock:
            streams = [
                {"roomId": room.room_id, "streamId": stream_id, "addedTime": added}
                for room in self._rooms.values()
                for stream_id, added in room.external_streams.items()
            ]
            return {"externalStreamCount": len(streams), "externalStreams": streams}

    def add_external_stream(self, room_id: str, stream_id: str) -> dict[str, Any]:
        """Show an external stream in a room."""
        with self._lock:
            room = self._room(room_id)
            if stream_id in room.external_streams:
                raise conflict(
                    f"External stream {stream_id!r} is already in room {room_id!r}."
                )
            room.external_streams[stream_id] = int(self._clock())
            return {
                "message": f"External stream {stream_id} added to room {room_id}",
                "roomId": room_id,
                "streamId": stream_id,
            }

    def remove_external_stream(self, room_id: str, stream_id: str) -> dict[str, Any]:
        """Remove an external stream from a room."""
        with self._lock:
            room = self._room(room_id)
            if room.external_streams.pop(stream_id, None) is None:
                raise not_found(
                    f"External stream {stream_id!r} not found in room {room_id!r}."
                )
            return {
                "message": f"External stream {stream_id} removed from room {room_id}",
                "roomId": room_id,
                "streamId": stream_id,
            }

    # Internals

    def _room(self, room_id: str) -> Room:
        room = self._rooms.get(room_id)
        if room is None:
            raise not_found(f"Room {room_id!r} not found.")
        return room

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _catch_up(self, room: Room) -> None:
        # Entries due before a change of speakers must be spoken by the old ones.
        room.transcript.catch_up(self._now_ms(), room.speakers)

    def _transcription_result(self, room: Room, what: str) -> dict[str, Any]:
        streams = [person.uid for person in room.online if person.publishes]
        return {
            "message": f"Transcription {what} in room {room.room_id}",
            "successfulStreams": streams,
            "totalParticipants": len(room.online),
        }

"""The records the emulator keeps per room: participants, blocks and streams."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .._tokens import Role
from ._errors import EmulatorError
from ._transcripts import Transcript

__all__ = ["Participant", "Recording", "Room", "not_found"]

# Red5 Cloud reports the origin server that records; the emulator is its own.
ORIGIN_IP = "127.0.0.1"


def not_found(message: str) -> EmulatorError:
    """Return a 404 rejection."""
    return EmulatorError(404, message)


def conflict(message: str) -> EmulatorError:
    """Return a 409 rejection."""
    return EmulatorError(409, message)


@dataclass(slots=True)
class Participant:
    """A user who has joined a room at least once."""

    uid: str
    role: Role
    online: bool
    audio_enabled: bool
    video_enabled: bool
    join_time: int

    @property
    def publishes(self) -> bool:
        """Whether the participant sends media (publishers and admins do)."""
        return self.role is not Role.SUBSCRIBER

    def to_json(self) -> dict[str, Any]:
        """Return the user-status object of the conference API."""
        return {
            "uid": self.uid,
            "online": self.online,
            "role": self.role.value,
            "audioEnabled": self.audio_enabled,
            "videoEnabled": self.video_enabled,
            "joinTime": self.join_time,
        }


@dataclass(frozen=True, slots=True)
class Recording:
    """A running recording of a room."""

    stream_name: str
    participant_count: int


@dataclass(slots=True)
class Room:
    """A room, created when its first participant joins.

    Participants are kept in the order they first joined, also after they
    leave, so that user lists page in a stable order.
    """

    room_id: str
    created: float
    participants: dict[str, Participant] = field(default_factory=dict)
    blocked_until: dict[str, float] = field(default_factory=dict)
    recording: Recording | None = None
    transcription_users: dict[str, float] = field(default_factory=dict)
    transcript: Transcript = field(default_factory=Transcript)
    external_streams: dict[str, int] = field(default_factory=dict)

    @property
    def online(self) -> list[Participant]:
        """The participants connected now, in join order."""
        return [person for person in self.participants.values() if person.online]

    @property
    def active(self) -> bool:
        """Whether anyone is online in the room."""
        return any(person.online for person in self.participants.values())

    @property
    def speakers(self) -> list[str]:
        """The user ids that can be heard now, in join order."""
        return [
            person.uid
            for person in self.online
            if person.publishes and person.audio_enabled
        ]

    def participant(self, uid: str) -> Participant:
        """Return a participant, or raise a 404 rejection."""
        person = self.participants.get(uid)
        if person is None:
            raise not_found(f"User {uid!r} not found in room {self.room_id!r}.")
        return person

    def is_blocked(self, uid: str, now: float) -> bool:
        """Return whether `uid` is blocked at `now`, dropping an expired block."""
        until = self.blocked_until.get(uid)
        if until is None:
            return False
        if now >= until:
            del self.blocked_until[uid]
            return False
        return True

    def to_json(self) -> dict[str, Any]:
        """Return the room object of the room list."""
        return {
            "roomId": self.room_id,
            "state": "active" if self.active else "inactive",
            "userCount": len(self.online),
            "hostCount": sum(1 for person in self.online if person.publishes),
            "recording": self.recording is not None,
        }

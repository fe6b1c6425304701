"""Typed results of conference API calls.

Attributes are snake_case and read from the camelCase JSON the server sends.
Every model keeps the fields it does not declare (`model_extra`), so nothing
the server sends is lost, and only the fields Red5 documents are required:
an undocumented field that goes missing never breaks a call.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

__all__ = [
    "ActionResult",
    "ExternalStream",
    "ExternalStreams",
    "HostList",
    "JoinStatus",
    "RecordingResult",
    "Room",
    "RoomList",
    "RoomState",
    "TranscriptEntry",
    "TranscriptionResult",
    "Transcripts",
    "UserList",
    "UserStatus",
]


class RoomState(enum.StrEnum):
    """The set of rooms that `get_room_list` returns."""

    ACTIVE = "active"
    """Rooms with participants online."""
    INACTIVE = "inactive"
    """Rooms that had participants and have none online now."""
    ALL = "all"
    """Both."""


class Red5Model(BaseModel):
    """Base of every response model: camelCase aliases, unknown fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="allow",
        frozen=True,
        defer_build=True,
    )


class UserStatus(Red5Model):
    """A participant of a room.

    Attributes:
        uid: The user id.
        online: Whether the user is connected now.
        role: The user's role, such as `publisher`.
        audio_enabled: Whether the user's microphone is on.
        video_enabled: Whether the user's camera is on.
        join_time: When the user joined, Unix seconds.
    """

    uid: str
    online: bool
    role: str
    audio_enabled: bool
    video_enabled: bool
    join_time: int

    @property
    def joined_at(self) -> datetime:
        """`join_time` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.join_time, UTC)


class JoinStatus(Red5Model):
    """Whether a user is in a room.

    Attributes:
        joined: Read from the server's `joined` or `isJoined` field.
    """

    joined: bool = Field(validation_alias=AliasChoices("joined", "isJoined"))


class UserList(Red5Model):
    """One page of a room's participants.

    Attributes:
        user_count: The number of participants in the room, all pages together.
        users: The participants on this page.
    """

    user_count: int
    users: list[UserStatus]


class HostList(Red5Model):
    """A room's hosts: the online publishers and admins.

    Attributes:
        host_count: The number of hosts.
        hosts: The hosts.
    """

    host_count: int
    hosts: list[UserStatus]


class Room(Red5Model):
    """A conference room. Red5 does not publish this shape, so nothing is required.

    Attributes:
        room_id: The room id (wire name `roomId`).
        state: `active` or `inactive`.
        user_count: The number of participants, if the server sends it.
    """

    room_id: str | None = None
    state: str | None = None
    user_count: int | None = None


class RoomList(Red5Model):
    """One page of rooms.

    Attributes:
        room_count: The number of rooms in this state, all pages together.
        rooms: The rooms on this page.
    """

    room_count: int
    rooms: list[Room]


class ActionResult(Red5Model):
    """The response to an action such as blocking a user.

    Attributes:
        message: The server's confirmation, such as
            `User with ID u1 in room r1 blocked for 3600 seconds`.
    """

    message: str | None = None


class RecordingResult(Red5Model):
    """The response to starting or stopping a recording.

    Attributes:
        message: The server's confirmation.
        recording_stream_name: The name of the recorded stream.
        participant_count: Participants when the recording started.
        origin_ip: The origin server that records.
        mixer_stopped: Whether the mixer stopped (stop only).
    """

    message: str | None = None
    recording_stream_name: str | None = None
    participant_count: int | None = None
    origin_ip: str | None = None
    mixer_stopped: bool | None = None


class TranscriptionResult(Red5Model):
    """The response to starting or stopping a transcription.

    Attributes:
        message: The server's confirmation.
        successful_streams: The streams the change applied to.
        total_participants: The participants in the room.
    """

    message: str | None = None
    successful_streams: list[Any] = Field(default_factory=list)
    total_participants: int | None = None


def _wrap_list(value: Any, field: str, keys: tuple[str, ...]) -> Any:
    """Accept a bare JSON list, or an object holding one under a known key."""
    if isinstance(value, list):
        return {field: value}
    if isinstance(value, dict) and field not in value:
        for key in keys:
            if isinstance(value.get(key), list):
                return {**value, field: value[key]}
    return value


class TranscriptEntry(Red5Model):
    """One transcribed utterance. The shape is not published; all is optional.

    Attributes:
        uid: The speaker's user id.
        text: The transcribed text.
        timestamp: When it was spoken, Unix milliseconds.
    """

    uid: str | None = None
    text: str | None = None
    timestamp: int | None = None


class Transcripts(Red5Model):
    """A room's transcript entries.

    The server may send a bare list or an object with the list under
    `transcriptions`, `transcripts`, `entries` or `items`; both are read.

    Attributes:
        entries: The entries, oldest first as the server sends them.
    """

    entries: list[TranscriptEntry]

    @model_validator(mode="before")
    @classmethod
    def _accept_list(cls, value: Any) -> Any:
        return _wrap_list(value, "entries", ("transcriptions", "transcripts", "items"))


class ExternalStream(Red5Model):
    """A stream from outside the conference shown in a room.

    Attributes:
        room_id: The room the stream is shown in.
        stream_id: The stream's id.
    """

    room_id: str | None = None
    stream_id: str | None = None


class ExternalStreams(Red5Model):
    """The account's external streams.

    The server may send a bare list or an object with the list under
    `externalStreams`, `streams` or `items`; both are read.

    Attributes:
        streams: The external streams.
    """

    streams: list[ExternalStream]

    @model_validator(mode="before")
    @classmethod
    def _accept_list(cls, value: Any) -> Any:
        return _wrap_list(value, "streams", ("externalStreams", "items"))

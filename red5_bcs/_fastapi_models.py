"""Request and response bodies of the FastAPI router, and the actions it authorizes."""

from __future__ import annotations

import enum

from pydantic import BaseModel, Field, StrictBool

from ._tokens import Role
from ._validation import MAX_MINUTES

__all__ = [
    "ActionResponse",
    "BlockUserRequest",
    "ChatTokenRequest",
    "ConferenceTokenRequest",
    "ErrorResponse",
    "RecordingResponse",
    "Red5Action",
    "RoomUser",
    "TokenResponse",
    "UnblockUserRequest",
    "UserListResponse",
]


class Red5Action(enum.StrEnum):
    """The operation of a router request: the second argument of `authorize`."""

    CONFERENCE_TOKEN = "conference_token"  # noqa: S105 - an action name
    """Mint a publisher or subscriber conference token for `user_id`."""
    ADMIN_CONFERENCE_TOKEN = "admin_conference_token"  # noqa: S105
    """Mint an admin conference token for `user_id`: full control of the room."""
    CHAT_TOKEN = "chat_token"  # noqa: S105
    """Obtain a chat token for `user_id` on the channel passed as `room_id`."""
    START_RECORDING = "start_recording"
    """Start recording the room. `user_id` is None."""
    STOP_RECORDING = "stop_recording"
    """Stop recording the room. `user_id` is None."""
    LIST_USERS = "list_users"
    """Read the room's participants. `user_id` is None."""
    BLOCK_USER = "block_user"
    """Remove `user_id` from the room and keep them out for a while."""
    UNBLOCK_USER = "unblock_user"
    """Let `user_id` join the room again."""


class ConferenceTokenRequest(BaseModel):
    """The body of a conference token request."""

    user_id: str
    room_id: str
    role: Role = Role.PUBLISHER
    expiration_minutes: int = Field(default=60, ge=1, le=MAX_MINUTES)


class ChatTokenRequest(BaseModel):
    """The body of a chat token request. `read`, `write` or both must be true."""

    user_id: str
    channel_id: str
    read: StrictBool
    write: StrictBool
    ttl_minutes: int = Field(default=60, ge=1, le=MAX_MINUTES)


class BlockUserRequest(BaseModel):
    """The body of a block request: who, and for how many seconds."""

    user_id: str
    seconds: int = Field(ge=1)


class UnblockUserRequest(BaseModel):
    """The body of an unblock request."""

    user_id: str


class TokenResponse(BaseModel):
    """A minted conference or chat token."""

    token: str


class RecordingResponse(BaseModel):
    """The conference API's response to starting or stopping a recording.

    The recording server's address (`originIp`) is left out on purpose: it
    describes Red5's infrastructure, not the room.
    """

    message: str | None = None
    recording_stream_name: str | None = None
    participant_count: int | None = None
    mixer_stopped: bool | None = None


class RoomUser(BaseModel):
    """A participant of a room. `join_time` is in Unix seconds."""

    uid: str
    online: bool
    role: str
    audio_enabled: bool
    video_enabled: bool
    join_time: int


class UserListResponse(BaseModel):
    """One page of a room's participants, and how many there are in all."""

    user_count: int
    users: list[RoomUser]


class ActionResponse(BaseModel):
    """The conference API's confirmation of a block or an unblock."""

    message: str | None = None


class ErrorResponse(BaseModel):
    """The body of every error response that the router sends itself.

    `argument` names the rejected argument of a 422 from the SDK's checks.
    `upstream_status` is the status code that Red5 Cloud or PubNub returned.
    """

    detail: str
    argument: str | None = None
    upstream_status: int | None = None

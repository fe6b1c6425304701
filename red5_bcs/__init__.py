"""red5-bcs: the Python backend SDK for Red5 Cloud video conferencing.

Mint conference tokens that browsers join rooms with, mint PubNub chat
tokens, and run rooms through Red5's conference API, from asyncio, trio or
blocking code::

    from red5_bcs import AsyncRed5Client

    async with AsyncRed5Client() as red5:  # reads RED5_MASTER_KEY/SECRET
        token = await red5.get_conference_token("alice", "standup")
"""

from ._base import USER_AGENT
from ._client import AsyncRed5Client
from ._credentials import Red5Credentials, seal_master_secret
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ChatGrantError,
    ConfigurationError,
    ConflictError,
    CredentialsError,
    ExpiredTokenError,
    InternalServerError,
    InvalidArgumentError,
    InvalidTokenError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Red5Error,
)
from ._models import (
    ActionResult,
    ExternalStream,
    ExternalStreams,
    HostList,
    JoinStatus,
    RecordingResult,
    Room,
    RoomList,
    RoomState,
    TranscriptEntry,
    TranscriptionResult,
    Transcripts,
    UserList,
    UserStatus,
)
from ._pubnub import (
    ChatGrant,
    ChatGranter,
    ChatPermissions,
    ChatTokenGrant,
    PubNubGranter,
    parse_chat_token,
)
from ._sync import Red5Client
from ._tokens import (
    ConferenceClaims,
    HS256Minter,
    Role,
    TokenMinter,
    decode_conference_token,
    verify_conference_token,
)
from ._version import __version__

__all__ = [
    "USER_AGENT",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "ActionResult",
    "AsyncRed5Client",
    "AuthenticationError",
    "BadRequestError",
    "ChatGrant",
    "ChatGrantError",
    "ChatGranter",
    "ChatPermissions",
    "ChatTokenGrant",
    "ConferenceClaims",
    "ConfigurationError",
    "ConflictError",
    "CredentialsError",
    "ExpiredTokenError",
    "ExternalStream",
    "ExternalStreams",
    "HS256Minter",
    "HostList",
    "InternalServerError",
    "InvalidArgumentError",
    "InvalidTokenError",
    "JoinStatus",
    "NotFoundError",
    "PermissionDeniedError",
    "PubNubGranter",
    "RateLimitError",
    "RecordingResult",
    "Red5Client",
    "Red5Credentials",
    "Red5Error",
    "Role",
    "Room",
    "RoomList",
    "RoomState",
    "TokenMinter",
    "TranscriptEntry",
    "TranscriptionResult",
    "Transcripts",
    "UserList",
    "UserStatus",
    "__version__",
    "decode_conference_token",
    "parse_chat_token",
    "seal_master_secret",
    "verify_conference_token",
]

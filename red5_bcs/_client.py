"""`AsyncRed5Client`: tokens and the conference API, on one pooled HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Self, TypeVar

import httpx2
from pydantic import BaseModel

from ._base import CallOptions, ClientCore, TransportName, call_api
from ._credentials import Red5Credentials
from ._errors import InvalidArgumentError
from ._models import (
    ActionResult,
    ExternalStreams,
    HostList,
    JoinStatus,
    RecordingResult,
    Room,
    RoomList,
    RoomState,
    TranscriptionResult,
    Transcripts,
    UserList,
    UserStatus,
)
from ._pubnub import ChatGrant, ChatGranter
from ._tokens import ConferenceClaims, Role, TokenMinter, decode_conference_token
from ._tokens import verify_token as _verify_token
from ._validation import (
    check_choice,
    check_int,
    check_minutes,
    check_permissions,
    check_room_id,
    check_seconds,
    check_stream_id,
    check_timestamp_ms,
    check_user_id,
)

__all__ = ["AsyncRed5Client"]

_ADMIN_SCOPE = "admin"

ModelT = TypeVar("ModelT", bound=BaseModel)


class AsyncRed5Client:
    """The asynchronous Red5 Cloud client: tokens and the conference API.

    One instance owns one pooled `httpx2.AsyncClient`, shared by conference
    API calls and PubNub grants; create it once and share it across tasks.
    It works under asyncio and trio. Under asyncio, when aiohttp is installed,
    requests go through an aiohttp-backed transport, which uses about half
    the CPU of httpx2's own.

    Args:
        master_key: The account's master key; defaults to `RED5_MASTER_KEY`.
        master_secret: The account's master secret; defaults to
            `RED5_MASTER_SECRET`.
        credentials: Already opened credentials, instead of a key and secret.
        base_url: The conference API's host or URL; defaults to
            `RED5_BASE_URL`, then to the host sealed in the master secret.
        pubnub_base_url: PubNub's URL; defaults to `RED5_PUBNUB_BASE_URL`, then
            to `https://ps.pndsn.com`.
        timeout: Seconds per attempt (connecting is capped at 5 s), an
            `httpx2.Timeout`, or None for no timeout.
        max_retries: Retries after a retryable failure, 0 to 10.
        http_client: Your own `httpx2.AsyncClient`; it is used as it is and
            never closed by this client.
        minter: Signs conference and admin tokens; defaults to `HS256Minter`.
        chat_granter: Obtains PubNub tokens; defaults to `PubNubGranter`.
        limits: Connection pool limits of the client's own pool.
        transport: `auto` (aiohttp under asyncio when installed, else
            httpx2's), `httpx` or `aiohttp`.
        clock: The time source of tokens and grants, in Unix seconds.

    Raises:
        ConfigurationError: Credentials are missing or settings are invalid.
        CredentialsError: The master secret cannot be opened with the key.
    """

    def __init__(
        self,
        master_key: str | None = None,
        master_secret: str | None = None,
        *,
        credentials: Red5Credentials | None = None,
        base_url: str | None = None,
        pubnub_base_url: str | None = None,
        timeout: float | httpx2.Timeout | None = 10.0,
        max_retries: int = 2,
        http_client: httpx2.AsyncClient | None = None,
        minter: TokenMinter | None = None,
        chat_granter: ChatGranter | None = None,
        limits: httpx2.Limits | None = None,
        transport: TransportName = "auto",
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._options = CallOptions.create(timeout, max_retries)
        self._chat_granter: ChatGranter | None = None
        self._core = ClientCore.create(
            master_key,
            master_secret,
            credentials=credentials,
            base_url=base_url,
            pubnub_base_url=pubnub_base_url,
            http_client=http_client,
            minter=minter,
            chat_granter=chat_granter,
            limits=limits,
            transport=transport,
            clock=clock,
        )

    def __repr__(self) -> str:
        return f"<AsyncRed5Client base_url={self._core.base_url!r}>"

    @property
    def base_url(self) -> str:
        """The conference API's base URL."""
        return self._core.base_url

    @property
    def credentials(self) -> Red5Credentials:
        """The opened credentials; secrets are hidden in their `repr()`."""
        return self._core.credentials

    @property
    def is_closed(self) -> bool:
        """Whether `aclose()` has been called on this client or a copy of it."""
        return self._core.closed

    def with_options(
        self,
        *,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> AsyncRed5Client:
        """Return a copy with another timeout or retry count, sharing the pool.

        Closing either the copy or the original closes the shared pool.
        """
        copy = object.__new__(AsyncRed5Client)
        copy._core = self._core
        copy._chat_granter = None
        copy._options = CallOptions.create(
            self._options.timeout if timeout is None else timeout,
            self._options.max_retries if max_retries is None else max_retries,
        )
        return copy

    async def __aenter__(self) -> Self:
        self._core.ensure_open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool, unless it was passed in as `http_client`.

        Calls still in progress, on this client or a copy of it, end with
        `APIConnectionError`.
        """
        await self._core.aclose()

    # Tokens

    async def get_conference_token(
        self,
        user_id: str,
        room_id: str,
        role: Role | str = Role.PUBLISHER,
        expiration_minutes: int = 60,
    ) -> str:
        """Mint the token a participant joins a room with.

        The token embeds a PubNub token, granted for the same lifetime, that
        reads and writes the room's chat channel and its presence channel.

        Args:
            user_id: The participant's user id (surrounding whitespace removed).
            room_id: The room id (surrounding whitespace removed).
            role: `admin`, `publisher` or `subscriber`.
            expiration_minutes: The token's lifetime, 1 to 43,200 minutes.

        Returns:
            An HS256 JWT signed with the conference secret.

        Raises:
            InvalidArgumentError: An argument is invalid; nothing was sent.
            ChatGrantError: PubNub rejected the chat grant.
            APIConnectionError: PubNub could not be reached.
        """
        user_id = check_user_id(user_id)
        room_id = check_room_id(room_id)
        role = check_choice("role", role, Role)
        minutes = check_minutes("expiration_minutes", expiration_minutes)
        core = self._core
        core.ensure_open()

        grant = ChatGrant(user_id, (room_id, f"{room_id}-pnpres"), True, True, minutes)
        with core.cancel_on_close():
            pubnub_token = await self._granter().grant(grant)
        issued = int(core.clock())
        claims = {
            "uid": user_id,
            "roomId": room_id,
            "role": role.value,
            "pubnubSubscribeKey": core.credentials.pubnub_subscribe_key,
            "pubnubPublishKey": core.credentials.pubnub_publish_key,
            "pubnubToken": pubnub_token,
            "iat": issued,
            "exp": issued + minutes * 60,
        }
        secret = core.credentials.conference_secret.get_secret_value()
        return core.minter.mint(claims, secret.encode("utf-8"))

    async def get_chat_token(
        self,
        user_id: str,
        channel_id: str,
        read: bool,
        write: bool,
        ttl_minutes: int = 60,
    ) -> str:
        """Obtain a PubNub Access Manager v3 token for a chat channel.

        The grant covers `channel_id` and its presence channel
        `<channel_id>-pnpres`, and only the user id `user_id` may use it.

        Args:
            user_id: The PubNub user id the token is bound to.
            channel_id: The channel, at most 85 characters.
            read: Grant reading (subscribing).
            write: Grant writing (publishing).
            ttl_minutes: The token's lifetime, 1 to 43,200 minutes.

        Returns:
            The PubNub token.

        Raises:
            InvalidArgumentError: An argument is invalid, or neither read nor
                write was asked for; nothing was sent.
            ChatGrantError: PubNub rejected the grant.
            APIConnectionError: PubNub could not be reached.
        """
        user_id = check_user_id(user_id)
        channel_id = check_room_id(channel_id, "channel_id")
        read, write = check_permissions(read, write)
        minutes = check_minutes("ttl_minutes", ttl_minutes)
        self._core.ensure_open()

        channels = (channel_id, f"{channel_id}-pnpres")
        grant = ChatGrant(user_id, channels, read, write, minutes)
        with self._core.cancel_on_close():
            return await self._granter().grant(grant)

    def verify_conference_token(
        self, token: str, *, leeway: float = 30
    ) -> ConferenceClaims:
        """Verify a conference token against this account's conference secret.

        Raises:
            ExpiredTokenError: The token expired more than `leeway` seconds ago.
            InvalidTokenError: The token is malformed, badly signed, issued in
                the future, or has missing or mistyped claims.
        """
        return _verify_token(
            token,
            self._core.credentials.conference_secret,
            ConferenceClaims,
            leeway=leeway,
            now=self._core.clock(),
        )

    def decode_conference_token(self, token: str) -> ConferenceClaims:
        """Decode a conference token WITHOUT verifying it, for debugging.

        Raises:
            InvalidTokenError: The token is not a conference token.
        """
        return decode_conference_token(token)

    # Participants

    async def get_user_status(self, room_id: str, user_id: str) -> UserStatus:
        """Return a participant's status in a room.

        Raises:
            InvalidArgumentError: An id is invalid; nothing was sent.
            NotFoundError: The room or user does not exist.
            APIError: Any other failure of the call.
        """
        room_id, user_id = check_room_id(room_id), check_user_id(user_id)
        return await self._call(
            "GET", ("room", room_id, "user", user_id), UserStatus, room_id
        )

    async def is_user_joined(self, room_id: str, user_id: str) -> JoinStatus:
        """Return whether a user is in a room now.

        Raises:
            InvalidArgumentError: An id is invalid; nothing was sent.
            APIError: The call failed.
        """
        room_id, user_id = check_room_id(room_id), check_user_id(user_id)
        segments = ("room", room_id, "user", user_id, "isJoined")
        return await self._call("GET", segments, JoinStatus, room_id)

    async def get_user_list(
        self, room_id: str, limit: int = 100, offset: int = 0
    ) -> UserList:
        """Return one page of a room's participants.

        Args:
            room_id: The room id.
            limit: The page size, at least 1.
            offset: How many participants to skip, at least 0.

        Raises:
            InvalidArgumentError: An argument is invalid; nothing was sent.
            APIError: The call failed.
        """
        room_id = check_room_id(room_id)
        params = {
            "limit": check_int("limit", limit, minimum=1),
            "offset": check_int("offset", offset, minimum=0),
        }
        return await self._call(
            "GET", ("room", room_id, "users"), UserList, room_id, params
        )

    async def iter_users(
        self, room_id: str, *, page_size: int = 100
    ) -> AsyncIterator[UserStatus]:
        """Iterate over all of a room's participants, page by page.

        A participant seen on an earlier page is not yielded again, even if
        the list shifts between pages. Iteration stops at the reported count
        or at a short page.

        Raises:
            InvalidArgumentError: An argument is invalid; nothing was sent.
            APIError: A page failed.
        """
        room_id = check_room_id(room_id)
        page_size = check_int("page_size", page_size, minimum=1)
        seen: set[str] = set()
        offset = 0
        while True:
            page = await self.get_user_list(room_id, limit=page_size, offset=offset)
            for user in page.users:
                if user.uid not in seen:
                    seen.add(user.uid)
                    yield user
            offset += len(page.users)
            if len(page.users) < page_size or offset >= page.user_count:
                return

    async def get_host_list(self, room_id: str) -> HostList:
        """Return a room's hosts: its online publishers and admins.

        Raises:
            InvalidArgumentError: The room id is invalid; nothing was sent.
            APIError: The call failed.
        """
        room_id = check_room_id(room_id)
        return await self._call("GET", ("room", room_id, "hosts"), HostList, room_id)

    # Rooms

    async def get_room_list(
        self,
        state: RoomState | str = RoomState.ACTIVE,
        limit: int = 50,
        offset: int = 0,
    ) -> RoomList:
        """Return one page of rooms.

        Args:
            state: `active`, `inactive` or `all`.
            limit: The page size, at least 1.
            offset: How many rooms to skip, at least 0.

        Raises:
            InvalidArgumentError: An argument is invalid; nothing was sent.
            APIError: The call failed.
        """
        params = {
            "state": check_choice("state", state, RoomState).value,
            "limit": check_int("limit", limit, minimum=1),
            "offset": check_int("offset", offset, minimum=0),
        }
        return await self._call("GET", ("rooms",), RoomList, _ADMIN_SCOPE, params)

    async def iter_rooms(
        self, state: RoomState | str = RoomState.ACTIVE, *, page_size: int = 50
    ) -> AsyncIterator[Room]:
        """Iterate over all rooms in a state, page by page.

        A room seen on an earlier page is not yielded again. Iteration stops
        at the reported count or at a short page.

        Raises:
            InvalidArgumentError: An argument is invalid; nothing was sent.
            APIError: A page failed.
        """
        state = check_choice("state", state, RoomState)
        page_size = check_int("page_size", page_size, minimum=1)
        seen: set[str] = set()
        offset = 0
        while True:
            page = await self.get_room_list(state, limit=page_size, offset=offset)
            for room in page.rooms:
                key = room.room_id
                if key is None or key not in seen:
                    if key is not None:
                        seen.add(key)
                    yield room
            offset += len(page.rooms)
            if len(page.rooms) < page_size or offset >= page.room_count:
                return

    # Moderation

    async def block_user(
        self, room_id: str, user_id: str, block_duration_seconds: int = 1
    ) -> ActionResult:
        """Remove a user from a room and keep them out for a while.

        Args:
            room_id: The room id.
            user_id: The user id.
            block_duration_seconds: How long the block lasts, at least 1.

        Raises:
            InvalidArgumentError: An argument is invalid; nothing was sent.
            APIError: The call failed.
        """
        room_id, user_id = check_room_id(room_id), check_user_id(user_id)
        duration = check_seconds("block_duration_seconds", block_duration_seconds)
        segments = ("room", room_id, "user", user_id, "block")
        params = {"blockDuration": duration}
        return await self._call("POST", segments, ActionResult, room_id, params)

    async def unblock_user(self, room_id: str, user_id: str) -> ActionResult:
        """Lift a user's block so they can join again.

        Raises:
            InvalidArgumentError: An id is invalid; nothing was sent.
            APIError: The call failed.
        """
        room_id, user_id = check_room_id(room_id), check_user_id(user_id)
        segments = ("room", room_id, "user", user_id, "unblock")
        return await self._call("POST", segments, ActionResult, room_id)

    # Recording and transcription

    async def start_recording(self, room_id: str) -> RecordingResult:
        """Start recording a room.

        Raises:
            InvalidArgumentError: The room id is invalid; nothing was sent.
            ConflictError: A recording of the room is already running.
            APIError: Any other failure of the call.
        """
        room_id = check_room_id(room_id)
        segments = ("room", room_id, "startRecording")
        return await self._call("POST", segments, RecordingResult, room_id)

    async def stop_recording(self, room_id: str) -> RecordingResult:
        """Stop recording a room.

        Raises:
            InvalidArgumentError: The room id is invalid; nothing was sent.
            ConflictError: No recording of the room is running.
            APIError: Any other failure of the call.
        """
        room_id = check_room_id(room_id)
        segments = ("room", room_id, "stopRecording")
        return await self._call("POST", segments, RecordingResult, room_id)

    async def start_transcription(
        self, room_id: str, user_id: str
    ) -> TranscriptionResult:
        """Start transcribing a room for a user.

        Raises:
            InvalidArgumentError: An id is invalid; nothing was sent.
            APIError: The call failed.
        """
        room_id, user_id = check_room_id(room_id), check_user_id(user_id)
        segments = ("room", room_id, "user", user_id, "start-transcription")
        return await self._call("POST", segments, TranscriptionResult, room_id)

    async def stop_transcription(
        self, room_id: str, user_id: str
    ) -> TranscriptionResult:
        """Stop transcribing a room for a user.

        Raises:
            InvalidArgumentError: An id is invalid; nothing was sent.
            APIError: The call failed.
        """
        room_id, user_id = check_room_id(room_id), check_user_id(user_id)
        segments = ("room", room_id, "user", user_id, "stop-transcription")
        return await self._call("POST", segments, TranscriptionResult, room_id)

    async def get_transcriptions(
        self,
        room_id: str,
        start_time: int | datetime | None = None,
        end_time: int | datetime | None = None,
    ) -> Transcripts:
        """Return a room's transcript entries, optionally within a time window.

        Args:
            room_id: The room id.
            start_time: The earliest entry, as Unix milliseconds or an aware
                datetime.
            end_time: The latest entry, likewise.

        Raises:
            InvalidArgumentError: An argument is invalid, or `end_time` is
                before `start_time`; nothing was sent.
            APIError: The call failed.
        """
        room_id = check_room_id(room_id)
        start = check_timestamp_ms("start_time", start_time)
        end = check_timestamp_ms("end_time", end_time)
        if start is not None and end is not None and end < start:
            raise InvalidArgumentError(
                "end_time", "end_time must not be before start_time."
            )
        params = {
            name: value
            for name, value in (("startTime", start), ("endTime", end))
            if value is not None
        }
        segments = ("room", room_id, "transcriptions")
        return await self._call("GET", segments, Transcripts, room_id, params)

    # External streams

    async def get_external_streams(self) -> ExternalStreams:
        """Return the account's external streams.

        Raises:
            APIError: The call failed.
        """
        return await self._call(
            "GET", ("external-streams",), ExternalStreams, _ADMIN_SCOPE
        )

    async def add_external_stream(self, room_id: str, stream_id: str) -> ActionResult:
        """Show an external stream in a room.

        Raises:
            InvalidArgumentError: An id is invalid; nothing was sent.
            APIError: The call failed.
        """
        room_id, stream_id = check_room_id(room_id), check_stream_id(stream_id)
        segments = ("room", room_id, "external-stream", stream_id)
        return await self._call("POST", segments, ActionResult, room_id)

    async def remove_external_stream(
        self, room_id: str, stream_id: str
    ) -> ActionResult:
        """Remove an external stream from a room.

        Raises:
            InvalidArgumentError: An id is invalid; nothing was sent.
            NotFoundError: The stream is not in the room.
            APIError: Any other failure of the call.
        """
        room_id, stream_id = check_room_id(room_id), check_stream_id(stream_id)
        segments = ("room", room_id, "external-stream", stream_id)
        return await self._call("DELETE", segments, ActionResult, room_id)

    # Internals

    def _granter(self) -> ChatGranter:
        # Made once per client rather than per grant, because its settings are
        # this client's options, which never change.
        if self._chat_granter is None:
            options = self._options
            self._chat_granter = self._core.granter(
                options.timeout, options.max_retries
            )
        return self._chat_granter

    async def _call(
        self,
        method: str,
        segments: tuple[str, ...],
        model: type[ModelT],
        token_room: str,
        params: Mapping[str, str | int] | None = None,
    ) -> ModelT:
        return await call_api(
            self._core,
            self._options,
            method,
            segments,
            model,
            token_room=token_room,
            params=params,
        )

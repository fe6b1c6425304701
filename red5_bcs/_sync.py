"""`Red5Client`: the blocking facade over `AsyncRed5Client`.

Every call runs the async client on one event loop in a background thread,
which an anyio blocking portal keeps running, so the two clients cannot
drift apart and callers need no event loop of their own.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import datetime
from types import TracebackType
from typing import Literal, Self, TypeVar

import anyio
import httpx2

from ._base import TransportName
from ._client import AsyncRed5Client
from ._credentials import Red5Credentials
from ._errors import ConfigurationError, Red5Error
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
from ._portal import PortalThread, Stepper
from ._pubnub import ChatGranter
from ._tokens import ConferenceClaims, Role, TokenMinter

__all__ = ["Red5Client"]

T = TypeVar("T")


class Red5Client:
    """The blocking Red5 Cloud client, for scripts and synchronous frameworks.

    It takes the same arguments as `AsyncRed5Client` and has the same methods,
    blocking. One client may be shared by many threads, and works from code
    that already runs an event loop (the loop it runs on is its own).

    Args:
        master_key: The account's master key; defaults to `RED5_MASTER_KEY`.
        master_secret: The account's master secret; defaults to
            `RED5_MASTER_SECRET`.
        credentials: Already opened credentials, instead of a key and secret.
        base_url: The conference API's host or URL.
        pubnub_base_url: PubNub's URL.
        timeout: Seconds per attempt, an `httpx2.Timeout`, or None.
        max_retries: Retries after a retryable failure, 0 to 10.
        http_client: Your own `httpx2.AsyncClient`, never closed by this client.
            It is used from the client's own event loop thread.
        minter: Signs conference and admin tokens.
        chat_granter: Obtains PubNub tokens.
        limits: Connection pool limits of the client's own pool.
        transport: `auto`, `httpx` or `aiohttp`.
        clock: The time source of tokens and grants, in Unix seconds.
        backend: The event loop the client runs on: `asyncio` or `trio`.

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
        backend: Literal["asyncio", "trio"] = "asyncio",
    ) -> None:
        if backend not in ("asyncio", "trio"):
            raise ConfigurationError("backend must be 'asyncio' or 'trio'.")
        self._async = AsyncRed5Client(
            master_key,
            master_secret,
            credentials=credentials,
            base_url=base_url,
            pubnub_base_url=pubnub_base_url,
            timeout=timeout,
            max_retries=max_retries,
            http_client=http_client,
            minter=minter,
            chat_granter=chat_granter,
            limits=limits,
            transport=transport,
            clock=clock,
        )
        self._portal_thread = PortalThread(backend)
        self._owns_portal = True
        self._lock = threading.Lock()

    @classmethod
    def _wrap(cls, async_client: AsyncRed5Client, portal_thread: PortalThread) -> Self:
        client = object.__new__(cls)
        client._async = async_client
        client._portal_thread = portal_thread
        client._owns_portal = False
        client._lock = threading.Lock()
        return client

    def __repr__(self) -> str:
        return f"<Red5Client base_url={self._async.base_url!r}>"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def base_url(self) -> str:
        """The conference API's base URL."""
        return self._async.base_url

    @property
    def credentials(self) -> Red5Credentials:
        """The opened credentials; secrets are hidden in their `repr()`."""
        return self._async.credentials

    @property
    def is_closed(self) -> bool:
        """Whether `close()` has been called on this client or a copy of it."""
        return self._async.is_closed

    @property
    def async_client(self) -> AsyncRed5Client:
        """The `AsyncRed5Client` this client drives; use it only on its loop."""
        return self._async

    def with_options(
        self,
        *,
        timeout: float | httpx2.Timeout | None = None,
        max_retries: int | None = None,
    ) -> Red5Client:
        """Return a copy with another timeout or retry count, sharing the pool.

        Closing the original stops the copy too; closing the copy only
        closes the shared pool.
        """
        copy = self._async.with_options(timeout=timeout, max_retries=max_retries)
        return Red5Client._wrap(copy, self._portal_thread)

    def close(self) -> None:
        """Close the connection pool and stop the background event loop.

        Calls still in progress in other threads end with `APIConnectionError`.
        """
        with self._lock:
            # Called even on a closed client: it finishes closing a pool that
            # an interrupted close() left behind. A stopped loop has none.
            with contextlib.suppress(anyio.RunFinishedError):
                self._portal_thread.call(self._async.aclose)
            if self._owns_portal:
                with contextlib.suppress(anyio.RunFinishedError):
                    self._portal_thread.stop()

    def _call(self, function: Callable[..., Awaitable[T]], *args: object) -> T:
        try:
            return self._portal_thread.call(function, *args)
        except anyio.RunFinishedError:
            raise Red5Error(
                "This client has been closed; create a new client to make more calls."
            ) from None

    def _iterate(self, iterator: AsyncIterator[T]) -> Iterator[T]:
        stepper = Stepper(iterator)
        try:
            while True:
                try:
                    yield self._call(stepper.next)
                except StopAsyncIteration:
                    return
        finally:
            # The garbage collector may finalize this generator on the loop
            # thread, which must not wait for itself. The loop's own
            # async-generator hooks then close the iterator.
            on_loop = threading.current_thread() is self._portal_thread.thread
            if not on_loop and not self.is_closed:
                self._call(stepper.close)

    # Tokens

    def get_conference_token(
        self,
        user_id: str,
        room_id: str,
        role: Role | str = Role.PUBLISHER,
        expiration_minutes: int = 60,
    ) -> str:
        """Mint the token a participant joins a room with.

        See `AsyncRed5Client.get_conference_token`.
        """
        return self._call(
            self._async.get_conference_token, user_id, room_id, role, expiration_minutes
        )

    def get_chat_token(
        self,
        user_id: str,
        channel_id: str,
        read: bool,
        write: bool,
        ttl_minutes: int = 60,
    ) -> str:
        """Obtain a PubNub token for a chat channel.

        See `AsyncRed5Client.get_chat_token`.
        """
        return self._call(
            self._async.get_chat_token, user_id, channel_id, read, write, ttl_minutes
        )

    def verify_conference_token(
        self, token: str, *, leeway: float = 30
    ) -> ConferenceClaims:
        """Verify a conference token. See `AsyncRed5Client.verify_conference_token`."""
        return self._async.verify_conference_token(token, leeway=leeway)

    def decode_conference_token(self, token: str) -> ConferenceClaims:
        """Decode a conference token WITHOUT verifying it, for debugging."""
        return self._async.decode_conference_token(token)

    # Participants

    def get_user_status(self, room_id: str, user_id: str) -> UserStatus:
        """Return a participant's status. See `AsyncRed5Client.get_user_status`."""
        return self._call(self._async.get_user_status, room_id, user_id)

    def is_user_joined(self, room_id: str, user_id: str) -> JoinStatus:
        """Return whether a user is in a room. See `AsyncRed5Client.is_user_joined`."""
        return self._call(self._async.is_user_joined, room_id, user_id)

    def get_user_list(
        self, room_id: str, limit: int = 100, offset: int = 0
    ) -> UserList:
        """Return one page of participants. See `AsyncRed5Client.get_user_list`."""
        return self._call(self._async.get_user_list, room_id, limit, offset)

    def iter_users(self, room_id: str, *, page_size: int = 100) -> Iterator[UserStatus]:
        """Iterate over all participants. See `AsyncRed5Client.iter_users`."""
        return self._iterate(self._async.iter_users(room_id, page_size=page_size))

    def get_host_list(self, room_id: str) -> HostList:
        """Return a room's hosts. See `AsyncRed5Client.get_host_list`."""
        return self._call(self._async.get_host_list, room_id)

    # Rooms

    def get_room_list(
        self,
        state: RoomState | str = RoomState.ACTIVE,
        limit: int = 50,
        offset: int = 0,
    ) -> RoomList:
        """Return one page of rooms. See `AsyncRed5Client.get_room_list`."""
        return self._call(self._async.get_room_list, state, limit, offset)

    def iter_rooms(
        self, state: RoomState | str = RoomState.ACTIVE, *, page_size: int = 50
    ) -> Iterator[Room]:
        """Iterate over all rooms in a state. See `AsyncRed5Client.iter_rooms`."""
        return self._iterate(self._async.iter_rooms(state, page_size=page_size))

    # Moderation

    def block_user(
        self, room_id: str, user_id: str, block_duration_seconds: int = 1
    ) -> ActionResult:
        """Block a user from a room. See `AsyncRed5Client.block_user`."""
        return self._call(
            self._async.block_user, room_id, user_id, block_duration_seconds
        )

    def unblock_user(self, room_id: str, user_id: str) -> ActionResult:
        """Lift a user's block. See `AsyncRed5Client.unblock_user`."""
        return self._call(self._async.unblock_user, room_id, user_id)

    # Recording and transcription

    def start_recording(self, room_id: str) -> RecordingResult:
        """Start recording a room. See `AsyncRed5Client.start_recording`."""
        return self._call(self._async.start_recording, room_id)

    def stop_recording(self, room_id: str) -> RecordingResult:
        """Stop recording a room. See `AsyncRed5Client.stop_recording`."""
        return self._call(self._async.stop_recording, room_id)

    def start_transcription(self, room_id: str, user_id: str) -> TranscriptionResult:
        """Start transcribing. See `AsyncRed5Client.start_transcription`."""
        return self._call(self._async.start_transcription, room_id, user_id)

    def stop_transcription(self, room_id: str, user_id: str) -> TranscriptionResult:
        """Stop transcribing. See `AsyncRed5Client.stop_transcription`."""
        return self._call(self._async.stop_transcription, room_id, user_id)

    def get_transcriptions(
        self,
        room_id: str,
        start_time: int | datetime | None = None,
        end_time: int | datetime | None = None,
    ) -> Transcripts:
        """Return transcript entries. See `AsyncRed5Client.get_transcriptions`."""
        return self._call(self._async.get_transcriptions, room_id, start_time, end_time)

    # External streams

    def get_external_streams(self) -> ExternalStreams:
        """Return the external streams. See `AsyncRed5Client.get_external_streams`."""
        return self._call(self._async.get_external_streams)

    def add_external_stream(self, room_id: str, stream_id: str) -> ActionResult:
        """Add an external stream. See `AsyncRed5Client.add_external_stream`."""
        return self._call(self._async.add_external_stream, room_id, stream_id)

    def remove_external_stream(self, room_id: str, stream_id: str) -> ActionResult:
        """Remove an external stream. See `AsyncRed5Client.remove_external_stream`."""
        return self._call(self._async.remove_external_stream, room_id, stream_id)

"""`Emulator`: a local Red5 Cloud account, served in-process or over a socket."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import httpx2
from pydantic import SecretStr
from starlette.applications import Starlette

from .._client import AsyncRed5Client
from .._config import (
    CONFERENCE_API_PATH,
    ENV_BASE_URL,
    ENV_MASTER_KEY,
    ENV_MASTER_SECRET,
    ENV_PUBNUB_BASE_URL,
)
from .._credentials import Red5Credentials, seal_master_secret
from .._models import UserStatus
from ._app import build_app
from ._clock import Clock
from ._core import EmulatorCore
from ._faults import FaultOutcome, make_scripts
from ._middleware import RecordedRequest

if TYPE_CHECKING:
    from .._sync import Red5Client

__all__ = ["DEFAULT_HOST", "DEFAULT_PUBNUB_HOST", "Emulator"]

DEFAULT_HOST = "red5-emulator.invalid"
"""The conference API host of an in-process emulator (`.invalid` never resolves)."""
DEFAULT_PUBNUB_HOST = "pubnub-emulator.invalid"
"""The PubNub host of an in-process emulator."""


class Emulator:
    """A local emulator of Red5 Cloud: conference API, PubNub grants and joins.

    It keeps rooms, participants, blocks, recordings, transcriptions and
    external streams in memory, grants PubNub tokens in PubNub's format, and
    checks every token as strictly as the real services do. `app` is its
    ASGI application; `async_client()` and `client()` return SDK clients
    that reach it in-process, and `EmulatorServer` serves it over a socket.

    Without arguments it makes a new account: a master key and a master
    secret that seals fresh random credentials and the host
    `red5-emulator.invalid`, a name that never resolves (RFC 6761), so only
    the in-process transport can reach it.

    Args:
        master_key: The master key to seal the credentials with; a random
            one by default.
        credentials: The credentials to serve; random ones by default.
        clock: The time source of every expiry check, in Unix seconds; pass a
            `ManualClock` to control time in tests. Defaults to `time.time`.

    Raises:
        InvalidArgumentError: `master_key` is empty, or a credential contains
            `|`, which the master secret format cannot seal.
    """

    def __init__(
        self,
        *,
        master_key: str | None = None,
        credentials: Red5Credentials | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._master_key = master_key if master_key is not None else _random(24)
        self._credentials = credentials or new_credentials(DEFAULT_HOST)
        self._master_secret = seal_master_secret(self._master_key, self._credentials)
        self._clock = clock or time.time
        self._core = EmulatorCore(self._credentials, self._clock)
        self._app = build_app(self._core)

    def __repr__(self) -> str:
        return f"<Emulator base_url={self.base_url!r}>"

    @property
    def master_key(self) -> str:
        """The account's master key."""
        return self._master_key

    @property
    def master_secret(self) -> str:
        """The account's sealed master secret."""
        return self._master_secret

    @property
    def credentials(self) -> Red5Credentials:
        """The credentials sealed in `master_secret`."""
        return self._credentials

    @property
    def base_url(self) -> str:
        """The conference API's in-process base URL, ending `/as/v1/conference`."""
        return self._credentials.base_url

    @property
    def pubnub_base_url(self) -> str:
        """PubNub's in-process base URL."""
        return f"https://{DEFAULT_PUBNUB_HOST}"

    @property
    def clock(self) -> Clock:
        """The emulator's time source."""
        return self._clock

    @property
    def app(self) -> Starlette:
        """The ASGI application that serves the emulator."""
        return self._app

    @property
    def requests(self) -> list[RecordedRequest]:
        """The requests received so far, oldest first (the control API's excluded)."""
        return self._core.log.entries()

    def env(self) -> dict[str, str]:
        """Return the `RED5_*` environment variables that point a client here."""
        return {
            ENV_MASTER_KEY: self.master_key,
            ENV_MASTER_SECRET: self.master_secret,
            ENV_BASE_URL: self.base_url,
            ENV_PUBNUB_BASE_URL: self.pubnub_base_url,
        }

    def http_transport(self) -> httpx2.ASGITransport:
        """Return an httpx2 transport that sends requests to `app` in-process.

        Errors raised by the app reach the caller, so a scripted `drop`
        appears as `httpx2.RemoteProtocolError`, as on a real connection.
        """
        return httpx2.ASGITransport(app=self._app)

    def async_client(self, **options: Any) -> AsyncRed5Client:
        """Return an `AsyncRed5Client` wired to this emulator in-process.

        The client shares the emulator's clock and talks to `app` through
        `http_transport()`. The in-process transport holds no connections, so
        closing the client releases everything.

        Args:
            **options: Other `AsyncRed5Client` arguments, such as
                `max_retries`; they override the emulator's defaults.
        """
        return AsyncRed5Client(**self._client_options(options))

    def client(self, **options: Any) -> Red5Client:
        """Return a blocking `Red5Client` wired to this emulator in-process.

        Close it when done: it runs an event loop in a background thread.

        Args:
            **options: Other `Red5Client` arguments, such as `backend`.
        """
        from .._sync import Red5Client

        return Red5Client(**self._client_options(options))

    def join(self, token: str) -> UserStatus:
        """Admit the holder of a conference token to its room.

        The token is checked as a Red5 server checks it: its signature,
        expiry, role and PubNub keys. Its embedded PubNub token must have been
        granted by this emulator for the same user, must give read and write
        on the room's channel and presence channel, and must not be expired.
        A blocked user is rejected until the block expires.

        Returns:
            The participant's status; `model_extra["roomId"]` is the room.

        Raises:
            JoinRejectedError: A check failed; `status_code` is 401 for an
                invalid conference token and 403 otherwise.
        """
        return UserStatus.model_validate(self._core.join(token))

    def leave(self, room_id: str, user_id: str) -> UserStatus:
        """Take a participant offline.

        Raises:
            EmulatorError: 404, unknown room or user; 409, already offline.
        """
        return UserStatus.model_validate(self._core.leave(room_id, user_id))

    def set_media(
        self,
        room_id: str,
        user_id: str,
        *,
        audio_enabled: bool | None = None,
        video_enabled: bool | None = None,
    ) -> UserStatus:
        """Turn an online participant's microphone or camera on or off.

        Arguments left as None keep their current state.

        Raises:
            EmulatorError: 404, unknown room or user; 409, the user is
                offline; 403, a subscriber tried to turn media on.
        """
        status = self._core.set_media(room_id, user_id, audio_enabled, video_enabled)
        return UserStatus.model_validate(status)

    def add_faults(
        self,
        method: str,
        path_prefix: str,
        outcomes: Iterable[Mapping[str, Any] | FaultOutcome],
    ) -> None:
        """Queue scripted outcomes for requests that match a method and path.

        Args:
            method: The HTTP method, such as `GET`, or `*` for any.
            path_prefix: A prefix of the raw, percent-encoded request path,
                such as `/as/v1/conference/rooms` or `/v3/pam/`.
            outcomes: One outcome per matching request, in order, such as
                `{"status": 503, "headers": {"Retry-After": "1"}}`,
                `{"delay": 2.5}`, `{"drop": "before_response"}` or
                `{"malformed": "not_json"}`; see `FaultOutcome`.

        Raises:
            pydantic.ValidationError: The script is invalid (a `ValueError`).
        """
        self._core.faults.add(make_scripts(method, path_prefix, outcomes))

    def clear_faults(self) -> None:
        """Drop every queued fault outcome."""
        self._core.faults.clear()

    def clear_requests(self) -> None:
        """Forget the requests received so far."""
        self._core.log.clear()

    def reset(self) -> None:
        """Forget rooms, granted tokens, queued faults and the request log."""
        self._core.reset()

    def _client_options(self, options: dict[str, Any]) -> dict[str, Any]:
        defaults: dict[str, Any] = {
            "master_key": self.master_key,
            "master_secret": self.master_secret,
            "base_url": self.base_url,
            "pubnub_base_url": self.pubnub_base_url,
            "clock": self._clock,
        }
        if "http_client" not in options:
            transport = self.http_transport()
            defaults["http_client"] = httpx2.AsyncClient(transport=transport)
        if "credentials" in options:
            del defaults["master_key"], defaults["master_secret"]
        return {**defaults, **options}


def new_credentials(host: str) -> Red5Credentials:
    """Return random credentials for the conference API at `host`."""
    return Red5Credentials(
        conference_secret=SecretStr(_random(32)),
        pubnub_secret_key=SecretStr("sec-c-" + _random(32)),
        pubnub_publish_key="pub-c-" + _random(24),
        pubnub_subscribe_key="sub-c-" + _random(24),
        stream_manager_host=host,
    )


def _random(length: int) -> str:
    # token_urlsafe never produces `|`, which would split a sealed field.
    return secrets.token_urlsafe(length)


def conference_base_url(host: str, *, scheme: str = "https") -> str:
    """Return the conference API base URL at `host`."""
    return f"{scheme}://{host}{CONFERENCE_API_PATH}"

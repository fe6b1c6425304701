"""The emulator's services in one place, shared by its HTTP and Python APIs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from .._credentials import Red5Credentials
from ._auth import verify_conference_token
from ._clock import Clock
from ._errors import EmulatorError, JoinRejectedError
from ._faults import FaultQueues
from ._middleware import RequestLog
from ._pubnub import PubNubService
from ._state import ConferenceState

__all__ = ["EmulatorCore"]

logger = logging.getLogger("red5_bcs.testing")


@dataclass(eq=False)
class EmulatorCore:
    """Credentials, clock, conference model, PubNub grants, faults and log."""

    credentials: Red5Credentials
    clock: Clock
    state: ConferenceState = field(init=False)
    pubnub: PubNubService = field(init=False)
    faults: FaultQueues = field(init=False, default_factory=FaultQueues)
    log: RequestLog = field(init=False, default_factory=RequestLog)

    def __post_init__(self) -> None:
        self.state = ConferenceState(self.clock)
        self.pubnub = PubNubService(self.credentials, self.clock)

    def join(self, token: object) -> dict[str, Any]:
        """Admit the holder of a conference token to its room.

        Returns:
            The participant's user status, with `roomId` added.

        Raises:
            JoinRejectedError: The token is invalid (401) or its PubNub grant
                does not fit, or the user is blocked (403).
        """
        claims = verify_conference_token(token, self.credentials, self.clock())
        self.pubnub.check_room_token(claims.pubnub_token, claims.uid, claims.room_id)
        try:
            status = self.state.admit(claims.room_id, claims.uid, claims.role)
        except EmulatorError as exc:
            raise JoinRejectedError(exc.status_code, exc.message) from None
        logger.debug("User %r joined room %r", claims.uid, claims.room_id)
        return {"roomId": claims.room_id, **status}

    def leave(self, room_id: str, uid: str) -> dict[str, Any]:
        """Take a participant offline; see `ConferenceState.leave`."""
        status = self.state.leave(room_id, uid)
        logger.debug("User %r left room %r", uid, room_id)
        return {"roomId": room_id, **status}

    def set_media(
        self, room_id: str, uid: str, audio: bool | None, video: bool | None
    ) -> dict[str, Any]:
        """Turn a participant's media on or off; see `ConferenceState.set_media`."""
        return {"roomId": room_id, **self.state.set_media(room_id, uid, audio, video)}

    def reset(self) -> None:
        """Forget rooms, granted tokens, queued faults and logged requests."""
        self.state.reset()
        self.pubnub.reset()
        self.faults.clear()
        self.log.clear()

"""Exceptions of the emulator's own operations (joining, leaving, media)."""

from __future__ import annotations

from .._errors import Red5Error

__all__ = ["EmulatorError", "JoinRejectedError"]


class EmulatorError(Red5Error):
    """The emulator rejected an operation, as the real service would.

    The HTTP endpoints send the same rejection as a JSON body
    `{"message": ...}` with `status_code`.

    Attributes:
        status_code: The HTTP status the rejection is sent with.
        message: What was wrong; it never contains a token or secret.
    """

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


class JoinRejectedError(EmulatorError):
    """A conference token was not good enough to join its room.

    `status_code` is 401 when the conference token itself is invalid or
    expired, and 403 when it is valid but its PubNub grant does not fit, or
    the user is blocked.
    """

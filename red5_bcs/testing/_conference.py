"""The conference API's fifteen calls, under `/as/v1/conference`.

Query parameters are checked as a Java service parses them: integers are
plain ASCII digits that fit a 32-bit `int` (`startTime` and `endTime`, in
Unix milliseconds, a 64-bit `long`), and anything else gets a 400 response
with a JSON `message`. Unknown query parameters are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ._auth import ADMIN_SCOPE
from ._errors import EmulatorError
from ._routing import Route, describe
from ._state import ROOM_STATES, ConferenceState

__all__ = ["BASE_SEGMENTS", "ROUTES", "Handler", "auth_scope"]

BASE_SEGMENTS = ("as", "v1", "conference")
MAX_INT = 2**31 - 1
MAX_LONG = 2**63 - 1

Handler = Callable[
    [ConferenceState, Mapping[str, str], Mapping[str, str]], dict[str, Any]
]


def auth_scope(ids: Mapping[str, str]) -> str:
    """Return the `roomId` an admin token needs for a call with these path ids."""
    return ids.get("room", ADMIN_SCOPE)


def optional_int(
    query: Mapping[str, str], name: str, minimum: int, maximum: int
) -> int | None:
    """Read an optional integer query parameter.

    Raises:
        EmulatorError: 400, the value is not an integer from `minimum` to
            `maximum`.
    """
    text = query.get(name)
    if text is None:
        return None
    if text.isascii() and text.isdigit() and minimum <= int(text) <= maximum:
        return int(text)
    raise EmulatorError(
        400,
        f"Query parameter {name} must be a whole number from {minimum} to "
        f"{maximum}, not {describe(text)}.",
    )


def _int(query: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    value = optional_int(query, name, minimum, MAX_INT)
    return default if value is None else value


def _page(query: Mapping[str, str], default_limit: int) -> tuple[int, int]:
    return _int(query, "limit", default_limit, 1), _int(query, "offset", 0, 0)


def _user_status(
    state: ConferenceState, ids: Mapping[str, str], _: Mapping[str, str]
) -> dict[str, Any]:
    return state.user_status(ids["room"], ids["user"])


def _is_joined(
    state: ConferenceState, ids: Mapping[str, str], _: Mapping[str, str]
) -> dict[str, Any]:
    return state.is_joined(ids["room"], ids["user"])


def _users(
    state: ConferenceState, ids: Mapping[str, str], query: Mapping[str, str]
) -> dict[str, Any]:
    limit, offset = _page(query, 100)
    return state.users(ids["room"], limit, offset)


def _hosts(
    state: ConferenceState, ids: Mapping[str, str], _: Mapping[str, str]
) -> dict[str, Any]:
    return state.hosts(ids["room"])


def _rooms(
    state: ConferenceState, _: Mapping[str, str], query: Mapping[str, str]
) -> dict[str, Any]:
    room_state = query.get("state", "active")
    if room_state not in ROOM_STATES:
        raise EmulatorError(
            400,
            f"Query parameter state must be active, inactive or all, not "
            f"{describe(room_state)}.",
        )
    limit, offset = _page(query, 50)
    return state.rooms(room_state, limit, offset)


def _block(
    state: ConferenceState, ids: Mapping[str, str], query: Mapping[str, str]
) -> dict[str, Any]:
    seconds = _int(query, "blockDuration", 1, 1)
    return state.block(ids["room"], ids["user"], seconds)


def _unblock(
    state: ConferenceState, ids: Mapping[str, str], _: Mapping[str, str]
) -> dict[str, Any]:
    return state.unblock(ids["room"], ids["user"])


def _start_recording(
    state: ConferenceState, ids: Mapping[str, str], _: Mapping[str, str]
) -> dict[str, Any]:
    return state.start_recording(ids["room"])


def _stop_recording(
    state: ConferenceState, ids: Mapping[str, str], _: Mapping[str, str]
) -> dict[str, Any]:
    return state.stop_recording(ids["room"])


def _start_transcription(
    state: ConferenceState, ids: Mapping[str, str], _: Mapping[str, str]
) -> dict[str, Any]:
    return state.start_transcription(ids["room"], ids["user"])


def _stop_transcription(
    state: ConferenceState, ids: Mapping[str, str], _: Mapping[str, str]
) -> dict[str, Any]:
    return state.stop_transcription(ids["room"], ids["user"])


def _transcriptions(
    state: ConferenceState, ids: Mapping[str, str], query: Mapping[str, str]
) -> dict[str, Any]:
    start = optional_int(query, "startTime", 0, MAX_LONG)
    end = optional_int(query, "endTime", 0, MAX_LONG)
    if start is not None and end is not None and end < start:
        raise EmulatorError(
            400, "Query parameter endTime must not be before startTime."
        )
    return state.transcriptions(ids["room"], start, end)


def _external_streams(
    state: ConferenceState, _: Mapping[str, str], __: Mapping[str, str]
) -> dict[str, Any]:
    return state.external_streams()


def _add_external_stream(
    state: ConferenceState, ids: Mapping[str, str], _: Mapping[str, str]
) -> dict[str, Any]:
    return state.add_external_stream(ids["room"], ids["stream"])


def _remove_external_stream(
    state: ConferenceState, ids: Mapping[str, str], _: Mapping[str, str]
) -> dict[str, Any]:
    return state.remove_external_stream(ids["room"], ids["stream"])


_USER = ("room", "{room}", "user", "{user}")
_STREAM = ("room", "{room}", "external-stream", "{stream}")

ROUTES: tuple[Route[Handler], ...] = (
    Route("GET", _USER, _user_status),
    Route("GET", (*_USER, "isJoined"), _is_joined),
    Route("GET", ("room", "{room}", "users"), _users),
    Route("GET", ("room", "{room}", "hosts"), _hosts),
    Route("GET", ("rooms",), _rooms),
    Route("POST", (*_USER, "block"), _block),
    Route("POST", (*_USER, "unblock"), _unblock),
    Route("POST", ("room", "{room}", "startRecording"), _start_recording),
    Route("POST", ("room", "{room}", "stopRecording"), _stop_recording),
    Route("POST", (*_USER, "start-transcription"), _start_transcription),
    Route("POST", (*_USER, "stop-transcription"), _stop_transcription),
    Route("GET", ("room", "{room}", "transcriptions"), _transcriptions),
    Route("GET", ("external-streams",), _external_streams),
    Route("POST", _STREAM, _add_external_stream),
    Route("DELETE", _STREAM, _remove_external_stream),
)

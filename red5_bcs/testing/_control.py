"""The control API under `/emulator/v1/`, for tests and demos.

- POST `join`, body `{"token": <conference token>}`: admits the participant
  and returns its user status with `roomId`, or responds with 401 or 403.
- POST `leave`, body `{"roomId", "uid"}`: takes the participant offline.
- POST `media`, body `{"roomId", "uid", "audioEnabled"?, "videoEnabled"?}`:
  turns the participant's microphone or camera on or off.
- GET, POST and DELETE `faults`: list, queue (a fault script or a list of
  them, see `_faults`) and clear scripted faults.
- GET and DELETE `requests`: return (`{"requests": [...]}`) or clear the
  request log.
- POST `reset`: clears rooms, grants, faults and the request log.

Bodies are JSON objects with exactly these keys and types. Anything else
gets a 400 response with a JSON `message`.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ._core import EmulatorCore
from ._errors import EmulatorError
from ._faults import FaultScript

__all__ = ["ControlAPI", "read_body"]

MAX_BODY_BYTES = 1024 * 1024
ModelT = TypeVar("ModelT", bound=BaseModel)
_SCRIPTS = TypeAdapter(FaultScript | list[FaultScript])


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _JoinBody(_Body):
    token: str


class _LeaveBody(_Body):
    room_id: str = Field(alias="roomId")
    uid: str


class _MediaBody(_LeaveBody):
    audio_enabled: bool | None = Field(default=None, alias="audioEnabled")
    video_enabled: bool | None = Field(default=None, alias="videoEnabled")

    @model_validator(mode="after")
    def _check_change(self) -> Self:
        if self.audio_enabled is None and self.video_enabled is None:
            raise ValueError("give audioEnabled, videoEnabled or both")
        return self


async def read_body(request: Request) -> bytes:
    """Read a request body of at most `MAX_BODY_BYTES`.

    Raises:
        EmulatorError: 413, the body is larger.
    """
    chunks: list[bytes] = []
    size = 0
    # The rest of an oversized body is read and discarded rather than left
    # unread, because httpx2's in-process transport would otherwise leave its
    # body generator suspended until garbage collection.
    async for chunk in request.stream():
        size += len(chunk)
        if size <= MAX_BODY_BYTES:
            chunks.append(chunk)
    if size > MAX_BODY_BYTES:
        raise EmulatorError(
            413, f"The request body is larger than {MAX_BODY_BYTES} bytes."
        )
    return b"".join(chunks)


class ControlAPI:
    """Handles the control calls of one emulator."""

    def __init__(self, core: EmulatorCore) -> None:
        self._core = core
        self._handlers: dict[
            tuple[str, str], Callable[[Request], Awaitable[Response]]
        ] = {
            ("POST", "join"): self._join,
            ("POST", "leave"): self._leave,
            ("POST", "media"): self._media,
            ("GET", "faults"): self._list_faults,
            ("POST", "faults"): self._add_faults,
            ("DELETE", "faults"): self._clear_faults,
            ("GET", "requests"): self._list_requests,
            ("DELETE", "requests"): self._clear_requests,
            ("POST", "reset"): self._reset,
        }

    async def handle(self, request: Request, segments: list[str]) -> Response:
        """Handle a control call, given the path segments after `/emulator/v1/`.

        Raises:
            EmulatorError: The call is unknown (404, 405) or rejected.
        """
        name = segments[0] if len(segments) == 1 else ""
        handler = self._handlers.get((request.method, name))
        if handler is not None:
            return await handler(request)
        allowed = [method for method, known in self._handlers if known == name]
        if allowed:
            raise EmulatorError(
                405, f"Use {' or '.join(allowed)} on {request.url.path}."
            )
        raise EmulatorError(404, f"No endpoint at {request.method} {request.url.path}.")

    async def _join(self, request: Request) -> Response:
        body = await _parse(request, _JoinBody)
        return JSONResponse(self._core.join(body.token))

    async def _leave(self, request: Request) -> Response:
        body = await _parse(request, _LeaveBody)
        return JSONResponse(self._core.leave(body.room_id, body.uid))

    async def _media(self, request: Request) -> Response:
        body = await _parse(request, _MediaBody)
        status = self._core.set_media(
            body.room_id, body.uid, body.audio_enabled, body.video_enabled
        )
        return JSONResponse(status)

    async def _list_faults(self, _: Request) -> Response:
        return JSONResponse({"faults": self._core.faults.to_json()})

    async def _add_faults(self, request: Request) -> Response:
        data = _decode_json(await read_body(request))
        try:
            parsed = _SCRIPTS.validate_python(data)
        except ValidationError as exc:
            raise EmulatorError(400, _validation_message(exc)) from None
        scripts = parsed if isinstance(parsed, list) else [parsed]
        self._core.faults.add(scripts)
        count = sum(len(script.outcomes) for script in scripts)
        return JSONResponse(
            {"message": f"Queued {count} fault outcomes.", "queued": count}
        )

    async def _clear_faults(self, _: Request) -> Response:
        self._core.faults.clear()
        return JSONResponse({"message": "Cleared every queued fault."})

    async def _list_requests(self, _: Request) -> Response:
        entries = [entry.to_json() for entry in self._core.log.entries()]
        return JSONResponse({"requests": entries})

    async def _clear_requests(self, _: Request) -> Response:
        self._core.log.clear()
        return JSONResponse({"message": "Cleared the request log."})

    async def _reset(self, _: Request) -> Response:
        self._core.reset()
        return JSONResponse(
            {"message": "Reset rooms, grants, faults and the request log."}
        )


async def _parse(request: Request, model: type[ModelT]) -> ModelT:
    data = _decode_json(await read_body(request))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise EmulatorError(400, _validation_message(exc)) from None


def _decode_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise EmulatorError(400, "The request body is not valid JSON.") from None


def _validation_message(exc: ValidationError) -> str:
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors(include_input=False, include_url=False)[:5]
    )
    return f"The request body is invalid ({problems})."

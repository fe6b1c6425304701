"""The FastAPI router: token and room routes, each guarded by `authorize`."""

from __future__ import annotations

import functools
import http
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeAlias

from fastapi import APIRouter, HTTPException, Query, Request, params
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool

from ._errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    ChatGrantError,
    InvalidArgumentError,
    Red5Error,
)
from ._fastapi_client import GENERIC_500_DETAIL, Red5ClientDep
from ._fastapi_models import (
    ActionResponse,
    BlockUserRequest,
    ChatTokenRequest,
    ConferenceTokenRequest,
    ErrorResponse,
    RecordingResponse,
    Red5Action,
    TokenResponse,
    UnblockUserRequest,
    UserListResponse,
)
from ._tokens import Role
from ._validation import (
    MAX_MINUTES,
    check_minutes,
    check_permissions,
    check_room_id,
    check_user_id,
)

__all__ = ["Authorizer", "add_red5_error_handlers", "create_red5_router"]

logger = logging.getLogger("red5_bcs.fastapi")


Authorizer: TypeAlias = Callable[
    [Request, Red5Action, str, str | None], bool | Awaitable[bool]
]
"""`authorize(request, action, room_id, user_id)`, sync or async.

True allows the request. False, or any other result that is not True,
denies it with 403. It may also raise, for example `HTTPException(401)`.
"""


def _is_async_callable(function: object) -> bool:
    while isinstance(function, functools.partial):
        function = function.func
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(
        getattr(function, "__call__", None)  # noqa: B004 - an async __call__
    )


@dataclass(frozen=True, slots=True)
class _Policy:
    """The router's `authorize` function and its limit on token lifetimes."""

    authorize: Authorizer
    max_token_minutes: int

    async def require(
        self,
        request: Request,
        action: Red5Action,
        room_id: str,
        user_id: str | None = None,
    ) -> None:
        """Raise 403 unless `authorize` returns True for this request."""
        # A blocking authorize runs in the thread pool, as FastAPI runs
        # blocking dependencies, so that it cannot stall the event loop.
        arguments = (request, action, room_id, user_id)
        result: object
        if _is_async_callable(self.authorize):
            result = self.authorize(*arguments)
        else:
            result = await run_in_threadpool(self.authorize, *arguments)
        if inspect.isawaitable(result):
            result = await result

        if result is True:
            return
        if result is not False:
            logger.warning(
                "authorize returned a %s instead of a bool, so the request is denied.",
                type(result).__name__,
            )
        logger.info("Denied %s on room %r for user %r.", action.value, room_id, user_id)
        raise HTTPException(
            status_code=403, detail=f"Permission denied for {action.value}."
        )

    def check_minutes(self, name: str, minutes: int) -> int:
        """Reject a token lifetime above the router's limit with a 422."""
        if minutes > self.max_token_minutes:
            raise InvalidArgumentError(
                name,
                f"{name} must be at most {self.max_token_minutes}, not {minutes}.",
            )
        return minutes


def _error_response(exc: Red5Error) -> JSONResponse:
    """Translate an SDK error into a response that contains no secret."""
    status, body = _error_body(exc)
    return JSONResponse(status_code=status, content=body)


def _error_body(exc: Red5Error) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, InvalidArgumentError):
        return 422, {"detail": str(exc), "argument": exc.argument}
    if isinstance(exc, APITimeoutError):
        return 504, {"detail": "The request to Red5 Cloud or PubNub timed out."}
    if isinstance(exc, APIConnectionError):
        return 502, {"detail": "Red5 Cloud or PubNub could not be reached."}
    if isinstance(exc, APIStatusError):
        detail = f"Red5 Cloud answered {_status_text(exc.status_code)}."
        return 502, {"detail": detail, "upstream_status": exc.status_code}
    if isinstance(exc, APIResponseValidationError):
        return 502, {"detail": "Red5 Cloud sent a response that could not be read."}
    if isinstance(exc, ChatGrantError):
        body: dict[str, Any] = {"detail": "PubNub rejected the chat grant."}
        if exc.status_code is not None:
            body["upstream_status"] = exc.status_code
        return 502, body
    return 500, {"detail": GENERIC_500_DETAIL}


def _status_text(status_code: int) -> str:
    try:
        return f"{status_code} {http.HTTPStatus(status_code).phrase}"
    except ValueError:
        return str(status_code)


def _log_error(request: Request, exc: Red5Error, status: int) -> None:
    # SDK messages contain no token, secret or signature. An APIStatusError
    # also quotes the server's own `message`, which is logged for diagnosis
    # but never sent to the caller.
    where = f"{request.method} {request.url.path}"
    if isinstance(exc, InvalidArgumentError):
        logger.info("%s rejected: %s", where, exc)
    elif status == 500:
        logger.error("%s failed: %s", where, exc, exc_info=exc)
    else:
        logger.warning("%s failed with %s: %s", where, type(exc).__name__, exc)


def _respond_to_error(request: Request, exc: Red5Error) -> JSONResponse:
    response = _error_response(exc)
    _log_error(request, exc, response.status_code)
    return response


class _Red5Route(APIRoute):
    """A route that turns SDK errors into JSON error responses, never a traceback."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """Wrap FastAPI's handler so that each `Red5Error` becomes a response."""
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Red5Error as exc:
                return _respond_to_error(request, exc)

        return handle


def add_red5_error_handlers(app: Starlette) -> None:
    """Register a handler that turns SDK errors into the router's error responses.

    It covers every route of `app`. The router's own routes need no handler,
    so it is for routes written by hand, such as ones that use `Red5ClientDep`.
    """
    app.add_exception_handler(Red5Error, _handle_error)


def _handle_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, Red5Error):
        raise exc
    return _respond_to_error(request, exc)


_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorResponse, "description": "authorize denied the request."},
    422: {"model": ErrorResponse, "description": "An argument is invalid."},
    500: {"model": ErrorResponse, "description": "The server is misconfigured."},
    502: {"model": ErrorResponse, "description": "Red5 Cloud or PubNub failed."},
    504: {"model": ErrorResponse, "description": "Red5 Cloud or PubNub timed out."},
}


def create_red5_router(
    *,
    authorize: Authorizer,
    prefix: str = "/red5",
    tags: Sequence[str] = ("red5",),
    dependencies: Sequence[params.Depends] | None = None,
    max_token_minutes: int = MAX_MINUTES,
) -> APIRouter:
    """Create routes that mint tokens and run rooms, guarded by `authorize`.

    Routes, under `prefix`:

    | method and path | body or query | action |
    |---|---|---|
    | POST `/tokens/conference` | `ConferenceTokenRequest` | `conference_token` (1) |
    | POST `/tokens/chat` | `ChatTokenRequest` | `chat_token` |
    | POST `/rooms/{room_id}/recording/start` | | `start_recording` |
    | POST `/rooms/{room_id}/recording/stop` | | `stop_recording` |
    | GET `/rooms/{room_id}/users` | `limit` (100), `offset` (0) | `list_users` |
    | POST `/rooms/{room_id}/block` | `BlockUserRequest` | `block_user` |
    | POST `/rooms/{room_id}/unblock` | `UnblockUserRequest` | `unblock_user` |

    (1) `admin_conference_token` when the requested role is `admin`.

    Every route checks its ids with the SDK's rules (422 when invalid), then
    calls `authorize(request, action, room_id, user_id)` with the ids the
    SDK will use, and calls Red5 only when it returns True. Otherwise the
    response is 403. Errors become `ErrorResponse` bodies:
    `InvalidArgumentError` 422, `APIStatusError` and `ChatGrantError` 502
    with `upstream_status`, `APIConnectionError` 502, `APITimeoutError` 504,
    any other `Red5Error` 500. No body contains a stack trace, a secret or
    Red5's own error text. The application must install `red5_lifespan`.

    Args:
        authorize: Decides each request. A sync function runs in the thread
            pool. It may raise, for example `HTTPException(401)`, which
            FastAPI sends as it is. There is no default, so a router that
            allows every request must do so in its own `authorize`.
        prefix: The path prefix of the routes.
        tags: OpenAPI tags of the routes.
        dependencies: Extra dependencies run before every route.
        max_token_minutes: The maximum token lifetime a request may ask for,
            1 to 43,200 minutes. Longer requests get 422.

    Returns:
        An `APIRouter` to pass to `app.include_router`.

    Raises:
        TypeError: `authorize` is None or not callable.
        InvalidArgumentError: `max_token_minutes` is out of range.
    """
    if authorize is None or not callable(authorize):
        raise TypeError(
            "authorize must be a function (request, action, room_id, user_id) "
            "that returns True for allowed requests. There is no default."
        )
    policy = _Policy(authorize, check_minutes("max_token_minutes", max_token_minutes))
    router = APIRouter(
        prefix=prefix,
        tags=list(tags),
        dependencies=dependencies,
        route_class=_Red5Route,
        responses=_ERROR_RESPONSES,
    )
    _add_token_routes(router, policy)
    _add_recording_routes(router, policy)
    _add_moderation_routes(router, policy)
    return router


def _add_token_routes(router: APIRouter, policy: _Policy) -> None:
    @router.post("/tokens/conference", name="red5_conference_token")
    async def conference_token(
        request: Request, body: ConferenceTokenRequest, red5: Red5ClientDep
    ) -> TokenResponse:
        """Mint the token a user joins a room with."""
        room_id, user_id = check_room_id(body.room_id), check_user_id(body.user_id)
        minutes = policy.check_minutes("expiration_minutes", body.expiration_minutes)
        action = Red5Action.CONFERENCE_TOKEN
        if body.role is Role.ADMIN:
            action = Red5Action.ADMIN_CONFERENCE_TOKEN
        await policy.require(request, action, room_id, user_id)

        token = await red5.get_conference_token(user_id, room_id, body.role, minutes)
        return TokenResponse(token=token)

    @router.post("/tokens/chat", name="red5_chat_token")
    async def chat_token(
        request: Request, body: ChatTokenRequest, red5: Red5ClientDep
    ) -> TokenResponse:
        """Obtain a PubNub token for a chat channel and its presence channel."""
        channel_id = check_room_id(body.channel_id, "channel_id")
        user_id = check_user_id(body.user_id)
        check_permissions(body.read, body.write)
        minutes = policy.check_minutes("ttl_minutes", body.ttl_minutes)
        await policy.require(request, Red5Action.CHAT_TOKEN, channel_id, user_id)

        token = await red5.get_chat_token(
            user_id, channel_id, body.read, body.write, minutes
        )
        return TokenResponse(token=token)


def _add_recording_routes(router: APIRouter, policy: _Policy) -> None:
    @router.post("/rooms/{room_id}/recording/start", name="red5_start_recording")
    async def start_recording(
        request: Request, room_id: str, red5: Red5ClientDep
    ) -> RecordingResponse:
        """Start recording a room."""
        room_id = check_room_id(room_id)
        await policy.require(request, Red5Action.START_RECORDING, room_id)

        result = await red5.start_recording(room_id)
        return RecordingResponse.model_validate(result, from_attributes=True)

    @router.post("/rooms/{room_id}/recording/stop", name="red5_stop_recording")
    async def stop_recording(
        request: Request, room_id: str, red5: Red5ClientDep
    ) -> RecordingResponse:
        """Stop recording a room."""
        room_id = check_room_id(room_id)
        await policy.require(request, Red5Action.STOP_RECORDING, room_id)

        result = await red5.stop_recording(room_id)
        return RecordingResponse.model_validate(result, from_attributes=True)


def _add_moderation_routes(router: APIRouter, policy: _Policy) -> None:
    @router.get("/rooms/{room_id}/users", name="red5_list_users")
    async def list_users(
        request: Request,
        room_id: str,
        red5: Red5ClientDep,
        limit: Annotated[int, Query(ge=1)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> UserListResponse:
        """Return one page of a room's participants."""
        room_id = check_room_id(room_id)
        await policy.require(request, Red5Action.LIST_USERS, room_id)

        page = await red5.get_user_list(room_id, limit=limit, offset=offset)
        return UserListResponse.model_validate(page, from_attributes=True)

    @router.post("/rooms/{room_id}/block", name="red5_block_user")
    async def block_user(
        request: Request, room_id: str, body: BlockUserRequest, red5: Red5ClientDep
    ) -> ActionResponse:
        """Remove a user from a room and keep them out for `seconds`."""
        room_id, user_id = check_room_id(room_id), check_user_id(body.user_id)
        await policy.require(request, Red5Action.BLOCK_USER, room_id, user_id)

        result = await red5.block_user(room_id, user_id, body.seconds)
        return ActionResponse(message=result.message)

    @router.post("/rooms/{room_id}/unblock", name="red5_unblock_user")
    async def unblock_user(
        request: Request, room_id: str, body: UnblockUserRequest, red5: Red5ClientDep
    ) -> ActionResponse:
        """Let a blocked user join the room again."""
        room_id, user_id = check_room_id(room_id), check_user_id(body.user_id)
        await policy.require(request, Red5Action.UNBLOCK_USER, room_id, user_id)

        result = await red5.unblock_user(room_id, user_id)
        return ActionResponse(message=result.message)

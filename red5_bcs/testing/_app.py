"""The emulator's Starlette application: conference API, PubNub and control API.

Routing happens on the raw path (see `_routing`), so one catch-all route
takes every request and dispatches it on percent-decoded segments:

- `/as/v1/conference/...`: the conference API (see `_conference`).
- `/v3/pam/{subscribeKey}/grant`: PubNub Access Manager's grant call.
- `/emulator/v1/...`: the control API that tests use to join participants,
  script faults and read the request log.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ._auth import verify_admin_token
from ._conference import BASE_SEGMENTS, ROUTES, auth_scope
from ._control import ControlAPI, read_body
from ._core import EmulatorCore
from ._errors import EmulatorError
from ._grants import GrantError
from ._middleware import FaultMiddleware
from ._routing import match_route, parse_query, raw_path_of, split_path

__all__ = ["build_app"]

logger = logging.getLogger("red5_bcs.testing")

_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_PUBNUB_PREFIX = ["v3", "pam"]
_CONTROL_PREFIX = ["emulator", "v1"]


def build_app(core: EmulatorCore) -> Starlette:
    """Build the ASGI application that serves `core`."""
    dispatcher = _Dispatcher(core)
    middleware = [
        Middleware(FaultMiddleware, faults=core.faults, log=core.log, clock=core.clock)
    ]
    routes = [Route("/{path:path}", dispatcher.dispatch, methods=_METHODS)]
    return Starlette(routes=routes, middleware=middleware)


class _Dispatcher:
    def __init__(self, core: EmulatorCore) -> None:
        self._core = core
        self._control = ControlAPI(core)

    async def dispatch(self, request: Request) -> Response:
        try:
            segments = split_path(raw_path_of(request.scope))
            if tuple(segments[:3]) == BASE_SEGMENTS:
                return self._conference(request, segments[3:])
            if segments[:2] == _PUBNUB_PREFIX:
                return await self._pubnub(request, segments[2:])
            if segments[:2] == _CONTROL_PREFIX:
                return await self._control.handle(request, segments[2:])
            raise EmulatorError(
                404, f"No endpoint at {request.method} {request.url.path}."
            )
        except EmulatorError as exc:
            logger.debug(
                "Rejected %s %s with %d: %s",
                request.method, request.url.path, exc.status_code, exc.message,
            )  # fmt: skip
            return JSONResponse({"message": exc.message}, exc.status_code)

    def _conference(self, request: Request, segments: list[str]) -> Response:
        route, ids = match_route(ROUTES, request.method, segments, request.url.path)
        verify_admin_token(
            request.headers.getlist("authorization"),
            self._core.credentials,
            self._core.clock(),
            auth_scope(ids),
        )
        query = parse_query(request.scope.get("query_string", b""))
        return JSONResponse(route.handler(self._core.state, ids, query))

    async def _pubnub(self, request: Request, segments: list[str]) -> Response:
        if len(segments) != 2 or segments[1] != "grant":
            raise EmulatorError(
                404, f"No endpoint at {request.method} {request.url.path}."
            )
        if request.method != "POST":
            raise EmulatorError(405, "The grant call takes POST.")

        body = await read_body(request)
        raw_path = raw_path_of(request.scope).decode("ascii")
        try:
            query = parse_query(request.scope.get("query_string", b""))
            token = self._core.pubnub.grant(segments[0], raw_path, query, body)
        except EmulatorError as exc:
            return _pubnub_error(
                GrantError(400, "Invalid query", exc.message, None, "query")
            )
        except GrantError as exc:
            logger.debug("Rejected a grant with %d: %s", exc.status_code, exc.message)
            return _pubnub_error(exc)
        data = {"message": "Success", "token": token}
        return JSONResponse({"status": 200, "data": data, "service": "Access Manager"})


def _pubnub_error(error: GrantError) -> Response:
    return JSONResponse(error.envelope(), error.status_code)

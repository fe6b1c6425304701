"""FastAPI integration: one shared client per app, a dependency and a router.

Install it with `pip install "red5-bcs[fastapi]"`. Importing `red5_bcs` never
imports FastAPI; only this module does::

    from fastapi import FastAPI

    from red5_bcs.fastapi import Red5ClientDep, create_red5_router, red5_lifespan

    app = FastAPI(lifespan=red5_lifespan())  # reads the RED5_* variables
    app.include_router(create_red5_router(authorize=check_access))


    @app.get("/rooms/{room_id}/online")
    async def online(room_id: str, red5: Red5ClientDep) -> int:
        return (await red5.get_user_list(room_id)).user_count

The lifespan opens one `AsyncRed5Client` at startup, stores it as
`app.state.red5_client` and closes it at shutdown. `get_red5_client` (or the
`Red5ClientDep` alias) hands it to routes. `create_red5_router` adds routes
that mint tokens and run rooms for browsers, each guarded by an `authorize`
function that the application must supply.
"""

from __future__ import annotations

from ._fastapi_client import (
    STATE_ATTRIBUTE,
    Red5ClientDep,
    Red5ClientNotInstalledError,
    Red5ClientOptions,
    get_red5_client,
    open_red5_client,
    red5_lifespan,
)
from ._fastapi_models import (
    ActionResponse,
    BlockUserRequest,
    ChatTokenRequest,
    ConferenceTokenRequest,
    ErrorResponse,
    RecordingResponse,
    Red5Action,
    RoomUser,
    TokenResponse,
    UnblockUserRequest,
    UserListResponse,
)
from ._fastapi_router import Authorizer, add_red5_error_handlers, create_red5_router

__all__ = [
    "STATE_ATTRIBUTE",
    "ActionResponse",
    "Authorizer",
    "BlockUserRequest",
    "ChatTokenRequest",
    "ConferenceTokenRequest",
    "ErrorResponse",
    "RecordingResponse",
    "Red5Action",
    "Red5ClientDep",
    "Red5ClientNotInstalledError",
    "Red5ClientOptions",
    "RoomUser",
    "TokenResponse",
    "UnblockUserRequest",
    "UserListResponse",
    "add_red5_error_handlers",
    "create_red5_router",
    "get_red5_client",
    "open_red5_client",
    "red5_lifespan",
]

"""A FastAPI backend that hands Red5 Cloud tokens to its signed-in users.

Shows `red5_bcs.fastapi`: `red5_lifespan` opens one client for the app,
`create_red5_router` serves token and room routes under `/red5`, and the
hand-written route `/me/rooms/{room_id}` receives the client through the
`Red5ClientDep` dependency.

Callers sign in with `Authorization: Bearer <session>`. The sessions below
are fixed demo data; a real app would look them up in its session store.
The `authorize` policy lets users mint tokens only for themselves and only
in their own rooms, and keeps admin tokens, recording and blocking for
admins.

The client reads RED5_MASTER_KEY, RED5_MASTER_SECRET and, optionally,
RED5_BASE_URL and RED5_PUBNUB_BASE_URL from the environment. Run it from the
repository root:

    uvicorn examples.fastapi_app:app

    curl -X POST localhost:8000/red5/tokens/conference \\
        -H 'Authorization: Bearer alice-session' -H 'Content-Type: application/json' \\
        -d '{"user_id": "alice", "room_id": "standup"}'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Unpack

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel

from red5_bcs import NotFoundError
from red5_bcs.fastapi import (
    Red5Action,
    Red5ClientDep,
    Red5ClientOptions,
    add_red5_error_handlers,
    create_red5_router,
    red5_lifespan,
)


@dataclass(frozen=True)
class Account:
    """A signed-in user of this app and the rooms they belong to."""

    user_id: str
    rooms: frozenset[str]
    is_admin: bool = False


SESSIONS: dict[str, Account] = {
    "alice-session": Account("alice", frozenset({"standup", "design"}), True),
    "bob-session": Account("bob", frozenset({"standup"})),
    "carol-session": Account("carol", frozenset({"design"})),
}
"""Demo sessions by bearer token."""

ADMIN_ACTIONS = frozenset(
    {
        Red5Action.ADMIN_CONFERENCE_TOKEN,
        Red5Action.START_RECORDING,
        Red5Action.STOP_RECORDING,
        Red5Action.BLOCK_USER,
        Red5Action.UNBLOCK_USER,
    }
)
SELF_ACTIONS = frozenset({Red5Action.CONFERENCE_TOKEN, Red5Action.CHAT_TOKEN})


def current_account(request: Request) -> Account:
    """Return the caller's account from the bearer session.

    Raises:
        HTTPException: 401, the session is missing or unknown.
    """
    scheme, _, session = request.headers.get("authorization", "").partition(" ")
    account = SESSIONS.get(session) if scheme.lower() == "bearer" else None
    if account is None:
        raise HTTPException(
            status_code=401,
            detail="Sign in first: send Authorization: Bearer <session>.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return account


def authorize(
    request: Request, action: Red5Action, room_id: str, user_id: str | None
) -> bool:
    """Decide whether the caller may do `action` in `room_id`.

    Admins may do anything in their rooms. Other members may read the users
    of their rooms and mint tokens for themselves there.
    """
    account = current_account(request)
    if room_id not in account.rooms:
        return False
    if account.is_admin:
        return True
    if action in ADMIN_ACTIONS:
        return False
    if action in SELF_ACTIONS:
        return user_id == account.user_id
    return action is Red5Action.LIST_USERS


class Presence(BaseModel):
    """Whether the caller is in a room now."""

    user_id: str
    room_id: str
    joined: bool


def create_app(**client_options: Unpack[Red5ClientOptions]) -> FastAPI:
    """Build the app, passing `client_options` to `AsyncRed5Client`.

    Without options, the client reads the `RED5_*` environment variables
    when the app starts.
    """
    app = FastAPI(title="Red5 demo backend", lifespan=red5_lifespan(**client_options))
    # Tokens last at most a working day, whatever a caller asks for.
    app.include_router(create_red5_router(authorize=authorize, max_token_minutes=480))
    # Hand-written routes get the router's error responses too.
    add_red5_error_handlers(app)

    @app.get("/me/rooms/{room_id}")
    async def my_presence(
        room_id: str,
        account: Annotated[Account, Depends(current_account)],
        red5: Red5ClientDep,
    ) -> Presence:
        """Return whether the signed-in user is in one of their rooms now."""
        if room_id not in account.rooms:
            raise HTTPException(status_code=404, detail="You have no such room.")
        try:
            joined = (await red5.is_user_joined(room_id, account.user_id)).joined
        except NotFoundError:
            # Red5 lists a room only once someone has joined it.
            joined = False
        return Presence(user_id=account.user_id, room_id=room_id, joined=joined)

    return app


app = create_app()

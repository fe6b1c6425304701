"""Requests built by hand: admin tokens, conference tokens and signed grants."""

from __future__ import annotations

import json
from typing import Any

import httpx2

from red5_bcs._pubnub import (
    PNSDK,
    ChatGrant,
    encode_query_value,
    grant_body,
    sign_request,
)
from red5_bcs._tokens import HS256Minter
from red5_bcs.testing import Emulator

API = "/as/v1/conference"


def mint(claims: dict[str, Any], secret: str) -> str:
    """Sign claims as an HS256 JWT."""
    return HS256Minter().mint(claims, secret.encode("utf-8"))


def admin_token(
    emulator: Emulator,
    room_id: str = "admin",
    *,
    uid: str = "admin",
    role: str = "admin",
    lifetime: int = 3600,
    secret: str | None = None,
) -> str:
    """Mint an admin token with the emulator's conference secret."""
    now = int(emulator.clock())
    claims = {
        "uid": uid,
        "roomId": room_id,
        "role": role,
        "iat": now,
        "exp": now + lifetime,
    }
    if secret is None:
        secret = emulator.credentials.conference_secret.get_secret_value()
    return mint(claims, secret)


def bearer(emulator: Emulator, room_id: str = "admin") -> dict[str, str]:
    """Return the Authorization header of an admin token for `room_id`."""
    return {"Authorization": f"Bearer {admin_token(emulator, room_id)}"}


def conference_claims(
    emulator: Emulator,
    uid: str,
    room_id: str,
    pubnub_token: str,
    *,
    role: str = "publisher",
    lifetime: int = 3600,
) -> dict[str, Any]:
    """Return conference token claims as the SDK builds them."""
    now = int(emulator.clock())
    return {
        "uid": uid,
        "roomId": room_id,
        "role": role,
        "pubnubSubscribeKey": emulator.credentials.pubnub_subscribe_key,
        "pubnubPublishKey": emulator.credentials.pubnub_publish_key,
        "pubnubToken": pubnub_token,
        "iat": now,
        "exp": now + lifetime,
    }


def conference_token(emulator: Emulator, **claims: Any) -> str:
    """Mint a conference token with the emulator's secret from `claims`."""
    return mint(claims, emulator.credentials.conference_secret.get_secret_value())


def grant_path(emulator: Emulator, subscribe_key: str | None = None) -> str:
    """Return the grant call's path for the emulator's subscribe key."""
    key = subscribe_key or emulator.credentials.pubnub_subscribe_key
    return f"/v3/pam/{key}/grant"


def signed_grant(
    emulator: Emulator,
    body: bytes,
    *,
    path: str | None = None,
    timestamp: int | None = None,
    secret_key: str | None = None,
    params: dict[str, str] | None = None,
) -> str:
    """Return the URL (path and query) of a signed grant request for `body`."""
    path = path or grant_path(emulator)
    query = {
        "pnsdk": PNSDK,
        "timestamp": str(int(emulator.clock()) if timestamp is None else timestamp),
        "uuid": "test-backend",
        **(params or {}),
    }
    query["signature"] = sign_request(
        secret_key=secret_key
        or emulator.credentials.pubnub_secret_key.get_secret_value(),
        publish_key=emulator.credentials.pubnub_publish_key,
        method="POST",
        path=path,
        params=query,
        body=body,
    )
    encoded = "&".join(f"{k}={encode_query_value(v)}" for k, v in query.items())
    return f"{path}?{encoded}"


def room_grant_body(
    uid: str,
    room_id: str,
    *,
    read: bool = True,
    write: bool = True,
    ttl: int = 60,
) -> bytes:
    """Return the grant body the SDK sends for a room's two channels."""
    channels = (room_id, f"{room_id}-pnpres")
    return grant_body(ChatGrant(uid, channels, read, write, ttl))


def json_body(data: Any) -> bytes:
    """Encode a request body as JSON bytes."""
    return json.dumps(data).encode("utf-8")


async def grant_token(http: httpx2.AsyncClient, emulator: Emulator, body: bytes) -> str:
    """Obtain a PubNub token from the emulator for a grant body."""
    response = await http.post(signed_grant(emulator, body), content=body)
    assert response.status_code == 200, response.text
    return str(response.json()["data"]["token"])


async def join_token(
    http: httpx2.AsyncClient,
    emulator: Emulator,
    uid: str,
    room_id: str,
    *,
    role: str = "publisher",
) -> str:
    """Return a conference token built the way the SDK builds one."""
    pubnub_token = await grant_token(http, emulator, room_grant_body(uid, room_id))
    claims = conference_claims(emulator, uid, room_id, pubnub_token, role=role)
    return conference_token(emulator, **claims)


async def join(
    http: httpx2.AsyncClient,
    emulator: Emulator,
    uid: str,
    room_id: str,
    *,
    role: str = "publisher",
) -> None:
    """Put a participant online in a room."""
    emulator.join(await join_token(http, emulator, uid, room_id, role=role))

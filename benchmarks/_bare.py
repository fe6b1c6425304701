"""The SDK's steps written by hand, as the baselines the SDK is measured against.

Each function does what a careful application would write without the SDK:
a signed PubNub grant POST, an HS256 JWT built with `hmac`, `json` and
`base64`, and conference API requests with a bearer token made in advance.
None of them validates arguments or parses responses into models, which is
the SDK's overhead that the comparison shows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx2

PNSDK = "bench-bare/1.0"
GRANT_UUID = "bench-bare-server"


def _base64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


_HEADER_SEGMENT = _base64url(b'{"alg":"HS256","typ":"JWT"}')


def mint_hs256(claims: dict[str, Any], secret: bytes) -> str:
    """Return a compact HS256 JWS of `claims` (RFC 7515), with a fixed header."""
    payload = json.dumps(claims, separators=(",", ":"), ensure_ascii=False)
    signing_input = _HEADER_SEGMENT + b"." + _base64url(payload.encode("utf-8"))
    signature = hmac.new(secret, signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + _base64url(signature)).decode("ascii")


def admin_token(room_id: str, secret: bytes, lifetime_seconds: int = 3600) -> str:
    """Return an admin token for `room_id`, to send as a pre-made bearer token."""
    now = int(time.time())
    claims = {
        "uid": "admin",
        "roomId": room_id,
        "role": "admin",
        "iat": now,
        "exp": now + lifetime_seconds,
    }
    return mint_hs256(claims, secret)


@dataclass(frozen=True)
class Keys:
    """The service credentials the bare steps sign with."""

    conference_secret: bytes
    pubnub_secret_key: str
    pubnub_publish_key: str
    pubnub_subscribe_key: str


def _quote(value: str) -> str:
    # PubNub signs values with only A-Z a-z 0-9 - _ . left literal.
    return urllib.parse.quote(value, safe="").replace("~", "%7E")


def _grant_request(
    keys: Keys, user_id: str, room_id: str, minutes: int
) -> tuple[str, bytes]:
    """Return the signed path-and-query and the body of a PubNub grant."""
    # Read (1) and write (2) on the room's channel and its presence channel,
    # listed under `spaces` too, as PubNub's Python SDK sends them.
    channels = {room_id: 3, f"{room_id}-pnpres": 3}
    empty: dict[str, Any] = {}
    body = {
        "ttl": minutes,
        "permissions": {
            "resources": {
                "channels": channels,
                "groups": empty,
                "uuids": empty,
                "users": empty,
                "spaces": channels,
            },
            "patterns": {
                "channels": empty,
                "groups": empty,
                "uuids": empty,
                "users": empty,
                "spaces": empty,
            },
            "meta": empty,
            "uuid": user_id,
        },
    }
    content = json.dumps(body).encode("utf-8")

    path = f"/v3/pam/{keys.pubnub_subscribe_key}/grant"
    params = {"pnsdk": PNSDK, "timestamp": str(int(time.time())), "uuid": GRANT_UUID}
    query = "&".join(f"{name}={_quote(params[name])}" for name in sorted(params))
    to_sign = f"POST\n{keys.pubnub_publish_key}\n{path}\n{query}\n"
    digest = hmac.new(
        keys.pubnub_secret_key.encode("utf-8"),
        to_sign.encode("utf-8") + content,
        hashlib.sha256,
    ).digest()
    signature = "v2." + _base64url(digest).decode("ascii")
    return f"{path}?{query}&signature={_quote(signature)}", content


async def conference_token(
    http: httpx2.AsyncClient,
    pubnub_base_url: str,
    keys: Keys,
    user_id: str,
    room_id: str,
    minutes: int = 60,
) -> str:
    """Grant the room's chat channels on PubNub, then sign the conference JWT."""
    target, content = _grant_request(keys, user_id, room_id, minutes)
    response = await http.post(
        pubnub_base_url + target,
        content=content,
        headers={"Content-Type": "application/json"},
    )
    if response.status_code != 200:
        raise RuntimeError(f"The bare grant failed with {response.status_code}.")
    pubnub_token = response.json()["data"]["token"]

    issued = int(time.time())
    claims = {
        "uid": user_id,
        "roomId": room_id,
        "role": "publisher",
        "pubnubSubscribeKey": keys.pubnub_subscribe_key,
        "pubnubPublishKey": keys.pubnub_publish_key,
        "pubnubToken": pubnub_token,
        "iat": issued,
        "exp": issued + minutes * 60,
    }
    return mint_hs256(claims, keys.conference_secret)


async def call_json(
    http: httpx2.AsyncClient,
    method: str,
    url: str,
    bearer_token: str,
    params: dict[str, int] | None = None,
) -> Any:
    """Send one conference API request with a bearer token and decode its JSON."""
    response = await http.request(
        method,
        url,
        params=params,
        headers={"Authorization": f"Bearer {bearer_token}"},
    )
    if response.status_code != 200:
        raise RuntimeError(f"The bare {method} failed with {response.status_code}.")
    return response.json()

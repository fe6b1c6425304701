"""The emulated Access Manager grant call: checks, envelopes and token format."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx2
import pytest
from pubnub.pnconfiguration import PNConfiguration
from pubnub.pubnub import PubNub

from red5_bcs import _cbor
from red5_bcs.testing import Emulator, ManualClock

from .helpers import grant_path, json_body, room_grant_body, signed_grant

pytestmark = pytest.mark.anyio

INVALID_TTL = {
    "status": 400,
    "error": {
        "message": "Invalid ttl",
        "source": "grant",
        "details": [
            {
                "message": "Range should be 1 to 43200 minute(s).",
                "location": "ttl",
                "locationType": "body",
            }
        ],
    },
    "service": "Access Manager",
}


def grant_data(
    channels: dict[str, int] | None = None, *, ttl: Any = 60, uuid: str = "alice"
) -> dict[str, Any]:
    """Return a grant body in the shape PubNub's SDK sends."""
    empty: dict[str, Any] = {}
    channels = {"room-1": 3, "room-1-pnpres": 3} if channels is None else channels
    return {
        "ttl": ttl,
        "permissions": {
            "resources": {
                "channels": channels,
                "groups": empty,
                "uuids": empty,
                "users": empty,
                "spaces": channels,
            },
            "patterns": {
                kind: empty
                for kind in ("channels", "groups", "uuids", "users", "spaces")
            },
            "meta": empty,
            "uuid": uuid,
        },
    }


async def post_grant(
    http: httpx2.AsyncClient, emulator: Emulator, body: bytes, **options: Any
) -> httpx2.Response:
    """Send a signed grant request for `body`."""
    url = signed_grant(emulator, body, **options)
    return await http.post(
        url, content=body, headers={"Content-Type": "application/json"}
    )


def pubnub_parser() -> PubNub:
    """Return an offline PubNub SDK instance, used only to parse tokens."""
    config = PNConfiguration()
    config.subscribe_key = "sub-c-parse-only"
    config.user_id = "parser"
    # The default (True) warns that mutable configs are deprecated.
    config.disable_config_locking = False
    return PubNub(config)


async def test_grant_returns_success_envelope(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    response = await post_grant(http, emulator, room_grant_body("alice", "room-1"))

    assert response.status_code == 200
    envelope = response.json()
    assert envelope["status"] == 200
    assert envelope["service"] == "Access Manager"
    assert envelope["data"]["message"] == "Success"
    assert isinstance(envelope["data"]["token"], str)


async def test_official_sdk_parses_granted_token(
    http: httpx2.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    body = room_grant_body("alice", "room-1", read=True, write=False, ttl=15)
    response = await post_grant(http, emulator, body)

    parsed = pubnub_parser().parse_token(response.json()["data"]["token"])

    assert parsed["version"] == 2
    assert parsed["timestamp"] == int(clock.now())
    assert parsed["ttl"] == 15
    assert parsed["authorized_uuid"] == "alice"
    assert set(parsed["resources"]["channels"]) == {"room-1", "room-1-pnpres"}
    assert parsed["resources"]["channels"]["room-1"]["read"] is True
    assert parsed["resources"]["channels"]["room-1"]["write"] is False
    assert parsed["meta"] == {}


async def test_token_is_padded_base64url_cbor_signed_by_secret(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    response = await post_grant(http, emulator, room_grant_body("alice", "room-1"))
    token = response.json()["data"]["token"]

    assert len(token) % 4 == 0
    assert not set(token) & set("+/")
    decoded = _cbor.loads(base64.urlsafe_b64decode(token))
    assert list(decoded) == [
        b"v",
        b"t",
        b"ttl",
        b"res",
        b"pat",
        b"meta",
        b"uuid",
        b"sig",
    ]
    assert list(decoded[b"res"]) == [b"chan", b"grp", b"usr", b"spc", b"uuid"]
    assert decoded[b"res"][b"chan"] == {"room-1": 3, "room-1-pnpres": 3}
    assert decoded[b"res"][b"spc"] == {}

    signature = decoded.pop(b"sig")
    secret = emulator.credentials.pubnub_secret_key.get_secret_value().encode()
    expected = hmac.new(secret, _cbor.dumps(decoded), hashlib.sha256).digest()
    assert signature == expected


async def test_grant_rejects_wrong_secret_key(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    body = room_grant_body("alice", "room-1")
    response = await post_grant(http, emulator, body, secret_key="sec-c-wrong")

    assert response.status_code == 403
    envelope = response.json()
    assert envelope["status"] == 403
    assert envelope["service"] == "Access Manager"
    assert envelope["error"]["details"][0]["location"] == "signature"


async def test_grant_rejects_body_other_than_signed(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    signed = room_grant_body("alice", "room-1")
    url = signed_grant(emulator, signed)
    sent = signed.replace(b'"ttl": 60', b'"ttl": 61')

    response = await http.post(url, content=sent)

    assert response.status_code == 403


async def test_signature_covers_query_in_canonical_order(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    body = room_grant_body("alice", "room-1")
    url = signed_grant(emulator, body, params={"extra": "a b~c+d"})

    response = await http.post(url, content=body)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("offset", "status"), [(-61, 403), (-60, 200), (60, 200), (61, 403)]
)
async def test_grant_timestamp_window_is_sixty_seconds(
    http: httpx2.AsyncClient, emulator: Emulator, offset: int, status: int
) -> None:
    body = room_grant_body("alice", "room-1")
    timestamp = int(emulator.clock()) + offset

    response = await post_grant(http, emulator, body, timestamp=timestamp)

    assert response.status_code == status


async def test_stale_timestamp_names_timestamp(
    http: httpx2.AsyncClient, emulator: Emulator, clock: ManualClock
) -> None:
    body = room_grant_body("alice", "room-1")
    url = signed_grant(emulator, body)
    clock.advance(120)

    response = await http.post(url, content=body)

    assert response.status_code == 403
    assert response.json()["error"]["details"][0]["location"] == "timestamp"


@pytest.mark.parametrize("ttl", [0, 43_201, -5, "60", True, 1.5, None])
async def test_bad_ttl_returns_invalid_ttl(
    http: httpx2.AsyncClient, emulator: Emulator, ttl: object
) -> None:
    response = await post_grant(http, emulator, json_body(grant_data(ttl=ttl)))

    assert response.status_code == 400
    assert response.json() == INVALID_TTL


@pytest.mark.parametrize("ttl", [1, 43_200])
async def test_ttl_bounds_are_accepted(
    http: httpx2.AsyncClient, emulator: Emulator, ttl: int
) -> None:
    response = await post_grant(http, emulator, json_body(grant_data(ttl=ttl)))

    assert response.status_code == 200


@pytest.mark.parametrize(
    "channel", ["a b", "a,b", "a:b", "a*b", "a/b", "a\\b", "a\x01b", "c" * 93]
)
async def test_bad_channel_name_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator, channel: str
) -> None:
    body = json_body(grant_data({channel: 3}))

    response = await post_grant(http, emulator, body)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid channel name"


async def test_channel_of_92_characters_is_accepted(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    response = await post_grant(http, emulator, json_body(grant_data({"c" * 92: 1})))

    assert response.status_code == 200


async def test_unknown_subscribe_key_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    body = room_grant_body("alice", "room-1")
    path = grant_path(emulator, "sub-c-unknown")

    response = await post_grant(http, emulator, body, path=path)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid Subscribe Key"
    assert response.json()["service"] == "Access Manager"


@pytest.mark.parametrize(
    ("missing", "status"), [("signature", 403), ("timestamp", 403), ("uuid", 400)]
)
async def test_required_query_parameters(
    http: httpx2.AsyncClient, emulator: Emulator, missing: str, status: int
) -> None:
    body = room_grant_body("alice", "room-1")
    url = httpx2.URL(signed_grant(emulator, body))
    params = {k: v for k, v in url.params.items() if k != missing}

    response = await http.post(url.copy_with(params=params), content=body)

    assert response.status_code == status
    assert response.json()["error"]["details"][0]["location"] == missing


async def test_repeated_query_parameter_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    body = room_grant_body("alice", "room-1")
    url = signed_grant(emulator, body) + "&uuid=again"

    response = await http.post(url, content=body)

    assert response.status_code == 400
    assert response.json()["service"] == "Access Manager"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "Invalid JSON"),
        (b"NaN", "Invalid JSON"),
        (b"[]", "Invalid request body"),
        (json_body({**grant_data(), "extra": 1}), "Invalid request body"),
        (json_body(grant_data({})), "Invalid permissions"),
        (json_body(grant_data({"room-1": 4})), "Invalid permissions"),
        (json_body(grant_data({"room-1": 0})), "Invalid permissions"),
        (json_body(grant_data({"room-1": 256})), "Invalid permissions"),
        (json_body(grant_data({"room-1": True})), "Invalid permissions"),
    ],
)
async def test_invalid_body_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator, body: bytes, message: str
) -> None:
    response = await post_grant(http, emulator, body)

    assert response.status_code == 400
    assert response.json()["error"]["message"] == message


async def test_nested_meta_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    data = grant_data()
    data["permissions"]["meta"] = {"nested": {"a": 1}}

    response = await post_grant(http, emulator, json_body(data))

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["location"] == "permissions.meta"


async def test_scalar_meta_is_embedded_in_token(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    data = grant_data()
    data["permissions"]["meta"] = {"team": "blue", "level": 3, "admin": False}

    response = await post_grant(http, emulator, json_body(data))

    parsed = pubnub_parser().parse_token(response.json()["data"]["token"])
    assert parsed["meta"] == {"team": "blue", "level": 3, "admin": False}


async def test_unknown_permission_key_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    data = grant_data()
    data["permissions"]["categories"] = {"chan": 32}

    response = await post_grant(http, emulator, json_body(data))

    assert response.status_code == 400
    assert "permissions.categories" in json.dumps(response.json())


async def test_spaces_conflicting_with_channels_is_rejected(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    data = grant_data({"room-1": 3})
    data["permissions"]["resources"]["spaces"] = {"room-1": 1}

    response = await post_grant(http, emulator, json_body(data))

    assert response.status_code == 400


async def test_spaces_alone_grant_channels(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    data = grant_data({})
    data["permissions"]["resources"]["spaces"] = {"room-1": 3}

    response = await post_grant(http, emulator, json_body(data))

    parsed = pubnub_parser().parse_token(response.json()["data"]["token"])
    assert set(parsed["resources"]["channels"]) == {"room-1"}


async def test_grant_takes_only_post(
    http: httpx2.AsyncClient, emulator: Emulator
) -> None:
    response = await http.get(grant_path(emulator))

    assert response.status_code == 405

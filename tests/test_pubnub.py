"""PubNub grants: wire form, signature, envelopes and tokens, against PubNub's SDK."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import cbor2
import httpx2
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pubnub import utils as pubnub_utils
from pubnub.enums import HttpMethod
from pubnub.models.consumer.v3.channel import Channel
from pubnub.pnconfiguration import PNConfiguration
from pubnub.pubnub import PubNub
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from red5_bcs import (
    APIConnectionError,
    ChatGrant,
    ChatGranter,
    ChatGrantError,
    InvalidArgumentError,
    InvalidTokenError,
    PubNubGranter,
    parse_chat_token,
)
from red5_bcs._pubnub import (
    PNSDK,
    canonical_query,
    encode_query_value,
    grant_body,
    sign_request,
)
from tests.conftest import load_vectors
from tests.servers import serve

VECTORS = load_vectors("pubnub.json")
SUBSCRIBE_KEY = "sub-c-test"
PUBLISH_KEY = "pub-c-test"
SECRET_KEY = "sec-c-test"

ids = st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40
)


def test_signature_vector() -> None:
    case = VECTORS["signature"]

    signature = sign_request(
        secret_key=case["secretKey"],
        publish_key=case["publishKey"],
        method=case["method"],
        path=case["path"],
        params=case["query"],
        body=case["body"].encode(),
    )

    assert signature == case["expect"]


@pytest.mark.parametrize("case", VECTORS["encoding"], ids=lambda case: case["encoded"])
def test_query_encoding_vectors(case: dict[str, str]) -> None:
    assert encode_query_value(case["value"]) == case["encoded"]


def test_canonical_query_sorts_and_skips_signature() -> None:
    params = {"uuid": "b c", "pnsdk": "x/1", "timestamp": "1", "signature": "v2.x"}

    assert canonical_query(params) == "pnsdk=x%2F1&timestamp=1&uuid=b%20c"


@given(ids)
def test_query_encoding_matches_official_sdk(value: str) -> None:
    assert encode_query_value(value) == pubnub_utils.pam_encode(value)


def _official(
    user_id: str, channels: list[str], read: bool, write: bool, ttl: int, uuid: str
) -> tuple[str, str, dict[str, str]]:
    config = PNConfiguration()
    config.subscribe_key = SUBSCRIBE_KEY
    config.publish_key = PUBLISH_KEY
    config.secret_key = SECRET_KEY
    config.user_id = uuid
    config.disable_config_locking = False
    pubnub = PubNub(config)
    resources = []
    for name in channels:
        channel = Channel.id(name)
        channel = channel.read() if read else channel
        channel = channel.write() if write else channel
        resources.append(channel)
    endpoint = (
        pubnub.grant_token().channels(resources).authorized_uuid(user_id).ttl(ttl)
    )
    params = {"pnsdk": PNSDK, "uuid": uuid}
    with mock.patch.object(pubnub, "timestamp", return_value=1_700_000_000):
        pubnub_utils.sign_request(
            endpoint, pubnub, params, HttpMethod.POST, endpoint.build_data()
        )
    pubnub.stop()
    return endpoint.build_path(), endpoint.build_data(), params


@given(
    user_id=ids,
    channel=ids,
    # PubNub's SDK rejects a blank uuid, as PubNubGranter does.
    uuid=ids.filter(str.strip),
    read=st.booleans(),
    write=st.booleans(),
    ttl=st.integers(min_value=1, max_value=43_200),
)
def test_body_and_signature_match_official_sdk(
    user_id: str, channel: str, uuid: str, read: bool, write: bool, ttl: int
) -> None:
    if not (read or write):
        write = True
    channels = [channel, f"{channel}-pnpres"]
    path, official_body, official_params = _official(
        user_id, channels, read, write, ttl, uuid
    )
    grant = ChatGrant(user_id, tuple(channels), read, write, ttl)

    body = grant_body(grant)
    params = {"pnsdk": PNSDK, "uuid": uuid, "timestamp": "1700000000"}
    signature = sign_request(
        secret_key=SECRET_KEY,
        publish_key=PUBLISH_KEY,
        method="POST",
        path=path,
        params=params,
        body=body,
    )

    assert body.decode() == official_body
    assert signature == official_params["signature"]


def _token(claims: dict[bytes, Any], secret: str = SECRET_KEY) -> str:
    unsigned = cbor2.dumps(claims)
    signature = hmac.new(secret.encode(), unsigned, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(cbor2.dumps({**claims, b"sig": signature})).decode()


def _grant_claims(uuid: str, channels: dict[str, int], ttl: int) -> dict[bytes, Any]:
    empty: dict[bytes, Any] = {
        b"chan": {},
        b"grp": {},
        b"spc": {},
        b"usr": {},
        b"uuid": {},
    }
    resources = {
        **empty,
        b"chan": {name.encode(): bits for name, bits in channels.items()},
    }
    return {
        b"v": 2,
        b"t": int(time.time()),
        b"ttl": ttl,
        b"res": resources,
        b"pat": empty,
        b"meta": {},
        b"uuid": uuid.encode(),
    }


class GrantServer:
    """A PubNub grant endpoint that checks signatures with PubNub's own SDK."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.reply: tuple[int, dict[str, Any]] | None = None

    async def grant(self, request: Request) -> JSONResponse:
        body = await request.body()
        params = dict(request.query_params)
        self.received.append({"path": request.url.path, "params": params, "body": body})
        if self.reply is not None:
            return JSONResponse(self.reply[1], status_code=self.reply[0])

        unsigned = {key: value for key, value in params.items() if key != "signature"}
        signed_input = "\n".join(
            (
                "POST",
                PUBLISH_KEY,
                request.url.path,
                pubnub_utils.prepare_pam_arguments(unsigned),
                body.decode(),
            )
        )
        expected = "v2." + pubnub_utils.sign_sha256(SECRET_KEY, signed_input).rstrip(
            "="
        )
        if params.get("signature") != expected:
            error = {"message": "Signature mismatch", "source": "grant"}
            envelope = {"status": 403, "error": error, "service": "Access Manager"}
            return JSONResponse(envelope, status_code=403)

        permissions = json.loads(body)["permissions"]
        token = _token(
            _grant_claims(
                permissions["uuid"],
                permissions["resources"]["channels"],
                json.loads(body)["ttl"],
            )
        )
        data = {"message": "Success", "token": token}
        envelope = {"status": 200, "data": data, "service": "Access Manager"}
        return JSONResponse(envelope)


@pytest.fixture(scope="module")
def grant_server() -> Iterator[tuple[GrantServer, str]]:
    server = GrantServer()
    app = Starlette(
        routes=[Route("/v3/pam/{key}/grant", server.grant, methods=["POST"])]
    )
    with serve(app) as base_url:
        yield server, base_url


def _granter(http: httpx2.AsyncClient, base_url: str, **kwargs: Any) -> PubNubGranter:
    return PubNubGranter(
        http,
        subscribe_key=SUBSCRIBE_KEY,
        publish_key=PUBLISH_KEY,
        secret_key=SecretStr(SECRET_KEY),
        base_url=base_url,
        **kwargs,
    )


@pytest.mark.anyio
async def test_loopback_grant_server_accepts_signature(
    grant_server: tuple[GrantServer, str],
) -> None:
    server, base_url = grant_server
    server.reply = None
    grant = ChatGrant("alice smith+1", ("room~1", "room~1-pnpres"), True, False, 15)

    async with httpx2.AsyncClient() as http:
        token = await _granter(http, base_url, uuid="backend one").grant(grant)

    parsed = parse_chat_token(token)
    assert parsed.authorized_uuid == "alice smith+1"
    assert parsed.ttl_minutes == 15
    assert parsed.channels["room~1"].read
    assert not parsed.channels["room~1"].write
    assert set(parsed.channels) == {"room~1", "room~1-pnpres"}
    assert server.received[-1]["params"]["uuid"] == "backend one"
    assert server.received[-1]["params"]["pnsdk"] == PNSDK


@pytest.mark.anyio
async def test_grant_rejection_raises_chat_grant_error(
    grant_server: tuple[GrantServer, str],
) -> None:
    server, base_url = grant_server
    details = [{"message": "Range should be 1 to 43200 minute(s).", "location": "ttl"}]
    error = {"message": "Invalid ttl", "source": "grant", "details": details}
    server.reply = (400, {"status": 400, "error": error, "service": "Access Manager"})
    grant = ChatGrant("alice", ("room", "room-pnpres"), True, True, 15)

    async with httpx2.AsyncClient() as http:
        with pytest.raises(ChatGrantError) as caught:
            await _granter(http, base_url).grant(grant)

    assert caught.value.status_code == 400
    assert (
        caught.value.pubnub_message
        == "Invalid ttl: Range should be 1 to 43200 minute(s)."
    )
    assert "Invalid ttl" in str(caught.value)


@pytest.mark.parametrize("uuid", ["", "   ", "x" * 93])
def test_granter_rejects_blank_or_long_uuid(uuid: str) -> None:
    http = httpx2.AsyncClient()

    with pytest.raises(InvalidArgumentError, match="uuid"):
        _granter(http, "https://pubnub.invalid", uuid=uuid)


@pytest.mark.parametrize("uuid", [".", "..", "a/b"])
def test_granter_accepts_dots_in_uuid(uuid: str) -> None:
    http = httpx2.AsyncClient()

    assert repr(_granter(http, "https://pubnub.invalid", uuid=uuid))


@pytest.mark.anyio
async def test_wrong_secret_is_rejected_with_403(
    grant_server: tuple[GrantServer, str],
) -> None:
    server, base_url = grant_server
    server.reply = None
    grant = ChatGrant("alice", ("room", "room-pnpres"), True, True, 15)

    async with httpx2.AsyncClient() as http:
        granter = PubNubGranter(
            http,
            subscribe_key=SUBSCRIBE_KEY,
            publish_key=PUBLISH_KEY,
            secret_key=SecretStr("sec-c-wrong"),
            base_url=base_url,
        )
        with pytest.raises(ChatGrantError) as caught:
            await granter.grant(grant)

    assert caught.value.status_code == 403
    assert "sec-c-wrong" not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, b"not json"),
        (200, b'{"status": 200, "data": {}}'),
        (200, b"[]"),
        (502, b"<html>bad gateway</html>"),
        (403, b'{"status": 403, "error": "plain"}'),
    ],
)
@pytest.mark.anyio
async def test_unreadable_envelopes_raise_chat_grant_error(
    status: int, body: bytes
) -> None:
    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(status, content=body)

    grant = ChatGrant("alice", ("room", "room-pnpres"), True, True, 15)
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        with pytest.raises(ChatGrantError) as caught:
            await _granter(http, "http://pubnub.invalid").grant(grant)

    assert caught.value.status_code == status


@pytest.mark.anyio
async def test_unreachable_pubnub_raises_connection_error() -> None:
    with serve(Starlette()) as base_url:
        pass  # The server is stopped, so its port now refuses connections.
    grant = ChatGrant("alice", ("room", "room-pnpres"), True, True, 15)

    async with httpx2.AsyncClient() as http:
        with pytest.raises(APIConnectionError):
            await _granter(http, base_url, max_retries=0).grant(grant)


def test_pubnub_granter_satisfies_protocol() -> None:
    assert isinstance(_granter(httpx2.AsyncClient(), "http://x.invalid"), ChatGranter)


def test_parse_chat_token_matches_official_parse() -> None:
    token = _token(_grant_claims("alice", {"room": 3, "room-pnpres": 1}, 60))
    config = PNConfiguration()
    config.user_id = "oracle"
    config.disable_config_locking = False
    official = PubNub(config).parse_token(token)

    parsed = parse_chat_token(token)

    assert parsed.version == official["version"]
    assert parsed.timestamp == official["timestamp"]
    assert parsed.ttl_minutes == official["ttl"]
    assert parsed.authorized_uuid == official["authorized_uuid"]
    for name, permissions in official["resources"]["channels"].items():
        assert parsed.channels[name].read == permissions["read"]
        assert parsed.channels[name].write == permissions["write"]
        assert parsed.channels[name].manage == permissions["manage"]


@pytest.mark.parametrize(
    "token", ["", "!!!", "AAAA", base64.b64encode(b"\xa0").decode()]
)
def test_parse_chat_token_rejects_garbage(token: str) -> None:
    with pytest.raises(InvalidTokenError):
        parse_chat_token(token)


@given(st.binary(max_size=200))
def test_parse_chat_token_raises_only_invalid_token_error(data: bytes) -> None:
    with contextlib.suppress(InvalidTokenError):
        parse_chat_token(base64.urlsafe_b64encode(data).decode())


@pytest.mark.anyio
async def test_base_url_path_is_part_of_signed_path() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        data = {"message": "Success", "token": "tok"}
        return httpx2.Response(200, json={"status": 200, "data": data})

    grant = ChatGrant("alice", ("room", "room-pnpres"), True, True, 15)
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(handler)) as http:
        await _granter(http, "http://proxy.invalid/pubnub/", uuid="u").grant(grant)

    request = seen[0]
    path = request.url.raw_path.decode().split("?")[0]
    params = dict(request.url.params)
    expected = sign_request(
        secret_key=SECRET_KEY,
        publish_key=PUBLISH_KEY,
        method="POST",
        path=path,
        params=params,
        body=request.content,
    )
    assert path == "/pubnub/v3/pam/sub-c-test/grant"
    assert params["signature"] == expected

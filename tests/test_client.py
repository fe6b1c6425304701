"""AsyncRed5Client and Red5Client behaviour against a scripted mock transport.

These tests pin what the client sends and how it reads responses; the tests in
tests/client run the same clients against the emulator.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import platform
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Literal
from urllib.parse import parse_qs

import anyio
import httpx2
import pytest
from pydantic import SecretStr

from red5_bcs import (
    USER_AGENT,
    APIResponseValidationError,
    AsyncRed5Client,
    AuthenticationError,
    BadRequestError,
    ChatGrant,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Red5Client,
    Red5Credentials,
    Red5Error,
    Role,
    RoomState,
    __version__,
)
from red5_bcs._tokens import AdminClaims, verify_token

SECRET = "conference-secret-for-unit-tests-0123456789"
CREDENTIALS = Red5Credentials(
    conference_secret=SecretStr(SECRET),
    pubnub_secret_key=SecretStr("sec-c-unit"),
    pubnub_publish_key="pub-c-unit",
    pubnub_subscribe_key="sub-c-unit",
    stream_manager_host="sm.example.test",
)
USER = {
    "uid": "alice",
    "online": True,
    "role": "publisher",
    "audioEnabled": True,
    "videoEnabled": False,
    "joinTime": 1_700_000_000,
}


class FakeGranter:
    """Records grants and returns a recognizable token."""

    def __init__(self) -> None:
        self.grants: list[ChatGrant] = []

    async def grant(self, grant: ChatGrant) -> str:
        self.grants.append(grant)
        return f"pubnub-token-{len(self.grants)}"


class Server:
    """A mock conference API: a function of the request, recording each one."""

    def __init__(self, respond: Callable[[httpx2.Request], httpx2.Response]) -> None:
        self.respond = respond
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        return self.respond(request)

    @property
    def paths(self) -> list[str]:
        return [
            request.url.raw_path.decode().split("?")[0] for request in self.requests
        ]


def _json(body: Any, status: int = 200) -> Callable[[httpx2.Request], httpx2.Response]:
    return lambda request: httpx2.Response(status, json=body)


@pytest.fixture
def granter() -> FakeGranter:
    return FakeGranter()


def _client(server: Server, granter: FakeGranter, **kwargs: Any) -> AsyncRed5Client:
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(server))
    return AsyncRed5Client(
        credentials=CREDENTIALS,
        http_client=http,
        chat_granter=granter,
        max_retries=0,
        **kwargs,
    )


@pytest.fixture
async def make(granter: FakeGranter) -> AsyncIterator[Callable[..., AsyncRed5Client]]:
    made: list[AsyncRed5Client] = []

    def factory(server: Server, **kwargs: Any) -> AsyncRed5Client:
        client = _client(server, granter, **kwargs)
        made.append(client)
        return client

    yield factory
    for client in made:
        await client.aclose()
        await client._core.user_http.aclose()  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_conference_token_embeds_granted_pubnub_token(
    make: Callable[..., AsyncRed5Client], granter: FakeGranter
) -> None:
    client = make(Server(_json({})))

    token = await client.get_conference_token(" alice ", " standup ", "subscriber", 15)

    claims = client.verify_conference_token(token)
    assert claims.uid == "alice"
    assert claims.room_id == "standup"
    assert claims.role is Role.SUBSCRIBER
    assert claims.pubnub_token == "pubnub-token-1"
    assert claims.pubnub_publish_key == "pub-c-unit"
    assert claims.pubnub_subscribe_key == "sub-c-unit"
    assert claims.exp - claims.iat == 15 * 60
    assert granter.grants == [
        ChatGrant("alice", ("standup", "standup-pnpres"), True, True, 15)
    ]


@pytest.mark.anyio
async def test_conference_token_defaults_to_publisher_for_an_hour(
    make: Callable[..., AsyncRed5Client],
) -> None:
    client = make(Server(_json({})))

    claims = client.decode_conference_token(await client.get_conference_token("a", "r"))

    assert claims.role is Role.PUBLISHER
    assert claims.exp - claims.iat == 3600


@pytest.mark.anyio
async def test_chat_token_grants_channel_and_presence(
    make: Callable[..., AsyncRed5Client], granter: FakeGranter
) -> None:
    client = make(Server(_json({})))

    token = await client.get_chat_token(
        "bob", "lobby", read=True, write=False, ttl_minutes=5
    )

    assert token == "pubnub-token-1"
    assert granter.grants == [
        ChatGrant("bob", ("lobby", "lobby-pnpres"), True, False, 5)
    ]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda c: c.get_conference_token("", "room"), "user_id"),
        (lambda c: c.get_conference_token("u", "a/b"), "room_id"),
        (lambda c: c.get_conference_token("u", "r", "owner"), "role"),
        (
            lambda c: c.get_conference_token("u", "r", expiration_minutes=0),
            "expiration_minutes",
        ),
        (
            lambda c: c.get_conference_token("u", "r", expiration_minutes=True),
            "expiration_minutes",
        ),
        (lambda c: c.get_chat_token("u", "c", False, False), "read"),
        (lambda c: c.get_chat_token("u", "c", "yes", True), "read"),
        (lambda c: c.get_chat_token("u", "c", True, True, 43_201), "ttl_minutes"),
        (lambda c: c.get_user_status("r", None), "user_id"),
        (lambda c: c.get_user_list("r", limit=0), "limit"),
        (lambda c: c.get_user_list("r", offset=-1), "offset"),
        (lambda c: c.get_room_list("open"), "state"),
        (lambda c: c.get_room_list(limit=2.0), "limit"),
        (lambda c: c.block_user("r", "u", 0), "block_duration_seconds"),
        (lambda c: c.block_user("r", "u", False), "block_duration_seconds"),
        (lambda c: c.add_external_stream("r", "\x00"), "stream_id"),
        (lambda c: c.get_transcriptions("r", start_time=-5), "start_time"),
        (lambda c: c.get_transcriptions("r", 10, 5), "end_time"),
        (lambda c: c.unblock_user("..", "u"), "room_id"),
        (lambda c: c.start_transcription("r", "."), "user_id"),
    ],
)
async def test_invalid_arguments_send_nothing(
    make: Callable[..., AsyncRed5Client],
    granter: FakeGranter,
    call: Callable[[AsyncRed5Client], Any],
    argument: str,
) -> None:
    server = Server(_json({}))
    client = make(server)

    with pytest.raises(InvalidArgumentError) as caught:
        await call(client)

    assert caught.value.argument == argument
    assert server.requests == []
    assert granter.grants == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("room", "user", "expected"),
    [
        ("r1", "a/b", "/as/v1/conference/room/r1/user/a%2Fb"),
        ("r1", "a?b#c", "/as/v1/conference/room/r1/user/a%3Fb%23c"),
        ("r1", "100%", "/as/v1/conference/room/r1/user/100%25"),
        ("r1", "a/../../x", "/as/v1/conference/room/r1/user/a%2F..%2F..%2Fx"),
        ("r1", "...", "/as/v1/conference/room/r1/user/%2E%2E%2E"),
        ("r1", "zoë smith", "/as/v1/conference/room/r1/user/zo%C3%AB%20smith"),
        ("r&1", "u+1", "/as/v1/conference/room/r%261/user/u%2B1"),
    ],
)
async def test_ids_are_encoded_as_single_segments(
    make: Callable[..., AsyncRed5Client], room: str, user: str, expected: str
) -> None:
    server = Server(_json(USER))

    await make(server).get_user_status(room, user)

    assert server.paths == [expected]


@pytest.mark.anyio
async def test_every_call_hits_its_documented_path(
    make: Callable[..., AsyncRed5Client],
) -> None:
    def respond(request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if path.endswith("/users"):
            return httpx2.Response(200, json={"userCount": 0, "users": []})
        if path.endswith("/hosts"):
            return httpx2.Response(200, json={"hostCount": 0, "hosts": []})
        if path.endswith("/rooms"):
            return httpx2.Response(200, json={"roomCount": 0, "rooms": []})
        if path.endswith("/isJoined"):
            return httpx2.Response(200, json={"isJoined": True})
        if path.endswith(("/transcriptions", "/external-streams")):
            return httpx2.Response(200, json=[])
        if path.endswith("/user/u"):
            return httpx2.Response(200, json=USER)
        return httpx2.Response(200, json={"message": "ok"})

    server = Server(respond)
    client = make(server)

    await client.get_user_status("r", "u")
    assert (await client.is_user_joined("r", "u")).joined is True
    await client.get_user_list("r")
    await client.get_host_list("r")
    await client.get_room_list()
    await client.block_user("r", "u", 30)
    await client.unblock_user("r", "u")
    await client.start_recording("r")
    await client.stop_recording("r")
    await client.start_transcription("r", "u")
    await client.stop_transcription("r", "u")
    await client.get_transcriptions("r", 1, 2)
    await client.get_external_streams()
    await client.add_external_stream("r", "s")
    await client.remove_external_stream("r", "s")

    base = "/as/v1/conference"
    sent = [
        (request.method, path)
        for request, path in zip(server.requests, server.paths, strict=False)
    ]
    assert sent == [
        ("GET", f"{base}/room/r/user/u"),
        ("GET", f"{base}/room/r/user/u/isJoined"),
        ("GET", f"{base}/room/r/users"),
        ("GET", f"{base}/room/r/hosts"),
        ("GET", f"{base}/rooms"),
        ("POST", f"{base}/room/r/user/u/block"),
        ("POST", f"{base}/room/r/user/u/unblock"),
        ("POST", f"{base}/room/r/startRecording"),
        ("POST", f"{base}/room/r/stopRecording"),
        ("POST", f"{base}/room/r/user/u/start-transcription"),
        ("POST", f"{base}/room/r/user/u/stop-transcription"),
        ("GET", f"{base}/room/r/transcriptions"),
        ("GET", f"{base}/external-streams"),
        ("POST", f"{base}/room/r/external-stream/s"),
        ("DELETE", f"{base}/room/r/external-stream/s"),
    ]
    queries = [parse_qs(request.url.query.decode()) for request in server.requests]
    assert queries[2] == {"limit": ["100"], "offset": ["0"]}
    assert queries[4] == {"state": ["active"], "limit": ["50"], "offset": ["0"]}
    assert queries[5] == {"blockDuration": ["30"]}
    assert queries[11] == {"startTime": ["1"], "endTime": ["2"]}


@pytest.mark.anyio
async def test_admin_token_is_scoped_to_the_room(
    make: Callable[..., AsyncRed5Client],
) -> None:
    server = Server(_json({"roomCount": 0, "rooms": [], "message": "ok"}))
    client = make(server)

    await client.start_recording("room-7")
    await client.get_room_list(RoomState.ALL)

    rooms = []
    for request in server.requests:
        scheme, _, token = request.headers["Authorization"].partition(" ")
        assert scheme == "Bearer"
        claims = verify_token(token, SECRET, AdminClaims)
        assert claims.uid == "admin"
        assert claims.role is Role.ADMIN
        rooms.append(claims.room_id)
    assert rooms == ["room-7", "admin"]


@pytest.mark.anyio
async def test_user_agent_names_sdk_and_python(
    make: Callable[..., AsyncRed5Client],
) -> None:
    server = Server(_json({"message": "ok"}))

    await make(server).start_recording("r")

    expected = f"red5-bcs-python/{__version__} python/{platform.python_version()}"
    assert server.requests[0].headers["User-Agent"] == expected == USER_AGENT


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
    ],
)
async def test_error_statuses_map_to_typed_errors(
    make: Callable[..., AsyncRed5Client], status: int, error_class: type[Exception]
) -> None:
    server = Server(_json({"message": "Recording already running", "code": 7}, status))

    with pytest.raises(error_class) as caught:
        await make(server).start_recording("r")

    error = caught.value
    assert error.status_code == status  # type: ignore[attr-defined]
    assert error.message == "Recording already running"  # type: ignore[attr-defined]
    assert error.body == {"message": "Recording already running", "code": 7}  # type: ignore[attr-defined]
    assert "POST /as/v1/conference/room/r/startRecording" in str(error)


@pytest.mark.anyio
async def test_error_without_json_uses_reason_phrase(
    make: Callable[..., AsyncRed5Client],
) -> None:
    server = Server(lambda request: httpx2.Response(502, text="<html>gateway</html>"))

    with pytest.raises(InternalServerError) as caught:
        await make(server).stop_recording("r")

    assert caught.value.message == "Bad Gateway"
    assert caught.value.body is None


@pytest.mark.anyio
@pytest.mark.parametrize(
    "body", [b"not json", b"<html></html>", b'{"userCount": "many"}', b"[1, 2]", b""]
)
async def test_unreadable_success_body_is_validation_error(
    make: Callable[..., AsyncRed5Client], body: bytes
) -> None:
    server = Server(lambda request: httpx2.Response(200, content=body))

    with pytest.raises(APIResponseValidationError) as caught:
        await make(server).get_user_list("r")

    assert caught.value.status_code == 200
    assert caught.value.excerpt == body.decode()[:200]


@pytest.mark.anyio
async def test_models_keep_unknown_fields(make: Callable[..., AsyncRed5Client]) -> None:
    body = {"userCount": 1, "users": [{**USER, "device": "web"}], "region": "eu"}

    page = await make(Server(_json(body))).get_user_list("r")

    assert page.model_extra == {"region": "eu"}
    assert page.users[0].model_extra == {"device": "web"}
    assert page.users[0].joined_at.timestamp() == 1_700_000_000
    assert page.model_dump(by_alias=True)["userCount"] == 1


@pytest.mark.anyio
async def test_join_status_reads_either_field(
    make: Callable[..., AsyncRed5Client],
) -> None:
    assert (
        await make(Server(_json({"joined": False}))).is_user_joined("r", "u")
    ).joined is False
    assert (
        await make(Server(_json({"isJoined": True}))).is_user_joined("r", "u")
    ).joined is True


@pytest.mark.anyio
async def test_transcripts_and_streams_accept_list_or_object(
    make: Callable[..., AsyncRed5Client],
) -> None:
    entry = {"uid": "u", "text": "hello", "timestamp": 5}

    bare = await make(Server(_json([entry]))).get_transcriptions("r")
    wrapped = await make(Server(_json({"transcriptions": [entry]}))).get_transcriptions(
        "r"
    )
    streams = await make(
        Server(_json({"externalStreams": [{"roomId": "r", "streamId": "s"}]}))
    ).get_external_streams()

    assert bare.entries[0].text == "hello"
    assert wrapped.entries[0].text == "hello"
    assert streams.streams[0].stream_id == "s"


def _paging_server(total: int, field: str, count_field: str) -> Server:
    def respond(request: httpx2.Request) -> httpx2.Response:
        query = parse_qs(request.url.query.decode())
        limit, offset = int(query["limit"][0]), int(query["offset"][0])
        items = [
            {**USER, "uid": f"u{index}", "roomId": f"r{index}"}
            for index in range(offset, min(total, offset + limit))
        ]
        return httpx2.Response(200, json={count_field: total, field: items})

    return Server(respond)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("total", "page_size", "pages"), [(0, 3, 1), (7, 3, 3), (6, 3, 2), (6, 10, 1)]
)
async def test_iter_users_walks_every_page_once(
    make: Callable[..., AsyncRed5Client], total: int, page_size: int, pages: int
) -> None:
    server = _paging_server(total, "users", "userCount")

    users = [
        user.uid async for user in make(server).iter_users("r", page_size=page_size)
    ]

    assert users == [f"u{index}" for index in range(total)]
    assert len(server.requests) == pages


@pytest.mark.anyio
async def test_iter_rooms_walks_every_page_once(
    make: Callable[..., AsyncRed5Client],
) -> None:
    server = _paging_server(5, "rooms", "roomCount")

    rooms = [room.room_id async for room in make(server).iter_rooms("all", page_size=2)]

    assert rooms == ["r0", "r1", "r2", "r3", "r4"]
    assert parse_qs(server.requests[0].url.query.decode())["state"] == ["all"]


@pytest.mark.anyio
async def test_iter_users_skips_users_repeated_across_pages(
    make: Callable[..., AsyncRed5Client],
) -> None:
    pages = {
        0: [{**USER, "uid": "a"}, {**USER, "uid": "b"}],
        2: [{**USER, "uid": "b"}, {**USER, "uid": "c"}],
        4: [],
    }

    def respond(request: httpx2.Request) -> httpx2.Response:
        offset = int(parse_qs(request.url.query.decode())["offset"][0])
        return httpx2.Response(200, json={"userCount": 5, "users": pages[offset]})

    users = [
        user.uid async for user in make(Server(respond)).iter_users("r", page_size=2)
    ]

    assert users == ["a", "b", "c"]


@pytest.mark.anyio
async def test_closed_client_raises_clear_error(granter: FakeGranter) -> None:
    server = Server(_json({"message": "ok"}))
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(server))
    client = AsyncRed5Client(
        credentials=CREDENTIALS, http_client=http, chat_granter=granter
    )

    async with client:
        await client.start_recording("r")

    assert client.is_closed
    assert not http.is_closed
    with pytest.raises(Red5Error, match="closed"):
        await client.start_recording("r")
    with pytest.raises(Red5Error, match="closed"):
        await client.get_conference_token("u", "r")
    assert len(server.requests) == 1
    await http.aclose()


@pytest.mark.anyio
async def test_own_pool_is_closed_by_aclose() -> None:
    client = AsyncRed5Client(credentials=CREDENTIALS, transport="httpx")
    http = client._core.http()

    await client.aclose()

    assert http.is_closed


class SlowClosingClient(httpx2.AsyncClient):
    """An HTTP client whose close takes a while, to interrupt it halfway."""

    async def aclose(self) -> None:
        await anyio.sleep(0.2)
        await super().aclose()


@pytest.fixture
async def slow_pool() -> tuple[AsyncRed5Client, SlowClosingClient]:
    """A client whose own pool takes 0.2 s to close."""
    client = AsyncRed5Client(credentials=CREDENTIALS, transport="httpx")
    client._core.http()
    slow = SlowClosingClient()
    client._core._own_http = slow
    return client, slow


@pytest.mark.anyio
async def test_cancelled_aclose_still_closes_pool(
    slow_pool: tuple[AsyncRed5Client, SlowClosingClient],
) -> None:
    client, slow = slow_pool

    with anyio.move_on_after(0.05):
        await client.aclose()

    assert slow.is_closed
    assert client._core._own_http is None


@pytest.mark.anyio
async def test_concurrent_aclose_waits_for_first(
    slow_pool: tuple[AsyncRed5Client, SlowClosingClient],
) -> None:
    client, slow = slow_pool
    closed_when_returned: list[bool] = []

    async def close() -> None:
        await client.aclose()
        closed_when_returned.append(slow.is_closed)

    async with anyio.create_task_group() as group:
        group.start_soon(close)
        group.start_soon(close)

    assert closed_when_returned == [True, True]


@pytest.mark.anyio
async def test_with_options_shares_pool_and_changes_timeout(
    make: Callable[..., AsyncRed5Client],
) -> None:
    server = Server(_json({"message": "ok"}))
    client = make(server, timeout=10.0)

    quick = client.with_options(timeout=2.0, max_retries=0)
    await quick.start_recording("r")

    assert quick._core is client._core
    assert server.requests[0].extensions["timeout"]["read"] == 2.0
    assert client._options.timeout.read == 10.0


def test_with_options_rejects_bad_values() -> None:
    client = AsyncRed5Client(credentials=CREDENTIALS)

    with pytest.raises(InvalidArgumentError, match="max_retries"):
        client.with_options(max_retries=-1)
    with pytest.raises(ConfigurationError, match="timeout"):
        client.with_options(timeout=-1)


def test_environment_configures_client(monkeypatch: pytest.MonkeyPatch) -> None:
    from red5_bcs import seal_master_secret

    key = "0123456789abcdef-key"
    monkeypatch.setenv("RED5_MASTER_KEY", key)
    monkeypatch.setenv("RED5_MASTER_SECRET", seal_master_secret(key, CREDENTIALS))
    monkeypatch.setenv("RED5_BASE_URL", "http://127.0.0.1:9")

    client = AsyncRed5Client()

    assert client.credentials == CREDENTIALS
    assert client.base_url == "http://127.0.0.1:9/as/v1/conference"


def test_no_credentials_anywhere_is_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("RED5_MASTER_KEY", raising=False)
    monkeypatch.delenv("RED5_MASTER_SECRET", raising=False)

    with pytest.raises(ConfigurationError, match="RED5_MASTER_KEY"):
        AsyncRed5Client()
    with pytest.raises(ConfigurationError, match="RED5_MASTER_KEY"):
        Red5Client()


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("http_client", object()),
        ("limits", 5),
        ("minter", object()),
        ("chat_granter", object()),
        ("transport", "curl"),
        ("max_retries", 11),
    ],
)
def test_bad_options_are_rejected(option: str, value: object) -> None:
    with pytest.raises((ConfigurationError, InvalidArgumentError), match=option):
        AsyncRed5Client(credentials=CREDENTIALS, **{option: value})


def test_repr_shows_no_secret() -> None:
    client = AsyncRed5Client(credentials=CREDENTIALS)

    assert SECRET not in repr(client)
    assert "sec-c-unit" not in repr(client.credentials)


def _public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and callable(member)
    }


def test_sync_and_async_clients_expose_same_methods() -> None:
    async_methods = _public(AsyncRed5Client)
    sync_methods = _public(Red5Client)

    assert set(async_methods) - {"aclose"} == set(sync_methods) - {"close"}
    for name, signature in async_methods.items():
        if name in ("aclose",):
            continue
        assert list(signature.parameters) == list(sync_methods[name].parameters), name
        for parameter in signature.parameters.values():
            twin = sync_methods[name].parameters[parameter.name]
            assert parameter.default == twin.default, (name, parameter.name)
            assert parameter.kind == twin.kind, (name, parameter.name)


def test_sync_constructor_takes_async_options() -> None:
    async_parameters = inspect.signature(AsyncRed5Client).parameters
    sync_parameters = inspect.signature(Red5Client).parameters

    assert set(async_parameters) <= set(sync_parameters)


@pytest.fixture
def sync_client(granter: FakeGranter) -> Iterator[tuple[Red5Client, Server]]:
    def respond(request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/users"):
            offset = int(parse_qs(request.url.query.decode())["offset"][0])
            users = [{**USER, "uid": f"u{offset}"}] if offset < 3 else []
            return httpx2.Response(200, json={"userCount": 3, "users": users})
        return httpx2.Response(200, json={"message": "ok"})

    server = Server(respond)
    client = Red5Client(
        credentials=CREDENTIALS,
        transport="httpx",
        chat_granter=granter,
        base_url="http://api.invalid",
    )
    mock = httpx2.AsyncClient(transport=httpx2.MockTransport(server))
    client.async_client._core.user_http = mock
    yield client, server
    client.close()
    asyncio.run(mock.aclose())


def test_sync_client_calls_and_iterates(sync_client: tuple[Red5Client, Server]) -> None:
    client, server = sync_client

    assert client.start_recording("r").message == "ok"
    assert [user.uid for user in client.iter_users("r", page_size=1)] == [
        "u0",
        "u1",
        "u2",
    ]
    token = client.get_conference_token("alice", "room")
    assert client.verify_conference_token(token).uid == "alice"
    assert len(server.requests) == 4


def test_sync_client_works_inside_running_loop(
    sync_client: tuple[Red5Client, Server],
) -> None:
    client, _ = sync_client

    async def main() -> str | None:
        return client.start_recording("r").message

    assert asyncio.run(main()) == "ok"


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
def test_sync_client_works_inside_trio_run(
    backend: Literal["asyncio", "trio"], granter: FakeGranter
) -> None:
    import trio

    server = Server(_json({"message": "ok"}))
    client = Red5Client(
        credentials=CREDENTIALS,
        transport="httpx",
        chat_granter=granter,
        base_url="http://api.invalid",
        backend=backend,
    )
    mock = httpx2.AsyncClient(transport=httpx2.MockTransport(server))
    client.async_client._core.user_http = mock

    async def main() -> str | None:
        return client.start_recording("r").message

    try:
        assert trio.run(main) == "ok"
    finally:
        client.close()
        asyncio.run(mock.aclose())
    assert client.is_closed


def test_sync_client_from_many_threads(sync_client: tuple[Red5Client, Server]) -> None:
    from concurrent.futures import ThreadPoolExecutor

    client, server = sync_client

    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(lambda index: client.start_recording(f"r{index}"), range(40))
        )

    assert {result.message for result in results} == {"ok"}
    assert len(server.requests) == 40


def test_sync_client_close_is_idempotent_and_final(granter: FakeGranter) -> None:
    client = Red5Client(credentials=CREDENTIALS, chat_granter=granter)

    with client:
        pass
    client.close()

    assert client.is_closed
    with pytest.raises(Red5Error, match="closed"):
        client.start_recording("r")


def test_sync_client_raises_invalid_argument_directly(
    sync_client: tuple[Red5Client, Server],
) -> None:
    client, server = sync_client

    with pytest.raises(InvalidArgumentError):
        client.block_user("r", "u", 0)

    assert server.requests == []


def test_sync_client_runs_on_trio(granter: FakeGranter) -> None:
    with Red5Client(
        credentials=CREDENTIALS, chat_granter=granter, backend="trio"
    ) as client:
        token = client.get_conference_token("alice", "room")

    assert client.decode_conference_token(token).room_id == "room"


def test_models_serialize_to_wire_json() -> None:
    from red5_bcs import UserStatus

    status = UserStatus.model_validate(USER)

    assert json.loads(status.model_dump_json(by_alias=True)) == USER


@pytest.mark.anyio
async def test_auto_transport_follows_event_loop(anyio_backend: str) -> None:
    from red5_bcs._aiohttp_transport import AiohttpTransport

    client = AsyncRed5Client(credentials=CREDENTIALS)
    transport = client._core.http()._transport

    expected = (
        AiohttpTransport if anyio_backend == "asyncio" else httpx2.AsyncHTTPTransport
    )
    assert type(transport) is expected
    await client.aclose()


@pytest.mark.anyio
async def test_httpx_transport_can_be_forced() -> None:
    client = AsyncRed5Client(credentials=CREDENTIALS, transport="httpx")

    assert type(client._core.http()._transport) is httpx2.AsyncHTTPTransport
    await client.aclose()


@pytest.mark.parametrize("anyio_backend", ["trio"])
@pytest.mark.anyio
async def test_aiohttp_transport_under_trio_is_configuration_error() -> None:
    client = AsyncRed5Client(credentials=CREDENTIALS, transport="aiohttp")

    with pytest.raises(ConfigurationError, match="asyncio"):
        await client.start_recording("r")
    await client.aclose()


def test_own_pool_refuses_a_second_event_loop() -> None:
    client = AsyncRed5Client(
        credentials=CREDENTIALS,
        transport="httpx",
        chat_granter=FakeGranter(),
        base_url="http://127.0.0.1:9",
    )

    async def open_pool() -> None:
        client._core.http()

    asyncio.run(open_pool())

    with pytest.raises(Red5Error, match="another one"):
        asyncio.run(open_pool())


def test_master_credentials_ignore_surrounding_whitespace() -> None:
    from red5_bcs import seal_master_secret

    key = "0123456789abcdef-key"
    secret = seal_master_secret(key, CREDENTIALS)

    opened = Red5Credentials.from_master(f" {key}\n", f"\t{secret}\n")

    assert opened == CREDENTIALS

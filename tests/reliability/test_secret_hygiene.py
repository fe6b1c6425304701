"""No secret, token or signature reaches a log, an error or a repr.

A broad workload runs every client method on success and failure paths,
under injected faults, with wrong credentials and hostile tokens.
Everything a user could see is collected: every log record of every logger
at DEBUG (with tracebacks), each exception's message, repr and chain, and
the `repr()` and `str()` of each public object. None of it may contain the
master secret or key, the conference secret, the PubNub secret key, an admin
or conference token, a PubNub token or its signature, or a PubNub request
signature. The command line and the FastAPI router are checked in
test_secret_hygiene_frontends.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from pydantic import SecretStr

from red5_bcs import (
    AsyncRed5Client,
    ChatGrant,
    ChatPermissions,
    HS256Minter,
    Red5Credentials,
    parse_chat_token,
    verify_conference_token,
)
from red5_bcs._pubnub import PubNubGranter
from red5_bcs.testing import (
    Emulator,
    EmulatorServer,
    FaultOutcome,
    FaultScript,
    ManualClock,
)

from .haystack import (
    Haystack,
    Minted,
    expect_error,
    expect_sync_error,
    secrets_of,
)
from .support import (
    API,
    ELSEWHERE,
    GRANT,
    ROOMS,
    RecordingMinter,
    closed_port_url,
    seal_plaintext,
    until_logged,
)

ROOM = "hygiene"


@pytest.fixture
def anyio_backend(transport_case: tuple[str, str]) -> str:
    return transport_case[0]


@pytest.fixture
async def workload_client(
    live: EmulatorServer, transport_case: tuple[str, str]
) -> AsyncIterator[tuple[AsyncRed5Client, RecordingMinter]]:
    minter = RecordingMinter()
    async with live.async_client(
        transport=transport_case[1], minter=minter, timeout=2.0, max_retries=1
    ) as red5:
        yield red5, minter


async def _successes(
    red5: AsyncRed5Client, emulator: Emulator, haystack: Haystack, minted: Minted
) -> None:
    conference = await red5.get_conference_token("ann", ROOM)
    claims = red5.verify_conference_token(conference)
    minted.pubnub_tokens.append(claims.pubnub_token)
    haystack.add_object("ConferenceClaims", claims)
    haystack.add_object(
        "decoded ConferenceClaims", red5.decode_conference_token(conference)
    )
    haystack.add_object("UserStatus from join", emulator.join(conference))
    emulator.join(await red5.get_conference_token("bob", ROOM, "subscriber"))
    chat = await red5.get_chat_token("ann", ROOM, True, False)
    minted.pubnub_tokens.append(chat)
    haystack.add_object("ChatTokenGrant", parse_chat_token(chat))

    results: list[object] = [
        await red5.get_user_status(ROOM, "ann"),
        await red5.is_user_joined(ROOM, "ann"),
        await red5.get_user_list(ROOM),
        [user async for user in red5.iter_users(ROOM, page_size=1)],
        await red5.get_host_list(ROOM),
        await red5.get_room_list(),
        [room async for room in red5.iter_rooms()],
        await red5.start_transcription(ROOM, "ann"),
        await red5.get_transcriptions(ROOM),
        await red5.stop_transcription(ROOM, "ann"),
        await red5.start_recording(ROOM),
        await red5.stop_recording(ROOM),
        await red5.add_external_stream(ROOM, "cam"),
        await red5.get_external_streams(),
        await red5.remove_external_stream(ROOM, "cam"),
        await red5.block_user(ROOM, "bob", 60),
        await red5.unblock_user(ROOM, "bob"),
    ]
    for result in results:
        haystack.add_object(type(result).__name__, result)


async def _failures(
    red5: AsyncRed5Client, live: EmulatorServer, haystack: Haystack
) -> None:
    emulator = live.emulator
    await expect_error(
        haystack, "unknown user", lambda: red5.get_user_status(ROOM, "zed")
    )
    await expect_error(haystack, "no recording", lambda: red5.stop_recording(ROOM))
    await expect_error(haystack, "not blocked", lambda: red5.unblock_user(ROOM, "ann"))
    await expect_error(haystack, "bad room", lambda: red5.get_user_status("a/b", "ann"))
    await expect_error(
        haystack, "empty user", lambda: red5.get_conference_token("", ROOM)
    )

    faults: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", ROOMS, {"status": 500, "body": {"message": "injected"}}),
        ("GET", ROOMS, {"malformed": "html"}),
        ("GET", ROOMS, {"redirect": ELSEWHERE}),
        ("GET", ROOMS, {"drop": "during_body"}),
        ("GET", ROOMS, {"body_bytes": 11 * 1024 * 1024}),
    ]
    for method, path, outcome in faults:
        emulator.add_faults(method, path, [outcome] * 2)
        await expect_error(haystack, f"fault {outcome}", red5.get_room_list)
        emulator.clear_faults()

    emulator.add_faults("POST", API, [{"drop": "before_response"}])
    await expect_error(haystack, "dropped POST", lambda: red5.start_recording(ROOM))
    emulator.add_faults("GET", ROOMS, [{"delay": 0.6}] * 2)
    quick = red5.with_options(timeout=0.2)
    await expect_error(haystack, "timeout", quick.get_room_list)
    await until_logged(emulator, ROOMS, 2)

    grant_faults: list[dict[str, Any]] = [
        {"status": 403, "body": {"status": 403, "error": {"message": "Forbidden"}}},
        {"drop": "during_body"},
        {"malformed": "not_json"},
    ]
    for outcome in grant_faults:
        emulator.add_faults("POST", GRANT, [outcome])
        await expect_error(
            haystack,
            f"grant fault {outcome}",
            lambda: red5.get_chat_token("ann", ROOM, True, True),
        )


async def _wrong_credentials(live: EmulatorServer, haystack: Haystack) -> None:
    credentials = live.emulator.credentials.model_copy(
        update={"stream_manager_host": live.address}
    )
    wrong_conference = credentials.model_copy(
        update={"conference_secret": SecretStr("not-the-conference-secret")}
    )
    wrong_pubnub = credentials.model_copy(
        update={"pubnub_secret_key": SecretStr("sec-c-not-the-pubnub-secret")}
    )
    urls: dict[str, Any] = {
        "base_url": live.base_url,
        "pubnub_base_url": live.pubnub_base_url,
    }

    async with AsyncRed5Client(credentials=wrong_conference, **urls) as red5:
        await expect_error(haystack, "wrong conference secret", red5.get_room_list)
    async with AsyncRed5Client(credentials=wrong_pubnub, **urls) as red5:
        await expect_error(
            haystack,
            "wrong PubNub secret",
            lambda: red5.get_chat_token("a", "r", True, True),
        )
    closed = closed_port_url()
    async with AsyncRed5Client(
        credentials=credentials, base_url=closed, pubnub_base_url=closed, max_retries=0
    ) as red5:
        await expect_error(haystack, "refused connection", red5.get_room_list)
        await expect_error(
            haystack, "refused grant", lambda: red5.get_conference_token("a", "r")
        )

    key, secret = live.master_key, live.master_secret
    fields = [
        credentials.conference_secret.get_secret_value(),
        credentials.pubnub_secret_key.get_secret_value(),
        credentials.pubnub_publish_key,
        credentials.pubnub_subscribe_key,
    ]
    plaintext = "|".join(fields).encode()
    for label, arguments in [
        ("non-ASCII secret", (key, "\N{LATIN SMALL LETTER E WITH ACUTE}" + secret)),
        ("plaintext not UTF-8", (key, seal_plaintext(key, plaintext + b"|\xff\xfe"))),
        ("invalid host", (key, seal_plaintext(key, plaintext + b"|bad/host"))),
        ("four fields", (key, seal_plaintext(key, plaintext))),
        ("truncated secret", (key, secret[:-8])),
        ("wrong key", ("wrong-master-key-0123456789", secret)),
        (
            "bit-flipped secret",
            (key, secret[:20] + chr(ord(secret[20]) ^ 1) + secret[21:]),
        ),
        ("surrogate key", ("\ud800" + key, secret)),
    ]:
        client = functools.partial(AsyncRed5Client, *arguments, **urls)
        expect_sync_error(haystack, label, client)
        opened = functools.partial(Red5Credentials.from_master, *arguments)
        expect_sync_error(haystack, f"{label} opened directly", opened)


async def _hostile_tokens(
    red5: AsyncRed5Client, live: EmulatorServer, haystack: Haystack, minted: Minted
) -> None:
    good = minted.jwts[0]
    header, payload, signature = good.split(".")
    secret = live.emulator.credentials.conference_secret.get_secret_value()
    other = HS256Minter().mint({"uid": "x"}, b"another-secret-entirely")
    minted.jwts.append(other)
    tokens = {
        "tampered payload": f"{header}.{payload[:-2]}AA.{signature}",
        "another secret": other,
        "alg none": f"eyJhbGciOiJub25lIn0.{payload}.",
        "garbage": "not a token",
        "megabyte": "a" * 1_000_000,
    }
    for label, token in tokens.items():
        verify = functools.partial(red5.verify_conference_token, token)
        expect_sync_error(haystack, label, verify)
    async with AsyncRed5Client(
        credentials=live.emulator.credentials,
        base_url=live.base_url,
        pubnub_base_url=live.pubnub_base_url,
        clock=lambda: time.time() + 10**6,
    ) as future:
        expect_sync_error(
            haystack, "expired", lambda: future.verify_conference_token(good)
        )
    expect_sync_error(
        haystack,
        "negative leeway",
        lambda: verify_conference_token(good, secret, leeway=-1),
    )


async def _public_objects(
    live: EmulatorServer, red5: AsyncRed5Client, haystack: Haystack
) -> None:
    emulator = live.emulator
    http = httpx2.AsyncClient()
    granter = PubNubGranter(
        http,
        subscribe_key=emulator.credentials.pubnub_subscribe_key,
        publish_key=emulator.credentials.pubnub_publish_key,
        secret_key=emulator.credentials.pubnub_secret_key,
        base_url=live.pubnub_base_url,
    )
    objects: dict[str, object] = {
        "AsyncRed5Client": red5,
        "copy of AsyncRed5Client": red5.with_options(timeout=1.0),
        "Red5Credentials": red5.credentials,
        "Emulator": emulator,
        "EmulatorServer": live,
        "ManualClock": ManualClock(),
        "FaultOutcome": FaultOutcome(status=503),
        "FaultScript": FaultScript(
            method="GET", path_prefix="/", outcomes=[FaultOutcome()]
        ),
        "PubNubGranter": granter,
        "HS256Minter": HS256Minter(),
        "ChatGrant": ChatGrant("ann", (ROOM,), True, True, 60),
        "ChatPermissions": ChatPermissions.from_bits(3),
    }
    for name, value in objects.items():
        haystack.add_object(name, value)
    await http.aclose()


@pytest.mark.network
@pytest.mark.anyio
async def test_workload_leaks_no_secret(
    live: EmulatorServer,
    workload_client: tuple[AsyncRed5Client, RecordingMinter],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    red5, minter = workload_client
    haystack = Haystack()
    minted = Minted(jwts=minter.tokens)

    await _successes(red5, live.emulator, haystack, minted)
    await _failures(red5, live, haystack)
    await _wrong_credentials(live, haystack)
    await _hostile_tokens(red5, live, haystack, minted)
    await _public_objects(live, red5, haystack)
    await red5.aclose()
    await expect_error(haystack, "closed client", red5.get_room_list)
    haystack.add_logs(caplog.records)

    secrets = secrets_of(live.emulator, live, minted)
    assert len(minted.jwts) >= 3
    assert secrets["a PubNub request signature"]
    assert secrets["a PubNub token signature"]
    assert haystack.leaks(secrets) == []


@pytest.mark.network
def test_sync_client_leaks_no_secret(
    live: EmulatorServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    haystack = Haystack()
    minter = RecordingMinter()
    minted = Minted(jwts=minter.tokens)

    with live.client(minter=minter, max_retries=1) as red5:
        haystack.add_object("Red5Client", red5)
        haystack.add_object("copy of Red5Client", red5.with_options(timeout=1.0))
        conference = red5.get_conference_token("ann", ROOM)
        minted.pubnub_tokens.append(
            red5.decode_conference_token(conference).pubnub_token
        )
        live.emulator.join(conference)
        haystack.add_object("UserList", red5.get_user_list(ROOM))
        expect_sync_error(
            haystack, "unknown user", lambda: red5.get_user_status(ROOM, "zed")
        )
        live.emulator.add_faults("GET", ROOMS, [{"drop": "before_response"}] * 2)
        expect_sync_error(haystack, "dropped", red5.get_room_list)
        live.emulator.add_faults("POST", GRANT, [{"status": 503}])
        expect_sync_error(
            haystack, "grant 503", lambda: red5.get_chat_token("a", ROOM, True, True)
        )
    expect_sync_error(haystack, "closed client", red5.get_room_list)
    haystack.add_logs(caplog.records)

    assert haystack.leaks(secrets_of(live.emulator, live, minted)) == []


# The emulator's request log


@pytest.mark.network
def test_recorded_request_hides_grant_signature(live: EmulatorServer) -> None:
    with live.client() as red5:
        red5.get_chat_token("ann", ROOM, True, True)
    haystack = Haystack()
    for entry in live.emulator.requests:
        haystack.add_object("RecordedRequest", entry)

    assert haystack.leaks(secrets_of(live.emulator, live, Minted())) == []

"""`red5-bcs token conference|chat|decode|verify`."""

from __future__ import annotations

import json
import time

import pytest

from red5_bcs import HS256Minter, parse_chat_token

from .conftest import Invoke, Loopback


def test_conference_prints_only_token_on_stdout(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    result = invoke("token", "conference", "alice", room)

    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert len(result.stdout.splitlines()) == 1
    claims = loopback.client.verify_conference_token(token)
    assert (claims.uid, claims.room_id, claims.role.value) == (
        "alice",
        room,
        "publisher",
    )
    assert claims.exp - claims.iat == 3600
    assert "alice" in result.stderr
    assert token not in result.stderr


def test_conference_token_joins_room(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    token = invoke("token", "conference", "alice", room).stdout.strip()

    status = loopback.emulator.join(token)

    assert status.online


def test_conference_json_has_token_and_claims(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    result = invoke(
        "token", "conference", "bob", room, "--role", "subscriber",
        "--minutes", "5", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    claims = loopback.client.verify_conference_token(data["token"])
    assert claims.role.value == "subscriber"
    assert data["role"] == "subscriber"
    assert data["exp"] - data["iat"] == 300
    assert "pubnubToken" not in data
    assert set(data["pubnubGrant"]["channels"]) == {room, f"{room}-pnpres"}
    assert data["pubnubGrant"]["ttlMinutes"] == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["alice", "bad/room"], "room_id"),
        (["alice", "room", "--minutes", "0"], "expiration_minutes"),
        (["alice", "room", "--minutes", "43201"], "expiration_minutes"),
        (["", "room"], "user_id"),
    ],
)
def test_conference_bad_argument_exits_2(
    invoke: Invoke, args: list[str], message: str
) -> None:
    result = invoke("token", "conference", *args)

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: InvalidArgumentError:")
    assert message in result.stderr


def test_conference_unknown_role_exits_2(invoke: Invoke) -> None:
    result = invoke("token", "conference", "alice", "room", "--role", "owner")

    assert result.exit_code == 2
    assert "owner" in result.output


def test_conference_pubnub_rejection_exits_1(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    loopback.emulator.add_faults("POST", "/v3/pam/", [{"status": 403}])

    result = invoke("token", "conference", "alice", room)

    assert result.exit_code == 1
    assert "ChatGrantError" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("flags", "read", "write"),
    [
        (["--no-write"], True, False),
        (["--no-read"], False, True),
        ([], True, True),
    ],
)
def test_chat_grants_requested_permissions(
    invoke: Invoke, room: str, flags: list[str], read: bool, write: bool
) -> None:
    result = invoke("token", "chat", "alice", room, *flags)

    assert result.exit_code == 0, result.output
    grant = parse_chat_token(result.stdout.strip())
    assert grant.authorized_uuid == "alice"
    assert set(grant.channels) == {room, f"{room}-pnpres"}
    for permissions in grant.channels.values():
        assert permissions.read is read
        assert permissions.write is write


def test_chat_json_has_token_and_grant(invoke: Invoke, room: str) -> None:
    result = invoke("token", "chat", "alice", room, "--minutes", "30", "--json")

    data = json.loads(result.stdout)
    assert parse_chat_token(data["token"]).ttl_minutes == 30
    assert data["grant"]["ttlMinutes"] == 30
    assert data["grant"]["channels"][room]["write"] is True


def test_chat_without_permissions_exits_2(invoke: Invoke, room: str) -> None:
    result = invoke("token", "chat", "alice", room, "--no-read", "--no-write")

    assert result.exit_code == 2
    assert "InvalidArgumentError" in result.stderr


def test_decode_conference_token_hides_embedded_token(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    token = loopback.client.get_conference_token("carol", room, "admin")
    embedded = loopback.client.decode_conference_token(token).pubnub_token

    table = invoke("token", "decode", token)
    data = json.loads(invoke("token", "decode", token, "--json").stdout)

    assert table.exit_code == 0
    assert "carol" in table.stdout
    assert f"{room}-pnpres" in table.stdout
    assert embedded not in table.output
    assert data["type"] == "conference"
    assert data["claims"]["uid"] == "carol"
    assert data["claims"]["role"] == "admin"
    assert data["claims"]["pubnubGrant"]["authorizedUuid"] == "carol"
    assert "pubnubToken" not in data["claims"]


def test_decode_chat_token(invoke: Invoke, loopback: Loopback, room: str) -> None:
    token = loopback.client.get_chat_token("dave", room, read=True, write=False)

    data = json.loads(invoke("token", "decode", token, "--json").stdout)
    table = invoke("token", "decode", token)

    assert data["type"] == "chat"
    assert data["grant"]["authorizedUuid"] == "dave"
    assert data["grant"]["channels"][room] == {
        "read": True, "write": False, "manage": False, "delete": False,
        "create": False, "get": False, "update": False, "join": False,
    }  # fmt: skip
    assert "dave" in table.stdout
    assert token not in table.output


def test_decode_reads_token_from_stdin(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    token = loopback.client.get_conference_token("erin", room)

    result = invoke("token", "decode", "-", "--json", input=token + "\n")

    assert result.exit_code == 0
    assert json.loads(result.stdout)["claims"]["uid"] == "erin"


@pytest.mark.parametrize("garbage", ["not a token", "a.b.c", "qEF2AkF0"])
def test_decode_garbage_exits_1(invoke: Invoke, garbage: str) -> None:
    result = invoke("token", "decode", garbage)

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: InvalidTokenError:")


def test_verify_valid_token(invoke: Invoke, loopback: Loopback, room: str) -> None:
    token = loopback.client.get_conference_token("frank", room, "subscriber")

    data = json.loads(invoke("token", "verify", token, "--json").stdout)
    table = invoke("token", "verify", token)

    assert data["valid"] is True
    assert data["claims"]["uid"] == "frank"
    assert table.exit_code == 0
    assert "valid" in table.stdout


def test_verify_tampered_token_exits_1(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    token = loopback.client.get_conference_token("grace", room)
    header, payload, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    result = invoke("token", "verify", f"{header}.{payload}.{flipped}")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: InvalidTokenError:")
    assert "signature" in result.stderr


def _expired_token(loopback: Loopback) -> str:
    secret = loopback.emulator.credentials.conference_secret.get_secret_value()
    issued = int(time.time()) - 7200
    claims = {
        "uid": "heidi", "roomId": "r", "role": "publisher",
        "pubnubSubscribeKey": "sub", "pubnubPublishKey": "pub",
        "pubnubToken": "none", "iat": issued, "exp": issued + 3600,
    }  # fmt: skip
    return HS256Minter().mint(claims, secret.encode())


def test_verify_expired_token_exits_1(invoke: Invoke, loopback: Loopback) -> None:
    result = invoke("token", "verify", _expired_token(loopback))

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ExpiredTokenError:")
    assert "Mint a new token" in result.stderr


def test_verify_leeway_accepts_recently_expired(
    invoke: Invoke, loopback: Loopback
) -> None:
    result = invoke("token", "verify", _expired_token(loopback), "--leeway", "7200")

    assert result.exit_code == 0, result.output


def test_verify_negative_leeway_exits_2(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    token = loopback.client.get_conference_token("ivan", room)

    result = invoke("token", "verify", token, "--leeway", "-1")

    assert result.exit_code == 2
    assert "leeway" in result.stderr


def test_verify_token_of_other_account_exits_1(invoke: Invoke, room: str) -> None:
    from red5_bcs.testing import Emulator

    with Emulator().client() as other:
        token = other.get_conference_token("judy", room)

    result = invoke("token", "verify", token)

    assert result.exit_code == 1
    assert "InvalidTokenError" in result.stderr

"""No command prints a secret or a signature, and only token commands print tokens."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from typer.testing import Result

from red5_bcs import _cbor, _pubnub
from red5_bcs.testing import Emulator, EmulatorServer

from .conftest import Loopback, run_command

# Every HS256 JWT the SDK signs starts with this encoded header.
JWT_PREFIX = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
# Every PubNub token the emulator grants for a user starts with this encoded
# CBOR prefix: a map of eight entries whose first is "v": 2.
PUBNUB_TOKEN_PREFIX = "qEF2Ak"
TOKEN_COMMANDS = {("token", "conference"), ("token", "chat"), ("token", "bulk")}


def _secrets_of(emulator: Emulator, master_secrets: list[str]) -> list[str]:
    credentials = emulator.credentials
    values = [
        emulator.master_secret,
        *master_secrets,
        credentials.conference_secret.get_secret_value(),
        credentials.pubnub_secret_key.get_secret_value(),
    ]
    # The emulator's request log redacts signatures, so they are recorded as
    # the SDK computes them.
    values += REQUEST_SIGNATURES
    return values


# Every PubNub request signature computed while the commands ran.
REQUEST_SIGNATURES: list[str] = []


def _recording_sign_request(**kwargs: Any) -> str:
    signature = _ORIGINAL_SIGN_REQUEST(**kwargs)
    REQUEST_SIGNATURES.append(signature)
    return signature


_ORIGINAL_SIGN_REQUEST = _pubnub.sign_request


def _token_signatures(tokens: list[str]) -> list[str]:
    """Return the `sig` of each PubNub token in the forms it could be printed in."""
    forms = []
    for token in tokens:
        decoded = _cbor.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        sig = next(value for key, value in decoded.items() if key in (b"sig", "sig"))
        encoded = base64.urlsafe_b64encode(sig).decode()
        forms += [
            sig.hex(),
            encoded,
            encoded.rstrip("="),
            base64.b64encode(sig).decode(),
        ]
    return forms


Outputs = list[tuple[list[str], Result]]


@pytest.fixture(scope="module")
def outputs(loopback: Loopback, tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    """Run every command once, with --verbose, and keep what each printed."""
    tmp_path = tmp_path_factory.mktemp("secrets")
    room = "secrets-room"
    loopback.join(room, "ann")
    loopback.join(room, "bob", "subscriber")
    conference = loopback.client.get_conference_token("cat", room)
    chat = loopback.client.get_chat_token("cat", room, read=True, write=False)
    csv_path = tmp_path / "rows.csv"
    csv_path.write_text("user,room\ndan,secrets-room\neve,bad/room\n", encoding="utf-8")
    header, payload, _ = conference.split(".")

    commands = [
        ["token", "conference", "cat", room],
        ["token", "conference", "cat", room, "--json"],
        ["token", "chat", "cat", room, "--no-write"],
        ["token", "chat", "cat", room, "--json"],
        ["token", "decode", conference],
        ["token", "decode", conference, "--json"],
        ["token", "decode", chat],
        ["token", "decode", chat, "--json"],
        ["token", "verify", conference],
        ["token", "verify", conference, "--json"],
        ["token", "verify", f"{header}.{payload}.AAAA"],
        ["token", "bulk", str(csv_path)],
        ["token", "bulk", str(csv_path), "--json"],
        ["rooms"], ["rooms", "--json", "--all"],
        ["users", room], ["users", room, "--json"],
        ["hosts", room], ["hosts", room, "--json"],
        ["user", room, "ann"], ["user", room, "ann", "--json"],
        ["joined", room, "ann"], ["joined", room, "ann", "--json"],
        ["block", room, "bob", "--seconds", "60"], ["unblock", room, "bob", "--json"],
        ["recording", "start", room], ["recording", "stop", room, "--json"],
        ["recording", "stop", room],
        ["transcription", "start", room, "ann"],
        ["transcription", "stop", room, "ann", "--json"],
        ["transcripts", room], ["transcripts", room, "--json"],
        ["streams", "add", room, "cam"], ["streams", "list"],
        ["streams", "list", "--json"], ["streams", "remove", room, "cam"],
        ["block", "bad/room", "ann"],
        ["demo", "--live", "--room", room], ["demo", "--live", "--json"],
        ["rooms", "--master-secret", loopback.server.master_secret + "x"],
        ["rooms", "--master-key", "wrong-key-for-this-secret"],
    ]  # fmt: skip
    results = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_pubnub, "sign_request", _recording_sign_request)
        for command in commands:
            output = run_command(["--verbose", *command], loopback.env)
            results.append((command, output))
    return results


def _assert_hidden(output: str, values: list[str], where: str) -> None:
    for value in values:
        assert value not in output, f"a secret appeared in the output of {where}"


def test_commands_never_print_secrets(loopback: Loopback, outputs: Outputs) -> None:
    secrets = _secrets_of(loopback.emulator, [loopback.server.master_secret])

    assert len([v for v in secrets if v.startswith("v2.")]) > 0
    for command, result in outputs:
        assert result.exit_code in (0, 1, 2), (command, result.output)
        where = " ".join(command)
        _assert_hidden(result.output, secrets, where)


def test_only_token_commands_print_tokens(outputs: Outputs) -> None:
    printed_tokens = []
    for command, result in outputs:
        where = " ".join(command)
        if tuple(command[:2]) in TOKEN_COMMANDS and result.exit_code in (0, 1):
            printed_tokens += _pubnub_tokens(result.stdout)
            continue
        assert JWT_PREFIX not in result.output, where
        assert PUBNUB_TOKEN_PREFIX not in result.output, where
    signatures = _token_signatures(printed_tokens)

    assert signatures
    for command, result in outputs:
        _assert_hidden(result.output, signatures, " ".join(command))


def _pubnub_tokens(stdout: str) -> list[str]:
    words = stdout.replace('"', " ").replace(",", " ").split()
    return [word for word in words if word.startswith(PUBNUB_TOKEN_PREFIX)]


def test_demo_never_prints_secrets_or_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    emulators: list[Emulator] = []
    server_secrets: list[str] = []
    original_init = Emulator.__init__
    original_secret = EmulatorServer.master_secret

    def recording_init(self: Emulator, **options: Any) -> None:
        original_init(self, **options)
        emulators.append(self)

    def recording_secret(self: EmulatorServer) -> str:
        secret = str(original_secret.fget(self))  # type: ignore[attr-defined]
        server_secrets.append(secret)
        return secret

    monkeypatch.setattr(Emulator, "__init__", recording_init)
    monkeypatch.setattr(EmulatorServer, "master_secret", property(recording_secret))

    results = [
        run_command(["--verbose", "demo", *flags], {}) for flags in ([], ["--json"])
    ]

    assert len(emulators) == 2
    assert server_secrets
    for emulator, result in zip(emulators, results, strict=True):
        assert result.exit_code == 0, result.output
        assert emulator.master_key not in result.output
        _assert_hidden(result.output, _secrets_of(emulator, server_secrets), "demo")
        assert JWT_PREFIX not in result.output
        assert PUBNUB_TOKEN_PREFIX not in result.output

"""Hostile master keys and secrets, given to both clients and through the environment.

Every secret that cannot be opened raises `CredentialsError` from the
client's constructor, before any thread, pool or request exists, and the
message never contains the key or the secret.
"""

from __future__ import annotations

import base64
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from red5_bcs import AsyncRed5Client, CredentialsError, Red5Client, Red5Credentials
from tests.conftest import load_vectors

VECTORS = load_vectors("credentials.json")
CASE = VECTORS["open"][0]
KEY = CASE["masterKey"]
SECRET = CASE["masterSecret"]
# A port on 127.0.0.1 where nothing listens; no client here sends a request.
UNUSED_URL = "http://127.0.0.1:9"
CLIENTS = [AsyncRed5Client, Red5Client]


def _open_with(client_class: type[Any], key: object, secret: object) -> None:
    client = client_class(key, secret, base_url=UNUSED_URL, pubnub_base_url=UNUSED_URL)
    if isinstance(client, Red5Client):
        client.close()


def _problem(client_class: type[Any], key: object, secret: object) -> str | None:
    """Return what went wrong, or None when the constructor raised cleanly."""
    try:
        _open_with(client_class, key, secret)
    except CredentialsError as exc:
        leaked = [
            value
            for value in (key, secret)
            if isinstance(value, str) and len(value) >= 8 and value in str(exc)
        ]
        return "the message contains an input" if leaked else None
    except Exception as exc:
        return f"raised {type(exc).__name__}: {exc}"
    return "opened"


def _flip(text: str, index: int, bit: int) -> str:
    return text[:index] + chr(ord(text[index]) ^ (1 << bit)) + text[index + 1 :]


def test_vectors_open_through_both_clients() -> None:
    for client_class in CLIENTS:
        _open_with(client_class, KEY, SECRET)


@pytest.mark.parametrize("client_class", CLIENTS)
@pytest.mark.parametrize("case", VECTORS["refuse"], ids=lambda case: case["why"])
def test_refusal_vectors_raise_credentials_error(
    client_class: type[Any], case: dict[str, str]
) -> None:
    assert _problem(client_class, case["masterKey"], case["masterSecret"]) is None


@pytest.mark.parametrize("client_class", CLIENTS)
def test_refusal_vectors_from_environment_raise(
    client_class: type[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for case in VECTORS["refuse"]:
        monkeypatch.setenv("RED5_MASTER_KEY", case["masterKey"])
        monkeypatch.setenv("RED5_MASTER_SECRET", case["masterSecret"])

        assert _problem(client_class, None, None) is None, case["why"]


@pytest.mark.parametrize("client_class", CLIENTS)
@pytest.mark.parametrize(
    ("key", "secret"),
    [
        ("\ud800" + KEY[1:], SECRET),
        (KEY[:15] + "\udfff", SECRET),
        (KEY, SECRET[:10] + "\ud800" + SECRET[11:]),
        (KEY.encode(), SECRET),
        (KEY, SECRET.encode()),
        (12345, SECRET),
        (KEY, ["not", "a", "secret"]),
        (KEY, SECRET.replace("=", "")),
        (KEY, "A" * 1_000_000),
        (KEY[::-1], SECRET),
    ],
    ids=[
        "surrogate-first-in-key", "surrogate-16th-in-key", "surrogate-in-secret",
        "bytes-key", "bytes-secret", "int-key", "list-secret",
        "padding-removed", "megabyte-secret", "reversed-key",
    ],
)  # fmt: skip
def test_odd_inputs_raise_credentials_error(
    client_class: type[Any], key: object, secret: object
) -> None:
    threads_before = threading.active_count()

    assert _problem(client_class, key, secret) is None
    assert threading.active_count() == threads_before


@pytest.mark.parametrize("client_class", CLIENTS)
@pytest.mark.parametrize(
    ("key", "secret"),
    [(KEY, SECRET + "\n"), (KEY, " " + SECRET), (f" {KEY}\n", SECRET)],
    ids=["secret-trailing-newline", "secret-leading-space", "key-padded"],
)
def test_surrounding_whitespace_is_ignored(
    client_class: type[Any], key: str, secret: str
) -> None:
    client = client_class(key, secret, base_url="http://127.0.0.1:9")
    try:
        assert client.credentials == Red5Credentials.from_master(KEY, SECRET)
    finally:
        if client_class is Red5Client:
            client.close()


@pytest.mark.parametrize("client_class", CLIENTS)
def test_truncated_secrets_raise(
    client_class: type[Any],
) -> None:
    problems = {
        length: problem
        for length in range(len(SECRET) - 2)
        if (problem := _problem(client_class, KEY, SECRET[:length])) is not None
    }

    assert problems == {}


@pytest.mark.parametrize("client_class", CLIENTS)
def test_bit_flips_fail_or_change_nothing(client_class: type[Any]) -> None:
    # Base64 ignores the unused low bits of a last character and hex ignores
    # case, so a few flips decode to the same ciphertext. Those must open to
    # exactly the original credentials.
    original = Red5Credentials.from_master(KEY, SECRET)
    problems = []

    for index in range(len(SECRET)):
        for bit in range(7):
            flipped = _flip(SECRET, index, bit)
            problem = _problem(client_class, KEY, flipped)
            if problem == "opened":
                if Red5Credentials.from_master(KEY, flipped) != original:
                    problems.append(f"flip {index}:{bit} opened other credentials")
            elif problem is not None:
                problems.append(f"flip {index}:{bit} {problem}")

    assert problems == []


def test_ciphertext_bit_flips_raise() -> None:
    # NOTE: ECB has no integrity check, so this holds for this vector's
    # content, not by design: a flip garbles one 16-byte block, which here
    # always breaks the padding, the UTF-8 text or the host field.
    ciphertext = bytes.fromhex(base64.b64decode(SECRET).decode("ascii"))
    problems = []

    for index in range(len(ciphertext)):
        for bit in range(8):
            flipped = bytearray(ciphertext)
            flipped[index] ^= 1 << bit
            secret = base64.b64encode(flipped.hex().encode("ascii")).decode("ascii")
            problem = _problem(AsyncRed5Client, KEY, secret)
            if problem is not None:
                problems.append(f"byte {index} bit {bit}: {problem}")

    assert problems == []


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_random_secret_bytes_raise(data: bytes) -> None:
    for secret in (base64.b64encode(data).decode("ascii"), data.decode("latin-1")):
        assert _problem(AsyncRed5Client, KEY, secret) is None


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_random_key_raises_credentials_error(key: str) -> None:
    if key[:16] == KEY[:16]:
        return

    assert _problem(AsyncRed5Client, key, SECRET) is None

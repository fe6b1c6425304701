"""Opening and sealing master secrets, against Red5's known-answer vectors."""

from __future__ import annotations

import base64
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from red5_bcs import (
    CredentialsError,
    InvalidArgumentError,
    Red5Credentials,
    seal_master_secret,
)
from tests.conftest import load_vectors

VECTORS = load_vectors("credentials.json")
OPEN = VECTORS["open"] + VECTORS["open_ignoring_extra_fields"]


def _expected(case: dict[str, dict[str, str]]) -> dict[str, str]:
    expect = case["expect"]
    return {
        "conference_secret": expect["conferenceSecret"],
        "pubnub_secret_key": expect["pubnubSecretKey"],
        "pubnub_publish_key": expect["pubnubPublishKey"],
        "pubnub_subscribe_key": expect["pubnubSubscribeKey"],
        "stream_manager_host": expect["streamManagerHost"],
    }


def _plain(credentials: Red5Credentials) -> dict[str, str]:
    return {
        "conference_secret": credentials.conference_secret.get_secret_value(),
        "pubnub_secret_key": credentials.pubnub_secret_key.get_secret_value(),
        "pubnub_publish_key": credentials.pubnub_publish_key,
        "pubnub_subscribe_key": credentials.pubnub_subscribe_key,
        "stream_manager_host": credentials.stream_manager_host,
    }


@pytest.mark.parametrize("case", OPEN, ids=lambda case: case["masterKey"][:8])
def test_open_vectors_open_to_expected_fields(case: dict[str, object]) -> None:
    credentials = Red5Credentials.from_master(case["masterKey"], case["masterSecret"])
    assert _plain(credentials) == _expected(case)  # type: ignore[arg-type]


@pytest.mark.parametrize("case", VECTORS["refuse"], ids=lambda case: case["why"])
def test_refuse_vectors_raise_credentials_error(case: dict[str, str]) -> None:
    with pytest.raises(CredentialsError) as caught:
        Red5Credentials.from_master(case["masterKey"], case["masterSecret"])

    message = str(caught.value)
    assert message.endswith(".")
    if case["masterKey"]:
        assert case["masterKey"] not in message
    if case["masterSecret"]:
        assert case["masterSecret"] not in message
        assert case["masterSecret"][:12] not in message


@pytest.mark.parametrize(
    ("why", "step"),
    [
        ("secret is not base64", "base64"),
        ("base64 of text that is not hex", "hex"),
        ("hex of odd length", "odd length"),
        ("ciphertext not a whole number of AES blocks", "AES blocks"),
        ("four fields instead of five", "fields"),
        ("an empty field", "field is empty"),
        ("wrong master key", "padding"),
        ("empty secret", "secret is empty"),
        ("empty key", "key is empty"),
    ],
)
def test_refusal_message_names_failed_step(why: str, step: str) -> None:
    case = next(case for case in VECTORS["refuse"] if case["why"] == why)

    with pytest.raises(CredentialsError, match=step):
        Red5Credentials.from_master(case["masterKey"], case["masterSecret"])


@pytest.mark.parametrize("case", OPEN, ids=lambda case: case["masterKey"][:8])
def test_seal_then_open_round_trips(case: dict[str, str]) -> None:
    credentials = Red5Credentials.from_master(case["masterKey"], case["masterSecret"])

    sealed = seal_master_secret(case["masterKey"], credentials)

    assert Red5Credentials.from_master(case["masterKey"], sealed) == credentials


def test_seal_matches_vector_bytes() -> None:
    case = VECTORS["open"][0]
    credentials = Red5Credentials.from_master(case["masterKey"], case["masterSecret"])

    assert seal_master_secret(case["masterKey"], credentials) == case["masterSecret"]


def test_only_first_sixteen_key_characters_matter() -> None:
    case = VECTORS["open"][0]
    longer_key = case["masterKey"][:16] + "anything-else"

    credentials = Red5Credentials.from_master(longer_key, case["masterSecret"])

    assert credentials.stream_manager_host == case["expect"]["streamManagerHost"]


def test_repr_and_str_hide_secrets() -> None:
    case = VECTORS["open"][0]
    credentials = Red5Credentials.from_master(case["masterKey"], case["masterSecret"])

    for text in (repr(credentials), str(credentials), f"{credentials!r:}"):
        assert case["expect"]["conferenceSecret"] not in text
        assert case["expect"]["pubnubSecretKey"] not in text
    assert "**********" in repr(credentials)


def test_credentials_are_frozen() -> None:
    credentials = Red5Credentials.from_master(
        VECTORS["open"][0]["masterKey"], VECTORS["open"][0]["masterSecret"]
    )

    with pytest.raises(ValidationError):
        credentials.stream_manager_host = "evil.example"  # type: ignore[misc]


def test_credentials_survive_pickle() -> None:
    case = VECTORS["open"][1]
    credentials = Red5Credentials.from_master(case["masterKey"], case["masterSecret"])

    assert pickle.loads(pickle.dumps(credentials)) == credentials  # noqa: S301


def _credentials(**overrides: str) -> Red5Credentials:
    fields = {
        "conference_secret": SecretStr("conference-secret-value"),
        "pubnub_secret_key": SecretStr("sec-c-value"),
        "pubnub_publish_key": "pub-c-value",
        "pubnub_subscribe_key": "sub-c-value",
        "stream_manager_host": "sm.example.test",
    }
    fields.update(overrides)
    return Red5Credentials(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "host",
    ["https://sm.example.test", "sm.example.test/path", "user@host", "a b", ""],
)
def test_host_with_scheme_or_path_is_rejected(host: str) -> None:
    with pytest.raises(ValidationError):
        _credentials(stream_manager_host=host)


@pytest.mark.parametrize("host", ["sm.example.test", "10.0.0.5:5080", "[::1]:8443"])
def test_host_with_optional_port_is_accepted(host: str) -> None:
    assert _credentials(stream_manager_host=host).stream_manager_host == host


def test_base_url_uses_https_and_api_path() -> None:
    assert _credentials().base_url == "https://sm.example.test/as/v1/conference"


def test_seal_rejects_pipe_in_field() -> None:
    credentials = _credentials(pubnub_publish_key="pub|c")

    with pytest.raises(InvalidArgumentError, match="pubnubPublishKey"):
        seal_master_secret("0123456789abcdef", credentials)


def test_seal_rejects_empty_master_key() -> None:
    with pytest.raises(InvalidArgumentError, match="master_key"):
        seal_master_secret("", _credentials())


def test_non_string_inputs_raise_credentials_error() -> None:
    with pytest.raises(CredentialsError):
        Red5Credentials.from_master(None, "x")  # type: ignore[arg-type]
    with pytest.raises(CredentialsError):
        Red5Credentials.from_master("key", b"secret")  # type: ignore[arg-type]


@given(st.binary(max_size=256))
def test_random_bytes_raise_only_credentials_error(data: bytes) -> None:
    secret = base64.b64encode(data).decode("ascii")

    with pytest.raises(CredentialsError):
        Red5Credentials.from_master("7f3a9c1e5b2d48f6a0c3e9b1d7f24a68", secret)


@given(st.text(max_size=200))
def test_random_text_raises_only_credentials_error(secret: str) -> None:
    with pytest.raises(CredentialsError):
        Red5Credentials.from_master("7f3a9c1e5b2d48f6a0c3e9b1d7f24a68", secret)


@given(
    st.integers(min_value=0, max_value=10_000), st.integers(min_value=0, max_value=7)
)
def test_bit_flipped_secret_never_opens_silently(position: int, bit: int) -> None:
    case = VECTORS["open"][0]
    ciphertext = bytearray(
        bytes.fromhex(base64.b64decode(case["masterSecret"]).decode())
    )
    ciphertext[position % len(ciphertext)] ^= 1 << bit
    secret = base64.b64encode(ciphertext.hex().encode()).decode()

    try:
        credentials = Red5Credentials.from_master(case["masterKey"], secret)
    except CredentialsError:
        return
    # ECB has no integrity check: a flip outside the last block may still
    # decrypt, but never to the original credentials.
    assert _plain(credentials) != _expected(case)


@given(st.integers(min_value=1, max_value=300))
def test_truncated_secret_raises_credentials_error(length: int) -> None:
    case = VECTORS["open"][0]
    truncated = case["masterSecret"][: min(length, len(case["masterSecret"]) - 4)]

    with pytest.raises(CredentialsError):
        Red5Credentials.from_master(case["masterKey"], truncated)

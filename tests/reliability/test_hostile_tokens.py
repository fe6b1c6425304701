"""Hostile conference and PubNub tokens, verified through both clients.

Whatever the input, `verify_conference_token` returns claims only for a
token signed with HS256 by the conference secret, and otherwise raises
`InvalidTokenError` (or its subclass `ExpiredTokenError`): never another
exception. `parse_chat_token` raises only `InvalidTokenError` on garbage.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from joserfc import jws
from joserfc.jwk import RSAKey

from red5_bcs import (
    ConferenceClaims,
    ExpiredTokenError,
    InvalidTokenError,
    Red5Client,
    parse_chat_token,
)
from red5_bcs.testing import Emulator, ManualClock

NOW = 1_700_000_000
HS256 = {"alg": "HS256", "typ": "JWT"}
DIGESTS = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
HS256_BYTES = json.dumps(HS256, separators=(",", ":")).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def _sign(signing_input: str, secret: str, alg: str = "HS256") -> str:
    digest = hmac.new(secret.encode(), signing_input.encode(), DIGESTS[alg]).digest()
    return _b64(digest)


def _token(claims: Any, secret: str, header: Any = HS256, *, alg: str = "HS256") -> str:
    signing_input = f"{_b64(_json(header))}.{_b64(_json(claims))}"
    return f"{signing_input}.{_sign(signing_input, secret, alg)}"


def _raw_token(header: bytes, payload: bytes, secret: str) -> str:
    signing_input = f"{_b64(header)}.{_b64(payload)}"
    return f"{signing_input}.{_sign(signing_input, secret)}"


@pytest.fixture(scope="module")
def emulator() -> Emulator:
    return Emulator(clock=ManualClock(NOW))


@pytest.fixture(scope="module")
def red5(emulator: Emulator) -> Iterator[Red5Client]:
    with emulator.client() as client:
        yield client


@pytest.fixture(scope="module")
def secret(emulator: Emulator) -> str:
    return emulator.credentials.conference_secret.get_secret_value()


def _claims(**changes: Any) -> dict[str, Any]:
    claims = {
        "uid": "ann",
        "roomId": "standup",
        "role": "publisher",
        "pubnubSubscribeKey": "sub-c-test",
        "pubnubPublishKey": "pub-c-test",
        "pubnubToken": "pubnub-token",
        "iat": NOW,
        "exp": NOW + 3600,
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not ...}


def _hostile_tokens(secret: str) -> dict[str, object]:
    """Return every malformed or forged token, by what is wrong with it."""
    good = _token(_claims(), secret)
    header, payload, signature = good.split(".")
    rsa_key = RSAKey.generate_key(2048)
    real_rs256 = jws.serialize_compact(
        {"alg": "RS256"}, _json(_claims()), rsa_key, algorithms=["RS256"]
    )
    tokens: dict[str, object] = {
        "alg none unsigned": f"{_b64(_json({'alg': 'none'}))}.{payload}.",
        "alg none signed": _token(_claims(), secret, {"alg": "none"}),
        "HS384 signed": _token(_claims(), secret, {"alg": "HS384"}, alg="HS384"),
        "HS512 signed": _token(_claims(), secret, {"alg": "HS512"}, alg="HS512"),
        "RS256 signed": real_rs256,
        "RS256 header, HMAC signature": _token(_claims(), secret, {"alg": "RS256"}),
        "lower-case alg": _token(_claims(), secret, {"alg": "hs256"}),
        "no alg": _token(_claims(), secret, {"typ": "JWT"}),
        "header is a list": _raw_token(b"[]", _json(_claims()), secret),
        "header is not JSON": _raw_token(b"{alg", _json(_claims()), secret),
        "another secret": _token(_claims(), secret + "x"),
        "empty secret": _token(_claims(), ""),
        "tampered header": f"{_b64(_json({'alg': 'HS256'}))}.{payload}.{signature}",
        "tampered payload": f"{header}.{_b64(_json(_claims(uid='eve')))}.{signature}",
        "signature removed": f"{header}.{payload}.",
        "signature of another token": f"{header}.{payload}."
        + _token(_claims(uid="eve"), secret).split(".")[2],
        "expired": _token(_claims(iat=NOW - 7200, exp=NOW - 3600), secret),
        "issued an hour ahead": _token(_claims(iat=NOW + 3600, exp=NOW + 7200), secret),
        "issued in year 33658": _token(_claims(iat=10**12, exp=10**12 + 60), secret),
        "issued past 2**64": _token(_claims(iat=2**64, exp=2**64 + 60), secret),
        "negative times": _token(_claims(iat=-(10**12), exp=-(10**12)), secret),
        "expires before issue": _token(_claims(exp=NOW - 1), secret),
        "payload is a list": _raw_token(HS256_BYTES, b"[]", secret),
        "payload is a number": _raw_token(HS256_BYTES, b"5", secret),
        "payload nested 10,000 deep": _raw_token(
            HS256_BYTES, b"[" * 10_000 + b"]" * 10_000, secret
        ),
        "payload number of 5,000 digits": _raw_token(
            HS256_BYTES, b'{"iat": ' + b"9" * 5_000 + b"}", secret
        ),
        "payload is not UTF-8": _raw_token(HS256_BYTES, b"\xff\xfe", secret),
        "extra segment": good + ".extra",
        "trailing dot": good + ".",
        "two segments": f"{header}.{payload}",
        "leading space": " " + good,
        "trailing newline": good + "\n",
        "inner space": good[:20] + " " + good[20:],
        "not base64url": "@@@.###.$$$",
        "standard base64": good.replace("-", "+").replace("_", "/") + "+/",
        "empty": "",
        "dots only": "..",
        "megabyte": "a" * 1_000_000 + ".b.c",
        "three megabyte segments": ".".join(["a" * 1_000_000] * 3),
        "None": None,
        "int": 5,
        "bytes": good.encode("ascii"),
        "list": good.split("."),
    }
    for claim in ("uid", "roomId", "role", "pubnubToken", "iat", "exp"):
        tokens[f"missing {claim}"] = _token(_claims(**{claim: ...}), secret)
    mistyped = {
        "uid": 5, "roomId": None, "role": "owner", "pubnubToken": 5,
        "iat": "1700000000", "exp": 1.5e9, "pubnubSubscribeKey": ["x"],
    }  # fmt: skip
    for claim, value in mistyped.items():
        tokens[f"{claim} is {type(value).__name__}"] = _token(
            _claims(**{claim: value}), secret
        )
    tokens["exp is true"] = _token(_claims(exp=True), secret)
    return tokens


def _verify_both(
    red5: Red5Client, token: object
) -> Iterator[tuple[str, Callable[[], ConferenceClaims]]]:
    yield "sync", lambda: red5.verify_conference_token(token)  # type: ignore[arg-type]
    async_client = red5.async_client
    yield "async", lambda: async_client.verify_conference_token(token)  # type: ignore[arg-type]


def test_valid_token_is_accepted_by_both_clients(red5: Red5Client, secret: str) -> None:
    token = _token(_claims(), secret)

    for _, verify in _verify_both(red5, token):
        assert verify().uid == "ann"


def test_hostile_tokens_raise_invalid_token(red5: Red5Client, secret: str) -> None:
    problems = []

    for name, token in _hostile_tokens(secret).items():
        for client, verify in _verify_both(red5, token):
            try:
                verify()
            except InvalidTokenError:
                continue
            except Exception as exc:
                problems.append(f"{client}: {name} raised {type(exc).__name__}: {exc}")
            else:
                problems.append(f"{client}: {name} was accepted")

    assert problems == []


def test_expired_token_raises_expired_error(red5: Red5Client, secret: str) -> None:
    token = _token(_claims(iat=NOW - 7200, exp=NOW - 3600), secret)

    for _, verify in _verify_both(red5, token):
        with pytest.raises(ExpiredTokenError):
            verify()


def test_decode_raises_invalid_token(red5: Red5Client, secret: str) -> None:
    problems = []

    for name, token in _hostile_tokens(secret).items():
        try:
            red5.decode_conference_token(token)  # type: ignore[arg-type]
        except InvalidTokenError:
            pass
        except Exception as exc:
            problems.append(f"{name} raised {type(exc).__name__}: {exc}")

    assert problems == []


@settings(max_examples=300)
@given(
    position=st.integers(min_value=0, max_value=2_000),
    edit=st.sampled_from(["replace", "insert", "delete", "truncate"]),
    character=st.characters(codec="ascii"),
)
def test_edited_token_is_rejected_or_unchanged(
    red5: Red5Client, secret: str, position: int, edit: str, character: str
) -> None:
    token = _token(_claims(), secret)
    index = position % len(token)
    edited = {
        "replace": token[:index] + character + token[index + 1 :],
        "insert": token[:index] + character + token[index:],
        "delete": token[:index] + token[index + 1 :],
        "truncate": token[:index],
    }[edit]

    try:
        claims = red5.verify_conference_token(edited)
    except InvalidTokenError:
        return
    # An edit can only be accepted when it changes nothing that is signed.
    assert claims == red5.verify_conference_token(token)


@settings(max_examples=200)
@given(st.text(max_size=300))
def test_any_text_is_rejected_by_both_clients(red5: Red5Client, text: str) -> None:
    for _, verify in _verify_both(red5, text):
        with pytest.raises(InvalidTokenError):
            verify()


# PubNub tokens

# Hand-written CBOR maps whose keys are not text: {1: 2}, {b"\xff": 1} and
# {b"v": 2, 7: 1}.
NON_TEXT_KEYS = [b"\xa1\x01\x02", b"\xa1\x41\xff\x01", b"\xa2\x41v\x02\x07\x01"]


@pytest.mark.parametrize("raw", NON_TEXT_KEYS)
def test_chat_token_with_non_text_keys_is_invalid(raw: bytes) -> None:
    token = base64.urlsafe_b64encode(raw).decode("ascii")

    with pytest.raises(InvalidTokenError):
        parse_chat_token(token)


@settings(max_examples=300)
@given(st.binary(max_size=64), st.sampled_from([b"", b"\xa8", b"\xa1", b"\xbf"]))
def test_random_bytes_chat_token_is_invalid(data: bytes, prefix: bytes) -> None:
    token = base64.urlsafe_b64encode(prefix + data).decode("ascii")

    with contextlib.suppress(InvalidTokenError):
        parse_chat_token(token)


@settings(max_examples=200)
@given(st.text(max_size=100))
def test_random_text_chat_token_is_invalid(text: str) -> None:
    with contextlib.suppress(InvalidTokenError):
        parse_chat_token(text)

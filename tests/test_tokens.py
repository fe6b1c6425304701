"""Conference and admin tokens: signing, verification and hostile input."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from joserfc import jws
from joserfc.jwk import OctKey, RSAKey

from red5_bcs import (
    ConferenceClaims,
    ExpiredTokenError,
    HS256Minter,
    InvalidArgumentError,
    InvalidTokenError,
    Role,
    TokenMinter,
    decode_conference_token,
    verify_conference_token,
)
from red5_bcs._tokens import AdminClaims, AdminTokenCache, verify_token

SECRET = "conf-secret-0123456789abcdef0123456789abcdef"
NOW = 1_800_000_000


def _claims(**overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "uid": "alice",
        "roomId": "standup",
        "role": "publisher",
        "pubnubSubscribeKey": "sub-c-1",
        "pubnubPublishKey": "pub-c-1",
        "pubnubToken": "qEF2AkF0GmVb",
        "iat": NOW,
        "exp": NOW + 3600,
    }
    claims.update(overrides)
    return {key: value for key, value in claims.items() if value is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _hand_signed(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    signing_input = (
        f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    )
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _mint(**overrides: Any) -> str:
    return HS256Minter().mint(_claims(**overrides), SECRET.encode())


def _verify(token: str, **kwargs: Any) -> ConferenceClaims:
    return verify_token(token, SECRET, ConferenceClaims, now=NOW, **kwargs)


def test_minted_token_matches_hand_written_hs256() -> None:
    claims = _claims()

    token = HS256Minter().mint(claims, SECRET.encode())

    header = {"alg": "HS256", "typ": "JWT"}
    signing_input = (
        _b64(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + _b64(json.dumps(claims, separators=(",", ":")).encode())
    )
    signature = hmac.new(SECRET.encode(), signing_input.encode(), hashlib.sha256)
    assert token == f"{signing_input}.{_b64(signature.digest())}"


def test_header_is_hs256_jwt_in_node_order() -> None:
    header = _mint().split(".")[0]

    assert base64.urlsafe_b64decode(header + "==") == b'{"alg":"HS256","typ":"JWT"}'


def test_verify_returns_typed_claims() -> None:
    claims = _verify(_mint())

    assert claims.uid == "alice"
    assert claims.room_id == "standup"
    assert claims.role is Role.PUBLISHER
    assert claims.pubnub_token == "qEF2AkF0GmVb"
    assert claims.issued_at.timestamp() == NOW
    assert claims.expires_at.timestamp() == NOW + 3600
    assert claims.model_dump(by_alias=True)["roomId"] == "standup"


def test_claims_repr_hides_pubnub_token() -> None:
    assert "qEF2AkF0GmVb" not in repr(_verify(_mint()))


def test_public_verify_uses_current_time() -> None:
    now = int(time.time())
    token = _mint(iat=now, exp=now + 60)

    assert verify_conference_token(token, SECRET).uid == "alice"


def test_expired_token_raises_expired_error() -> None:
    token = _mint(iat=NOW - 7200, exp=NOW - 31)

    with pytest.raises(ExpiredTokenError, match="expired"):
        _verify(token)


def test_expiry_within_leeway_is_accepted() -> None:
    assert _verify(_mint(iat=NOW - 7200, exp=NOW - 29)).uid == "alice"


def test_zero_leeway_is_strict() -> None:
    with pytest.raises(ExpiredTokenError):
        _verify(_mint(iat=NOW - 100, exp=NOW - 1), leeway=0)


def test_issued_in_future_is_rejected() -> None:
    with pytest.raises(InvalidTokenError, match="future"):
        _verify(_mint(iat=NOW + 600, exp=NOW + 4200))


def test_expiry_before_issue_is_rejected() -> None:
    with pytest.raises(InvalidTokenError, match="before it was issued"):
        _verify(_mint(iat=NOW, exp=NOW - 10), leeway=60)


@pytest.mark.parametrize("leeway", [-1, float("nan"), float("inf"), "30", True, None])
def test_bad_leeway_is_invalid_argument(leeway: object) -> None:
    with pytest.raises(InvalidArgumentError, match="leeway"):
        verify_conference_token(_mint(), SECRET, leeway=leeway)  # type: ignore[arg-type]


@pytest.mark.parametrize("algorithm", ["none", "HS384", "HS512", "RS256", "ES256"])
def test_non_hs256_header_is_rejected(algorithm: str) -> None:
    token = _hand_signed({"alg": algorithm, "typ": "JWT"}, _claims(), SECRET.encode())

    with pytest.raises(InvalidTokenError):
        _verify(token)


def test_alg_none_without_signature_is_rejected() -> None:
    header = _b64(b'{"alg":"none","typ":"JWT"}')
    payload = _b64(json.dumps(_claims()).encode())

    with pytest.raises(InvalidTokenError):
        _verify(f"{header}.{payload}.")


def test_real_hs512_token_is_rejected() -> None:
    key = OctKey.import_key(SECRET.encode())
    token = jws.serialize_compact(
        {"alg": "HS512"}, json.dumps(_claims()).encode(), key, algorithms=["HS512"]
    )

    with pytest.raises(InvalidTokenError, match="HS256"):
        _verify(token)


def test_real_rs256_token_is_rejected() -> None:
    key = RSAKey.generate_key(2048)
    token = jws.serialize_compact(
        {"alg": "RS256"}, json.dumps(_claims()).encode(), key, algorithms=["RS256"]
    )

    with pytest.raises(InvalidTokenError):
        _verify(token)


def test_foreign_secret_is_rejected() -> None:
    token = HS256Minter().mint(_claims(), b"another-secret-of-enough-length")

    with pytest.raises(InvalidTokenError, match="signature"):
        _verify(token)


def test_tampered_payload_is_rejected() -> None:
    header, _, signature = _mint().split(".")
    payload = _b64(json.dumps(_claims(role="admin")).encode())

    with pytest.raises(InvalidTokenError, match="signature"):
        _verify(f"{header}.{payload}.{signature}")


def test_tampered_header_is_rejected() -> None:
    _, payload, signature = _mint().split(".")
    header = _b64(b'{"alg":"HS256","typ":"JWT","kid":"x"}')

    with pytest.raises(InvalidTokenError):
        _verify(f"{header}.{payload}.{signature}")


@pytest.mark.parametrize(
    "claim",
    ["uid", "roomId", "role", "pubnubSubscribeKey", "pubnubToken", "iat", "exp"],
)
def test_missing_claim_is_rejected(claim: str) -> None:
    claims = _claims()
    del claims[claim]
    token = HS256Minter().mint(claims, SECRET.encode())

    with pytest.raises(InvalidTokenError, match=claim):
        _verify(token)


@pytest.mark.parametrize(
    ("claim", "value"),
    [
        ("uid", 7),
        ("roomId", None),
        ("role", "owner"),
        ("iat", "1800000000"),
        ("iat", 1.8e9),
        ("exp", True),
        ("pubnubToken", ["x"]),
    ],
)
def test_mistyped_claim_is_rejected(claim: str, value: object) -> None:
    claims = _claims()
    claims[claim] = value
    token = HS256Minter().mint(claims, SECRET.encode())

    with pytest.raises(InvalidTokenError, match="claims are invalid"):
        _verify(token)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "abc",
        "a.b",
        "a.b.c.d",
        " " + "x.y.z",
        "x.y.z\n",
        "!!!.???.***",
        "e30.e30.",
        "bm90IGpzb24.bm90IGpzb24.c2ln",
        "W10.W10.c2ln",
        "x" * 1_000_000,
        ".".join(["x" * 400_000] * 3),
    ],
)
def test_garbage_raises_invalid_token_error(garbage: str) -> None:
    with pytest.raises(InvalidTokenError):
        _verify(garbage)
    with pytest.raises(InvalidTokenError):
        decode_conference_token(garbage)


@pytest.mark.parametrize("value", [None, 1, b"a.b.c", ["a", "b", "c"]])
def test_non_string_token_raises_invalid_token_error(value: object) -> None:
    with pytest.raises(InvalidTokenError):
        _verify(value)  # type: ignore[arg-type]
    with pytest.raises(InvalidTokenError):
        decode_conference_token(value)  # type: ignore[arg-type]


def test_extra_segment_is_rejected() -> None:
    with pytest.raises(InvalidTokenError):
        _verify(_mint() + ".extra")


@given(st.text(max_size=300))
def test_arbitrary_text_raises_only_invalid_token_error(text: str) -> None:
    with pytest.raises(InvalidTokenError):
        _verify(text)


@given(st.integers(min_value=0, max_value=10_000), st.sampled_from("AaZz09-_."))
def test_single_character_change_is_rejected(position: int, replacement: str) -> None:
    token = _mint()
    index = position % len(token)
    if token[index] == replacement:
        return
    tampered = token[:index] + replacement + token[index + 1 :]

    with pytest.raises(InvalidTokenError):
        _verify(tampered)


def test_decode_skips_signature_but_checks_claims() -> None:
    token = HS256Minter().mint(_claims(), b"some-other-secret-value")

    assert decode_conference_token(token).uid == "alice"


def test_error_messages_never_contain_token_or_secret() -> None:
    token = _mint()
    failures: list[str] = []
    for attempt in (token[:-2] + "xx", token + "x", token.replace(".", "..", 1)):
        try:
            _verify(attempt)
        except InvalidTokenError as exc:
            failures.append(str(exc) + repr(exc))

    assert len(failures) == 3
    for text in failures:
        assert SECRET not in text
        assert token.split(".")[2] not in text
        assert token.split(".")[1][:20] not in text


def test_short_secret_signs_without_warning() -> None:
    token = HS256Minter().mint(_claims(), b"a")

    assert verify_token(token, "a", ConferenceClaims, now=NOW).uid == "alice"


def test_hs256_minter_satisfies_protocol() -> None:
    assert isinstance(HS256Minter(), TokenMinter)


class _CountingMinter:
    def __init__(self) -> None:
        self.calls = 0
        self._lock = threading.Lock()

    def mint(self, claims: Any, secret: bytes) -> str:
        with self._lock:
            self.calls += 1
        return HS256Minter().mint(claims, secret)


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_admin_cache_reuses_token_per_room() -> None:
    minter = _CountingMinter()
    cache = AdminTokenCache(minter, SECRET.encode(), clock=_Clock(NOW))

    first = cache.get("room-1")

    assert cache.get("room-1") == first
    assert cache.get("room-2") != first
    assert minter.calls == 2


def test_admin_token_has_admin_claims() -> None:
    cache = AdminTokenCache(HS256Minter(), SECRET.encode(), clock=_Clock(NOW))

    claims = verify_token(cache.get("room-1"), SECRET, AdminClaims, now=NOW)

    assert claims.uid == "admin"
    assert claims.role is Role.ADMIN
    assert claims.room_id == "room-1"
    assert claims.exp - claims.iat == 3600


def test_admin_cache_renews_five_minutes_before_expiry() -> None:
    clock = _Clock(NOW)
    minter = _CountingMinter()
    cache = AdminTokenCache(minter, SECRET.encode(), clock=clock)
    first = cache.get("room-1")

    clock.now = NOW + 3600 - 301
    assert cache.get("room-1") == first
    clock.now = NOW + 3600 - 300
    second = cache.get("room-1")

    assert second != first
    assert minter.calls == 2


def test_admin_cache_is_bounded() -> None:
    cache = AdminTokenCache(
        HS256Minter(), SECRET.encode(), clock=_Clock(NOW), max_rooms=3
    )

    for room in ("a", "b", "c", "d"):
        cache.get(room)

    assert "rooms=3" in repr(cache)


def test_admin_cache_mints_once_across_threads() -> None:
    minter = _CountingMinter()
    cache = AdminTokenCache(minter, SECRET.encode(), clock=_Clock(NOW))
    barrier = threading.Barrier(16)
    tokens: list[str] = []

    def worker() -> None:
        barrier.wait()
        tokens.append(cache.get("shared-room"))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(tokens)) == 1
    assert minter.calls == 1

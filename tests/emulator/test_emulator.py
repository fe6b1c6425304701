"""The Emulator object itself: credentials, URLs, clock and the public names."""

from __future__ import annotations

import math

import pytest
from pydantic import SecretStr

import red5_bcs.testing
from red5_bcs import InvalidArgumentError, Red5Credentials
from red5_bcs.testing import Emulator, ManualClock


def test_generated_account_opens_with_its_key() -> None:
    emulator = Emulator()
    opened = Red5Credentials.from_master(emulator.master_key, emulator.master_secret)

    assert opened == emulator.credentials
    assert opened.stream_manager_host == "red5-emulator.invalid"
    assert emulator.base_url == "https://red5-emulator.invalid/as/v1/conference"
    assert emulator.pubnub_base_url == "https://pubnub-emulator.invalid"


def test_each_emulator_has_its_own_secrets() -> None:
    first, second = Emulator(), Emulator()

    assert first.master_key != second.master_key
    assert first.credentials.conference_secret != second.credentials.conference_secret
    assert (
        first.credentials.pubnub_subscribe_key
        != second.credentials.pubnub_subscribe_key
    )


def test_given_key_and_credentials_are_sealed() -> None:
    credentials = Red5Credentials(
        conference_secret=SecretStr("conference-secret"),
        pubnub_secret_key=SecretStr("sec-c-given"),
        pubnub_publish_key="pub-c-given",
        pubnub_subscribe_key="sub-c-given",
        stream_manager_host="sm.example.test:8443",
    )

    emulator = Emulator(master_key="0123456789abcdef-given", credentials=credentials)

    assert emulator.master_key == "0123456789abcdef-given"
    assert (
        Red5Credentials.from_master(emulator.master_key, emulator.master_secret)
        == credentials
    )
    assert emulator.base_url == "https://sm.example.test:8443/as/v1/conference"


def test_empty_master_key_is_rejected() -> None:
    with pytest.raises(InvalidArgumentError):
        Emulator(master_key="")


def test_env_has_four_variables() -> None:
    emulator = Emulator()

    assert emulator.env() == {
        "RED5_MASTER_KEY": emulator.master_key,
        "RED5_MASTER_SECRET": emulator.master_secret,
        "RED5_BASE_URL": emulator.base_url,
        "RED5_PUBNUB_BASE_URL": emulator.pubnub_base_url,
    }


def test_repr_hides_secrets() -> None:
    emulator = Emulator()

    assert emulator.master_secret not in repr(emulator)
    assert emulator.master_key not in repr(emulator)


def test_default_clock_is_wall_clock() -> None:
    import time

    assert abs(Emulator().clock() - time.time()) < 5


def test_manual_clock_moves_only_forward() -> None:
    clock = ManualClock()

    assert clock() == clock.now() == 1_700_000_000
    assert clock.advance(1.5) == 1_700_000_001.5
    assert clock.advance(0) == 1_700_000_001.5
    assert repr(clock) == "<ManualClock now=1700000001.5>"


@pytest.mark.parametrize("seconds", [-1, math.inf, math.nan, "5", True])
def test_manual_clock_rejects_bad_steps(seconds: object) -> None:
    clock = ManualClock()

    with pytest.raises(ValueError, match="seconds"):
        clock.advance(seconds)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="start"):
        ManualClock(seconds)  # type: ignore[arg-type]


def test_public_names_are_sorted_and_importable() -> None:
    names = red5_bcs.testing.__all__

    assert names == sorted(names)
    assert sorted(dir(red5_bcs.testing)) == names
    for name in names:
        assert getattr(red5_bcs.testing, name) is not None
    with pytest.raises(AttributeError):
        _ = red5_bcs.testing.Nothing  # type: ignore[attr-defined]

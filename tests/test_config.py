"""Client settings: arguments, environment variables and their precedence."""

from __future__ import annotations

import httpx2
import pytest
from pydantic import SecretStr

from red5_bcs import ConfigurationError, CredentialsError, Red5Credentials
from red5_bcs._config import (
    resolve_base_url,
    resolve_credentials,
    resolve_pubnub_base_url,
    resolve_timeout,
)
from tests.conftest import load_vectors

CASE = load_vectors("credentials.json")["open"][0]
KEY, SECRET = CASE["masterKey"], CASE["masterSecret"]
CREDENTIALS = Red5Credentials(
    conference_secret=SecretStr("c" * 32),
    pubnub_secret_key=SecretStr("sec-c-x"),
    pubnub_publish_key="pub-c-x",
    pubnub_subscribe_key="sub-c-x",
    stream_manager_host="sm.example.test:8443",
)


def test_arguments_open_master_secret() -> None:
    credentials = resolve_credentials(KEY, SECRET, None, environ={})

    assert credentials.stream_manager_host == "sm.example.test"


def test_environment_supplies_missing_arguments() -> None:
    environ = {"RED5_MASTER_KEY": KEY, "RED5_MASTER_SECRET": SECRET}

    assert resolve_credentials(None, None, None, environ).pubnub_publish_key.startswith(
        "pub-c-1111"
    )


def test_arguments_beat_environment() -> None:
    environ = {"RED5_MASTER_KEY": "wrong-key-wrong-key", "RED5_MASTER_SECRET": "x"}

    credentials = resolve_credentials(KEY, SECRET, None, environ)

    assert credentials.stream_manager_host == "sm.example.test"


def test_nothing_names_both_variables() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_credentials(None, None, None, environ={})

    assert "RED5_MASTER_KEY" in str(caught.value)
    assert "RED5_MASTER_SECRET" in str(caught.value)


def test_missing_secret_names_its_variable() -> None:
    with pytest.raises(ConfigurationError, match="RED5_MASTER_SECRET"):
        resolve_credentials(KEY, None, None, environ={})


def test_missing_key_names_its_variable() -> None:
    with pytest.raises(ConfigurationError, match="RED5_MASTER_KEY"):
        resolve_credentials(None, SECRET, None, environ={})


def test_bad_secret_error_names_variables_without_values() -> None:
    with pytest.raises(CredentialsError) as caught:
        resolve_credentials(KEY, SECRET[:-8] + "AAAAAAA=", None, environ={})

    assert "RED5_MASTER_SECRET" in str(caught.value)
    assert SECRET[:16] not in str(caught.value)
    assert KEY not in str(caught.value)


def test_credentials_object_is_used_as_is() -> None:
    environ = {"RED5_MASTER_KEY": KEY, "RED5_MASTER_SECRET": SECRET}

    assert resolve_credentials(None, None, CREDENTIALS, environ) is CREDENTIALS


def test_credentials_and_master_key_conflict() -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        resolve_credentials(KEY, None, CREDENTIALS, environ={})


def test_credentials_of_wrong_type_are_rejected() -> None:
    with pytest.raises(ConfigurationError, match="Red5Credentials"):
        resolve_credentials(None, None, {"a": 1}, environ={})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (None, "https://sm.example.test:8443/as/v1/conference"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/as/v1/conference"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765/as/v1/conference"),
        ("sm2.example.test", "https://sm2.example.test/as/v1/conference"),
        ("https://proxy.test/red5/api/", "https://proxy.test/red5/api"),
    ],
)
def test_base_url_forms(given: str | None, expected: str) -> None:
    assert resolve_base_url(given, CREDENTIALS, environ={}) == expected


def test_base_url_from_environment_and_argument_precedence() -> None:
    environ = {"RED5_BASE_URL": "http://127.0.0.1:9000"}

    assert resolve_base_url(None, CREDENTIALS, environ).startswith(
        "http://127.0.0.1:9000"
    )
    assert resolve_base_url("http://127.0.0.1:1", CREDENTIALS, environ).startswith(
        "http://127.0.0.1:1/"
    )


@pytest.mark.parametrize(
    "given",
    [
        "",
        "   ",
        "ftp://host",
        "http://",
        "http://h/?q=1",
        "http://u:p@h",
        "http://h/#x",
    ],
)
def test_bad_base_url_is_configuration_error(given: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url"):
        resolve_base_url(given, CREDENTIALS, environ={})


def test_pubnub_base_url_precedence() -> None:
    environ = {"RED5_PUBNUB_BASE_URL": "http://127.0.0.1:9001/"}

    assert resolve_pubnub_base_url(None, environ={}) == "https://ps.pndsn.com"
    assert resolve_pubnub_base_url(None, environ) == "http://127.0.0.1:9001"
    assert (
        resolve_pubnub_base_url("http://127.0.0.1:2", environ) == "http://127.0.0.1:2"
    )


def test_timeout_number_caps_connect_at_five_seconds() -> None:
    timeout = resolve_timeout(30)

    assert timeout.read == 30.0
    assert timeout.connect == 5.0
    assert resolve_timeout(2.5).connect == 2.5


def test_timeout_object_and_none_pass_through() -> None:
    custom = httpx2.Timeout(1.0, read=7.0)

    assert resolve_timeout(custom) is custom
    assert resolve_timeout(None).read is None


@pytest.mark.parametrize("value", [0, -1, float("nan"), float("inf"), "10", True])
def test_bad_timeout_is_configuration_error(value: object) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        resolve_timeout(value)  # type: ignore[arg-type]

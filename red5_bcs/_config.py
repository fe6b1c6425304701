"""Client settings: explicit arguments first, then `RED5_*` environment variables."""

from __future__ import annotations

import math
import os
import urllib.parse
from collections.abc import Mapping

import httpx2

from ._credentials import Red5Credentials
from ._errors import ConfigurationError, CredentialsError
from ._pubnub import DEFAULT_PUBNUB_BASE_URL

__all__ = [
    "CONFERENCE_API_PATH",
    "ENV_BASE_URL",
    "ENV_MASTER_KEY",
    "ENV_MASTER_SECRET",
    "ENV_PUBNUB_BASE_URL",
    "resolve_base_url",
    "resolve_credentials",
    "resolve_pubnub_base_url",
    "resolve_timeout",
]

ENV_MASTER_KEY = "RED5_MASTER_KEY"
ENV_MASTER_SECRET = "RED5_MASTER_SECRET"  # noqa: S105 - a variable name
ENV_BASE_URL = "RED5_BASE_URL"
ENV_PUBNUB_BASE_URL = "RED5_PUBNUB_BASE_URL"
CONFERENCE_API_PATH = "/as/v1/conference"


def resolve_credentials(
    master_key: str | None,
    master_secret: str | None,
    credentials: Red5Credentials | None,
    environ: Mapping[str, str] = os.environ,
) -> Red5Credentials:
    """Pick credentials from the arguments, else from the environment.

    Raises:
        ConfigurationError: Nothing was given, only half of a key and secret
            pair was found, or both `credentials` and a master key were given.
        CredentialsError: The master secret cannot be opened with the key.
    """
    if credentials is not None:
        if master_key is not None or master_secret is not None:
            raise ConfigurationError(
                "Pass either credentials or master_key and master_secret, not both."
            )
        if not isinstance(credentials, Red5Credentials):
            raise ConfigurationError(
                "credentials must be a Red5Credentials, not "
                f"{type(credentials).__name__}."
            )
        return credentials

    key = master_key if master_key is not None else environ.get(ENV_MASTER_KEY)
    secret = (
        master_secret if master_secret is not None else environ.get(ENV_MASTER_SECRET)
    )
    if key is None and secret is None:
        raise ConfigurationError(
            f"No Red5 credentials: pass master_key and master_secret, or set the "
            f"{ENV_MASTER_KEY} and {ENV_MASTER_SECRET} environment variables."
        )
    if key is None:
        raise ConfigurationError(
            f"The master key is missing: pass master_key or set {ENV_MASTER_KEY}."
        )
    if secret is None:
        raise ConfigurationError(
            f"The master secret is missing: pass master_secret or set "
            f"{ENV_MASTER_SECRET}."
        )
    try:
        return Red5Credentials.from_master(key, secret)
    except CredentialsError as exc:
        raise CredentialsError(
            f"{exc} Check {ENV_MASTER_KEY} and {ENV_MASTER_SECRET}."
        ) from None


def resolve_base_url(
    base_url: str | None,
    credentials: Red5Credentials,
    environ: Mapping[str, str] = os.environ,
) -> str:
    """Return the conference API base URL, without a trailing slash.

    `base_url` (or `RED5_BASE_URL`) may be a bare `host[:port]`, which is
    reached over https, or a URL with a scheme. A URL without a path gets
    `/as/v1/conference` appended; a URL with a path is used as it is.
    Without either, the host sealed in the credentials is used over https.
    """
    chosen = base_url if base_url is not None else environ.get(ENV_BASE_URL)
    if chosen is None:
        return credentials.base_url
    return _normalize_url("base_url", chosen, default_path=CONFERENCE_API_PATH)


def resolve_pubnub_base_url(
    pubnub_base_url: str | None, environ: Mapping[str, str] = os.environ
) -> str:
    """Return PubNub's base URL: the argument, `RED5_PUBNUB_BASE_URL` or PubNub's."""
    chosen = (
        pubnub_base_url
        if pubnub_base_url is not None
        else environ.get(ENV_PUBNUB_BASE_URL, DEFAULT_PUBNUB_BASE_URL)
    )
    return _normalize_url("pubnub_base_url", chosen, default_path="")


def _normalize_url(name: str, value: object, *, default_path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{name} must be a non-empty URL or host.")
    text = value.strip()
    if "://" not in text:
        text = f"https://{text}"

    parts = _split_url(name, text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"{name} must be an http:// or https:// URL with a host, such as "
            "https://sm.example.com or http://127.0.0.1:8765."
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ConfigurationError(
            f"{name} must not contain a query, a fragment or user info."
        )
    path = parts.path.rstrip("/") or default_path
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _split_url(name: str, text: str) -> urllib.parse.SplitResult:
    """Split a URL, raising for one that httpx2 could not send a request to."""
    try:
        parts = urllib.parse.urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
        httpx2.URL(text)
    except (ValueError, httpx2.InvalidURL):
        raise _invalid_url(name) from None

    host = parts.hostname or ""
    if any(char.isspace() or not char.isprintable() for char in host):
        raise _invalid_url(name)
    return parts


def _invalid_url(name: str) -> ConfigurationError:
    return ConfigurationError(
        f"{name} is not a valid URL: check the host name, the IPv6 brackets and "
        "the port (0 to 65535)."
    )


def resolve_timeout(timeout: float | httpx2.Timeout | None) -> httpx2.Timeout:
    """Turn a number of seconds into a timeout, with connecting capped at 5 s."""
    if isinstance(timeout, httpx2.Timeout):
        return timeout
    if timeout is None:
        return httpx2.Timeout(None)
    valid = isinstance(timeout, int | float) and not isinstance(timeout, bool)
    if not valid or not (0 < timeout < math.inf):
        raise ConfigurationError(
            "timeout must be a positive number of seconds, an httpx2.Timeout or "
            f"None, not {_shown(timeout)}."
        )
    return httpx2.Timeout(float(timeout), connect=min(5.0, float(timeout)))


def _shown(value: object) -> str:
    if isinstance(value, int | float | str) and len(repr(value)) <= 40:
        return repr(value)
    return f"a {type(value).__name__}"

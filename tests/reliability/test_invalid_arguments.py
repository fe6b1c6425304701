"""Wrong arguments to any public method of either client raise a typed error.

Each bad value must raise `InvalidArgumentError` naming the argument, before
a single request: never an `AttributeError` or a `TypeError` from deep
inside, and never a request to the emulator. Constructor options raise
`ConfigurationError` (or `InvalidArgumentError` for `max_retries`).
"""

from __future__ import annotations

import inspect
import math
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from red5_bcs import (
    AsyncRed5Client,
    ConfigurationError,
    InvalidArgumentError,
    Red5Client,
    Red5Error,
)
from red5_bcs.testing import Emulator, ManualClock

NAN = math.nan
INF = math.inf
# A port on 127.0.0.1 where nothing listens: no client here sends a request.
UNUSED_URL = "http://127.0.0.1:9"

ID_VALUES: list[Any] = [
    None, 1, 1.5, b"ann", True, ["ann"], "", "   ", "\t\n", "a\x00b", "a\x1fb",
    "a\x7fb", "a\x85b", "a\ud800b", "\udfff", "x" * 300, ".", "..", " .. ",
]  # fmt: skip
CHANNEL_VALUES = [*ID_VALUES, "a/b", "a b", "a,b", "a:b", "a*b", "a\\b", "x" * 86]
USER_VALUES = [*ID_VALUES, "x" * 93]
STREAM_VALUES = [*ID_VALUES, "x" * 257]
PAGE_VALUES: list[Any] = [None, "10", 1.5, NAN, INF, True, False, 0, -1]
OFFSET_VALUES: list[Any] = [None, "0", 0.0, NAN, True, -1]
MINUTES_VALUES: list[Any] = [
    None, "60", 60.0, NAN, INF, -INF, True, False, 0, -1, 43_201, 10**20,
]  # fmt: skip
BOOL_VALUES: list[Any] = ["true", "", 1, 0, None, 1.0]
ROLE_VALUES: list[Any] = [None, 1, "owner", "Admin", " admin", b"admin"]
STATE_VALUES: list[Any] = [None, 1, "open", "ALL", b"all"]
SECONDS_VALUES: list[Any] = [None, "60", 60.0, NAN, INF, True, 0, -1]
TIME_VALUES: list[Any] = [
    -1, 1.5, NAN, "1700000000000", True, datetime(2024, 1, 1),
    datetime(1969, 12, 31, tzinfo=UTC), date(2024, 1, 1),
]  # fmt: skip
LEEWAY_VALUES: list[Any] = [-1, NAN, INF, "30", True, None]

# Each method: its valid arguments, then the bad values of each argument.
METHODS: dict[str, tuple[dict[str, Any], dict[str, list[Any]]]] = {
    "get_conference_token": (
        {"user_id": "ann", "room_id": "standup", "role": "publisher",
         "expiration_minutes": 60},
        {"user_id": USER_VALUES, "room_id": CHANNEL_VALUES, "role": ROLE_VALUES,
         "expiration_minutes": MINUTES_VALUES},
    ),
    "get_chat_token": (
        {"user_id": "ann", "channel_id": "standup", "read": True, "write": True,
         "ttl_minutes": 60},
        {"user_id": USER_VALUES, "channel_id": CHANNEL_VALUES, "read": BOOL_VALUES,
         "write": BOOL_VALUES, "ttl_minutes": MINUTES_VALUES},
    ),
    "verify_conference_token": (
        {"token": "a.b.c", "leeway": 30}, {"leeway": LEEWAY_VALUES},
    ),
    "get_user_status": (
        {"room_id": "standup", "user_id": "ann"},
        {"room_id": CHANNEL_VALUES, "user_id": USER_VALUES},
    ),
    "is_user_joined": (
        {"room_id": "standup", "user_id": "ann"},
        {"room_id": CHANNEL_VALUES, "user_id": USER_VALUES},
    ),
    "get_user_list": (
        {"room_id": "standup", "limit": 10, "offset": 0},
        {"room_id": CHANNEL_VALUES, "limit": PAGE_VALUES, "offset": OFFSET_VALUES},
    ),
    "iter_users": (
        {"room_id": "standup", "page_size": 10},
        {"room_id": CHANNEL_VALUES, "page_size": PAGE_VALUES},
    ),
    "get_host_list": ({"room_id": "standup"}, {"room_id": CHANNEL_VALUES}),
    "get_room_list": (
        {"state": "active", "limit": 10, "offset": 0},
        {"state": STATE_VALUES, "limit": PAGE_VALUES, "offset": OFFSET_VALUES},
    ),
    "iter_rooms": (
        {"state": "active", "page_size": 10},
        {"state": STATE_VALUES, "page_size": PAGE_VALUES},
    ),
    "block_user": (
        {"room_id": "standup", "user_id": "ann", "block_duration_seconds": 60},
        {"room_id": CHANNEL_VALUES, "user_id": USER_VALUES,
         "block_duration_seconds": SECONDS_VALUES},
    ),
    "unblock_user": (
        {"room_id": "standup", "user_id": "ann"},
        {"room_id": CHANNEL_VALUES, "user_id": USER_VALUES},
    ),
    "start_recording": ({"room_id": "standup"}, {"room_id": CHANNEL_VALUES}),
    "stop_recording": ({"room_id": "standup"}, {"room_id": CHANNEL_VALUES}),
    "start_transcription": (
        {"room_id": "standup", "user_id": "ann"},
        {"room_id": CHANNEL_VALUES, "user_id": USER_VALUES},
    ),
    "stop_transcription": (
        {"room_id": "standup", "user_id": "ann"},
        {"room_id": CHANNEL_VALUES, "user_id": USER_VALUES},
    ),
    "get_transcriptions": (
        {"room_id": "standup", "start_time": None, "end_time": None},
        {"room_id": CHANNEL_VALUES, "start_time": TIME_VALUES, "end_time": TIME_VALUES},
    ),
    "add_external_stream": (
        {"room_id": "standup", "stream_id": "cam"},
        {"room_id": CHANNEL_VALUES, "stream_id": STREAM_VALUES},
    ),
    "remove_external_stream": (
        {"room_id": "standup", "stream_id": "cam"},
        {"room_id": CHANNEL_VALUES, "stream_id": STREAM_VALUES},
    ),
}  # fmt: skip
# Argument combinations that are invalid only together.
COMBINATIONS: list[tuple[str, dict[str, Any], str]] = [
    ("get_chat_token", {"read": False, "write": False}, "read"),
    ("get_transcriptions", {"start_time": 2_000, "end_time": 1_000}, "end_time"),
]
# Public methods that take no argument a caller could get wrong, or that take
# only a token, which `InvalidTokenError` covers (see test_hostile_tokens).
NO_ARGUMENTS = {"aclose", "close", "get_external_streams", "decode_conference_token"}


def _cases(name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    valid, bad = METHODS[name]
    for argument, values in bad.items():
        for value in values:
            yield argument, {**valid, argument: value}
    for method, arguments, argument in COMBINATIONS:
        if method == name:
            yield argument, {**valid, **arguments}


def _public_methods(cls: type) -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(cls, callable)
        if not name.startswith("_") and name != "with_options"
    }


def _describe(name: str, arguments: dict[str, Any]) -> str:
    text = ", ".join(f"{key}={value!r}"[:60] for key, value in arguments.items())
    return f"{name}({text})"


def _check_error(
    where: str, error: BaseException | None, argument: str, emulator: Emulator
) -> list[str]:
    problems = []
    if error is None:
        problems.append(f"{where} was accepted")
    elif not isinstance(error, InvalidArgumentError):
        problems.append(f"{where} raised {type(error).__name__}: {error}")
    elif error.argument != argument:
        problems.append(f"{where} blamed {error.argument!r}, not {argument!r}")
    if emulator.requests:
        problems.append(f"{where} sent {len(emulator.requests)} requests")
        emulator.clear_requests()
    return problems


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(clock=ManualClock())


def test_every_public_method_is_covered() -> None:
    covered = set(METHODS) | NO_ARGUMENTS

    assert _public_methods(AsyncRed5Client) - covered == set()
    assert _public_methods(Red5Client) - covered == set()


@pytest.mark.anyio
@pytest.mark.parametrize("name", sorted(METHODS))
async def test_async_client_rejects_bad_arguments_unsent(
    emulator: Emulator, name: str
) -> None:
    problems: list[str] = []

    async with emulator.async_client(max_retries=0) as red5:
        for argument, arguments in _cases(name):
            error: BaseException | None = None
            try:
                result = getattr(red5, name)(**arguments)
                if inspect.isasyncgen(result):
                    result = [item async for item in result]
                elif inspect.isawaitable(result):
                    result = await result
            except Exception as exc:
                error = exc
            where = _describe(name, arguments)
            problems += _check_error(where, error, argument, emulator)

    assert problems == []


@pytest.mark.parametrize("name", sorted(METHODS))
def test_sync_client_rejects_bad_arguments_unsent(
    emulator: Emulator, name: str
) -> None:
    problems: list[str] = []

    with emulator.client(max_retries=0) as red5:
        for argument, arguments in _cases(name):
            error: BaseException | None = None
            try:
                result = getattr(red5, name)(**arguments)
                if inspect.isgenerator(result):
                    result = list(result)
            except Exception as exc:
                error = exc
            where = _describe(name, arguments)
            problems += _check_error(where, error, argument, emulator)

    assert problems == []


# Constructor and with_options settings

BAD_URLS: list[Any] = [
    b"http://127.0.0.1", 5, "", "   ", "ftp://127.0.0.1", "http://", "http://127.0.0.1:99999",
    "http://127.0.0.1:abc", "http://[::1", "http://[zz]:1", "http://exa mple.invalid",
    "http://127.0.0.1/?q=1", "http://127.0.0.1/#top", "http://user:pw@127.0.0.1",
]  # fmt: skip
OPTION_VALUES: dict[str, tuple[list[Any], type[Red5Error]]] = {
    "timeout": (["10", -1, 0, NAN, INF, True, [1]], ConfigurationError),
    "max_retries": ([-1, 11, "2", 2.0, True, None], InvalidArgumentError),
    "base_url": (BAD_URLS, ConfigurationError),
    "pubnub_base_url": (BAD_URLS, ConfigurationError),
    "transport": (["bogus", None, 1], ConfigurationError),
    "limits": ([5, {}, "x"], ConfigurationError),
    "http_client": ([5, "x"], ConfigurationError),
    "minter": ([5, "x"], ConfigurationError),
    "chat_granter": ([5, "x"], ConfigurationError),
    "clock": ([5, "now"], ConfigurationError),
}
BAD_OPTIONS = [
    (name, value, expected)
    for name, (values, expected) in OPTION_VALUES.items()
    for value in values
]
SYNC_ONLY_OPTIONS: list[tuple[str, Any, type[Red5Error]]] = [
    ("backend", value, ConfigurationError) for value in ["bogus", None, 5, "ASYNCIO"]
]


def _options(emulator: Emulator, name: str, value: Any) -> dict[str, Any]:
    return {
        "master_key": emulator.master_key,
        "master_secret": emulator.master_secret,
        "base_url": UNUSED_URL,
        "pubnub_base_url": UNUSED_URL,
        name: value,
    }


@pytest.mark.parametrize("client_class", [AsyncRed5Client, Red5Client])
def test_bad_options_raise_typed_errors(
    emulator: Emulator, client_class: type[Any]
) -> None:
    threads_before = threading.active_count()
    cases = BAD_OPTIONS + (SYNC_ONLY_OPTIONS if client_class is Red5Client else [])
    problems = []

    for name, value, expected in cases:
        try:
            client = client_class(**_options(emulator, name, value))
        except Exception as exc:
            if type(exc) is not expected:
                problems.append(f"{name}={value!r} raised {type(exc).__name__}: {exc}")
        else:
            problems.append(f"{name}={value!r} was accepted")
            if isinstance(client, Red5Client):
                client.close()

    assert problems == []
    assert threading.active_count() == threads_before


@pytest.mark.anyio
async def test_with_options_rejects_bad_values(emulator: Emulator) -> None:
    problems = []

    async with emulator.async_client() as red5:
        for name, value, expected in BAD_OPTIONS:
            if name not in ("timeout", "max_retries") or value is None:
                continue
            try:
                red5.with_options(**{name: value})
            except Exception as exc:
                if type(exc) is not expected:
                    problems.append(f"{name}={value!r} raised {type(exc).__name__}")
            else:
                problems.append(f"{name}={value!r} was accepted")

    assert problems == []

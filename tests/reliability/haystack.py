"""A collector of everything a user could see, and the secrets to look for in it."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from red5_bcs import Red5Error
from red5_bcs.testing import Emulator, EmulatorServer

from .support import pubnub_token_signature_forms, request_signatures

# Shapes of secrets whose exact values a test cannot know, such as the admin
# tokens the command line mints for itself.
LEAK_PATTERNS = {
    "a JWT": re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"),
    "a PubNub request signature": re.compile(r"v2\.[A-Za-z0-9_-]{40,}"),
    "a bearer token": re.compile(r"Bearer\s+\S", re.IGNORECASE),
}


@dataclass
class Haystack:
    """Everything a user could see, as (where it came from, text) pairs."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, source: str, text: str) -> None:
        self.items.append((source, text))

    def add_object(self, source: str, value: object) -> None:
        self.add(f"repr({source})", repr(value))
        self.add(f"str({source})", str(value))

    def add_exception(self, source: str, exc: BaseException) -> None:
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:
            seen.add(id(current))
            name = f"{source}: {type(current).__name__}"
            self.add_object(name, current)
            for attribute in ("message", "body", "excerpt", "pubnub_message", "path"):
                if hasattr(current, attribute):
                    self.add(f"{name}.{attribute}", repr(getattr(current, attribute)))
            self.add(f"{name} traceback", "".join(traceback.format_exception(current)))
            current = current.__cause__ or current.__context__

    def add_logs(self, records: list[logging.LogRecord]) -> None:
        formatter = logging.Formatter()
        for record in records:
            source = f"log record of {record.name}"
            self.add(source, record.getMessage())
            if record.exc_info:
                self.add(
                    f"{source} traceback", formatter.formatException(record.exc_info)
                )

    def leaks(self, secrets: dict[str, list[str]]) -> list[str]:
        """Describe each leak by what leaked and where, never by its value."""
        found = []
        for source, text in self.items:
            for kind, values in secrets.items():
                if any(value and value in text for value in values):
                    found.append(f"{kind} in {source}")
            for kind, pattern in LEAK_PATTERNS.items():
                if pattern.search(text):
                    found.append(f"{kind} in {source}")
        return found


@dataclass
class Minted:
    """The tokens a workload obtained, to look for afterwards."""

    jwts: list[str] = field(default_factory=list)
    pubnub_tokens: list[str] = field(default_factory=list)


def secrets_of(
    emulator: Emulator, server: EmulatorServer, minted: Minted
) -> dict[str, list[str]]:
    credentials = emulator.credentials
    pubnub_tokens = [token for token in minted.pubnub_tokens if token]
    signatures = [
        form for token in pubnub_tokens for form in pubnub_token_signature_forms(token)
    ]
    return {
        "the master secret": [emulator.master_secret, server.master_secret],
        "the master key": [emulator.master_key],
        "the conference secret": [credentials.conference_secret.get_secret_value()],
        "the PubNub secret key": [credentials.pubnub_secret_key.get_secret_value()],
        "a conference or admin token": minted.jwts,
        "a PubNub token": pubnub_tokens,
        "a PubNub token signature": signatures,
        "a PubNub request signature": request_signatures(emulator),
    }


async def expect_error(
    haystack: Haystack, source: str, call: Callable[[], Awaitable[object]]
) -> None:
    """Run a call that must fail with a `Red5Error`, and keep the error."""
    try:
        await call()
    except Red5Error as exc:
        haystack.add_exception(source, exc)
    else:
        pytest.fail(f"{source} did not fail")


def expect_sync_error(
    haystack: Haystack, source: str, call: Callable[[], object]
) -> None:
    """Run a blocking call that must fail with a `Red5Error`, and keep the error."""
    try:
        call()
    except Red5Error as exc:
        haystack.add_exception(source, exc)
    else:
        pytest.fail(f"{source} did not fail")

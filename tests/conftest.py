"""Shared fixtures: the async backends and the known-answer vectors."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

VECTORS = Path(__file__).parent / "vectors"

# Shared CI machines are slow and noisy; examples must not fail on timing.
settings.register_profile(
    "default", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("default")


@pytest.fixture(params=["asyncio", "trio"])
def anyio_backend(request: pytest.FixtureRequest) -> str:
    """Run every async test on both asyncio and trio."""
    return str(request.param)


def load_vectors(name: str) -> Any:
    """Load a known-answer file from tests/vectors."""
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


# Shapes that must never reach a log line: a compact JWS (conference and admin
# tokens), a PubNub v2 request signature, and an Authorization header value.
LEAK_PATTERNS = (
    re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}"),
    re.compile(r"v2\.[A-Za-z0-9_-]{40,}"),
    re.compile(r"Bearer\s+\S", re.IGNORECASE),
    re.compile(r"signature=", re.IGNORECASE),
)


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(self.format(record))


@pytest.fixture(autouse=True)
def _no_secrets_in_logs() -> Iterator[None]:
    """Log every test at DEBUG and fail it if a token or signature is logged."""
    logger = logging.getLogger("red5_bcs")
    collector = _LogCollector()
    previous_level = logger.level
    logger.addHandler(collector)
    logger.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        logger.removeHandler(collector)
        logger.setLevel(previous_level)

    for message in collector.messages:
        for pattern in LEAK_PATTERNS:
            assert not pattern.search(message), f"secret-like text logged: {message!r}"

"""Shared fixtures: the async backends and the known-answer vectors."""

from __future__ import annotations

import json
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

"""Time sources for the emulator: the wall clock, or a clock that tests move."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable

__all__ = ["Clock", "ManualClock"]

Clock = Callable[[], float]
"""A time source that returns Unix seconds, such as `time.time`."""

# 2023-11-14T22:13:20Z: a fixed, round start so that tests are reproducible.
DEFAULT_START = 1_700_000_000.0


class ManualClock:
    """A clock that does not move until a test advances it.

    Pass it as `clock=` to `Emulator` and to SDK clients, so that tokens,
    grants, blocks and transcripts expire when the test advances it, without
    sleeping. Calling the clock returns the current time, so it can be used
    wherever a `Callable[[], float]` is expected. It is safe to use from
    several threads.

    Args:
        start: The initial time, Unix seconds.

    Raises:
        ValueError: `start` is negative or not finite.
    """

    def __init__(self, start: float = DEFAULT_START) -> None:
        self._now = _check_seconds("start", start)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<ManualClock now={self._now!r}>"

    def __call__(self) -> float:
        return self.now()

    def now(self) -> float:
        """Return the current time, Unix seconds."""
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        """Move the clock forward and return the new time.

        Args:
            seconds: How far to move, zero or more seconds.

        Raises:
            ValueError: `seconds` is negative or not finite; time never runs
                backwards.
        """
        step = _check_seconds("seconds", seconds)
        with self._lock:
            self._now += step
            return self._now


def _check_seconds(name: str, value: object) -> float:
    valid = isinstance(value, int | float) and not isinstance(value, bool)
    if not valid or not math.isfinite(value) or value < 0:  # type: ignore[arg-type, operator]
        raise ValueError(f"{name} must be a finite, non-negative number of seconds.")
    return float(value)  # type: ignore[arg-type]

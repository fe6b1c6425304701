"""The state that the demo's steps share, and the loop that runs them in order.

A step is a plain function that takes the `Demo` and returns the details to
show. It checks what it did and raises `StepFailed` when the result is not
what it should be. The first line of its docstring is the title shown for it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._sync import Red5Client

if TYPE_CHECKING:
    from ..testing import Emulator, ManualClock

__all__ = [
    "Demo",
    "DemoStep",
    "Details",
    "StepFailed",
    "StepReport",
    "expect",
    "run_steps",
    "step_title",
]

Details = dict[str, Any]
DemoStep = Callable[["Demo"], Details]


class StepFailed(Exception):
    """A demo step ran but did not do what it should have."""


def expect(condition: bool, message: str) -> None:
    """Raise `StepFailed` with `message` unless `condition` holds."""
    if not condition:
        raise StepFailed(message)


@dataclass
class Demo:
    """The client the steps call and what earlier steps left for later ones.

    Attributes:
        client: The SDK client under demonstration.
        room: The room the steps are about, if one is known yet.
        emulator: The emulator behind `client`, or None against a live service.
        clock: The clock shared by the emulator and the client, if any.
        tokens: Conference tokens minted so far, by user id.
    """

    client: Red5Client
    room: str | None = None
    emulator: Emulator | None = None
    clock: ManualClock | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    def require_emulator(self) -> Emulator:
        """Return the emulator, or fail the step when there is none."""
        if self.emulator is None:
            raise StepFailed("This step needs the embedded emulator.")
        return self.emulator

    def require_room(self) -> str:
        """Return the room, or fail the step when none is known."""
        if self.room is None:
            raise StepFailed("No room is known; pass --room.")
        return self.room

    def token(self, user: str) -> str:
        """Return the conference token minted for `user` by an earlier step."""
        token = self.tokens.get(user)
        if token is None:
            raise StepFailed(
                f"No conference token for {user!r}: the step that mints it failed."
            )
        return token


@dataclass(frozen=True, slots=True)
class StepReport:
    """The outcome of one step.

    Attributes:
        name: The step function's name.
        title: What the step does, from its docstring.
        ok: Whether the step did what it should have.
        details: What the step showed, or `error` naming what went wrong.
    """

    name: str
    title: str
    ok: bool
    details: Details

    def to_json(self) -> dict[str, Any]:
        """Return the report as one JSON object."""
        return {
            "name": self.name,
            "title": self.title,
            "ok": self.ok,
            "details": self.details,
        }


def step_title(step: DemoStep) -> str:
    """Return the first line of a step's docstring, or its name."""
    doc = (step.__doc__ or "").strip()
    return doc.splitlines()[0].rstrip(".") if doc else step.__name__


def run_steps(
    steps: Sequence[DemoStep],
    demo: Demo,
    on_report: Callable[[StepReport], None],
) -> list[StepReport]:
    """Run every step in order, even after a failure, and report each one.

    Later steps that need something a failed step should have made fail
    with a message that names it, so one failure does not hide others.
    """
    reports = []
    for step in steps:
        report = _run_step(step, demo)
        on_report(report)
        reports.append(report)
    return reports


def _run_step(step: DemoStep, demo: Demo) -> StepReport:
    name, title = step.__name__, step_title(step)
    try:
        details = step(demo)
    except StepFailed as failure:
        return StepReport(name, title, False, {"error": str(failure)})
    # Any other exception also means the step failed; the demo reports it and
    # goes on, so that one broken step does not hide the others.
    except Exception as error:
        message = " ".join(str(error).split())
        return StepReport(
            name, title, False, {"error": f"{type(error).__name__}: {message}"}
        )
    return StepReport(name, title, True, details)

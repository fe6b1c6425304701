"""A local emulator of Red5 Cloud, for tests, demos and offline development.

The emulator serves the conference API, PubNub Access Manager grants and a
control API from memory, and checks every token as the real services do::

    from red5_bcs.testing import Emulator, ManualClock

    emulator = Emulator(clock=ManualClock())
    async with emulator.async_client() as red5:
        token = await red5.get_conference_token("alice", "standup")
        emulator.join(token)
        users = await red5.get_user_list("standup")

`EmulatorServer` serves the same emulator on a loopback socket, and the
pytest plugin in `red5_bcs.testing.pytest_plugin` provides fixtures. The
emulator needs the `emulator` extra: `pip install 'red5-bcs[emulator]'`.

Names are imported on first use, so that pytest can load the plugin in
projects without that extra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._clock import Clock, ManualClock
    from ._command import run_cli_emulator
    from ._emulator import Emulator
    from ._errors import EmulatorError, JoinRejectedError
    from ._faults import FaultOutcome, FaultScript
    from ._middleware import RecordedRequest
    from ._server import EmulatorServer

__all__ = [
    "Clock",
    "Emulator",
    "EmulatorError",
    "EmulatorServer",
    "FaultOutcome",
    "FaultScript",
    "JoinRejectedError",
    "ManualClock",
    "RecordedRequest",
    "run_cli_emulator",
]

_MODULES = {
    "Clock": "_clock",
    "Emulator": "_emulator",
    "EmulatorError": "_errors",
    "EmulatorServer": "_server",
    "FaultOutcome": "_faults",
    "FaultScript": "_faults",
    "JoinRejectedError": "_errors",
    "ManualClock": "_clock",
    "RecordedRequest": "_middleware",
    "run_cli_emulator": "_command",
}
_EXTRA_MODULES = ("starlette", "uvicorn")


def __getattr__(name: str) -> Any:
    module_name = _MODULES.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(f".{module_name}", __name__)
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in _EXTRA_MODULES:
            raise
        raise ImportError(
            f"red5_bcs.testing.{name} needs starlette and uvicorn; install them "
            "with pip install 'red5-bcs[emulator]'."
        ) from exc
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

"""The import figure: `import red5_bcs` in a fresh interpreter.

Each repetition starts `python -X importtime`, imports the package and
prints which optional dependencies ended up in `sys.modules`. The time is
the cumulative figure CPython reports for the `red5_bcs` package itself,
so interpreter start-up is left out.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass

from ._report import Check, Report, Row
from ._runner import Settings
from ._servers import REPOSITORY

IMPORT_TARGET_MS = 200.0
# Dependencies of optional features (emulator, CLI, FastAPI, the aiohttp
# transport), which `import red5_bcs` must not load.
DEFERRED_MODULES = ("starlette", "uvicorn", "typer", "rich", "fastapi", "aiohttp")
_PROBE = (
    "import json, sys, time\n"
    "started = time.process_time()\n"
    "import red5_bcs\n"
    "cpu_ms = (time.process_time() - started) * 1000\n"
    f"deferred = {DEFERRED_MODULES!r}\n"
    "loaded = [name for name in deferred if name in sys.modules]\n"
    "print(json.dumps({'cpu_ms': cpu_ms, 'loaded': loaded}))\n"
)
SUBPROCESS_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class ImportSample:
    """One fresh interpreter's import of red5_bcs.

    Attributes:
        importtime_ms: The package's cumulative time from `-X importtime`.
        cpu_ms: The interpreter's CPU time spent in the import statement,
            which, unlike wall time, other processes on the machine cannot
            inflate.
        loaded: Which of `DEFERRED_MODULES` the import loaded.
    """

    importtime_ms: float
    cpu_ms: float
    loaded: list[str]


def _import_once() -> ImportSample:
    # Bytecode may be written, as it is when a package is installed, so the
    # warm-up compiles the sources and the measured imports read the cache.
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _PROBE],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        env=environment,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=True,
    )
    probe = json.loads(completed.stdout)
    importtime_ms = _cumulative_ms(completed.stderr, "red5_bcs")
    return ImportSample(importtime_ms, probe["cpu_ms"], probe["loaded"])


def _cumulative_ms(importtime_output: str, package: str) -> float:
    # Lines read "import time: <self us> | <cumulative us> | <indented name>".
    for line in importtime_output.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[2].strip() == package:
            return int(fields[1]) / 1000
    raise RuntimeError(f"python -X importtime printed no line for {package}.")


def import_figure(report: Report, settings: Settings) -> None:
    """Time the import in fresh interpreters and check what it loads."""
    _import_once()
    samples = [_import_once() for _ in range(settings.repetitions)]
    importtime_ms = statistics.median(sample.importtime_ms for sample in samples)
    cpu_ms = statistics.median(sample.cpu_ms for sample in samples)
    loaded = sorted({name for sample in samples for name in sample.loaded})

    for variant, milliseconds, unit in (
        ("fresh interpreter", importtime_ms, "ms (-X importtime)"),
        ("fresh interpreter", cpu_ms, "ms CPU time"),
    ):
        report.rows.append(
            Row(
                figure="import red5_bcs",
                variant=variant,
                value=milliseconds,
                value_unit=unit,
            )
        )
    _check_import(report, importtime_ms, cpu_ms, loaded)


def _check_import(
    report: Report, importtime_ms: float, cpu_ms: float, loaded: list[str]
) -> None:
    report.checks.append(
        Check(
            name="import red5_bcs, time",
            target=f"≤ {IMPORT_TARGET_MS:.0f} ms (-X importtime)",
            measured=f"{importtime_ms:.1f} ms ({cpu_ms:.1f} ms of CPU time)",
            passed=importtime_ms <= IMPORT_TARGET_MS,
        )
    )
    report.checks.append(
        Check(
            name="import red5_bcs, deferred dependencies",
            target="none of " + ", ".join(DEFERRED_MODULES) + " imported",
            measured="imported: " + (", ".join(loaded) if loaded else "none"),
            passed=not loaded,
        )
    )

"""Run the benchmarks, print the tables and save them under benchmarks/results."""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from rich.console import Console

from red5_bcs import Red5Credentials

from ._figures import (
    Backend,
    Bench,
    admin_cache_figures,
    conference_token_figures,
    recording_figures,
    sync_figures,
    user_list_figures,
)
from ._imports import import_figure
from ._memory import memory_figure
from ._minting import minter_figure
from ._report import Report, print_report, save
from ._runner import Settings
from ._servers import STUB_CREDENTIALS, run_server

FULL = Settings(repetitions=7, batch_seconds=0.7, warmup_operations=200)
QUICK = Settings(repetitions=3, batch_seconds=0.3, warmup_operations=100)
STUB_FIGURES = ("tokens", "users", "recording", "cache", "sync", "memory")
OTHER_FIGURES = ("emulator", "minter", "import")
FIGURES = STUB_FIGURES + OTHER_FIGURES
TABLE_WIDTH = 180
RESULTS = Path(__file__).resolve().parent / "results"
PACKAGES = ("red5-bcs", "httpx2", "httpcore2", "aiohttp", "joserfc", "pydantic")


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure red5-bcs against bare steps, print and save tables.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK.repetitions} repetitions of {QUICK.batch_seconds} s batches "
        f"instead of {FULL.repetitions} of {FULL.batch_seconds} s",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=FIGURES,
        default=list(FIGURES),
        metavar="FIGURE",
        help="run only these figures: " + ", ".join(FIGURES),
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=RESULTS,
        help="directory for latest.json and latest.md (default: benchmarks/results)",
    )
    return parser.parse_args(argv)


def run_stub_figures(bench: Bench, selected: set[str]) -> None:
    """Run the figures that talk to the loopback stub."""
    with run_server("stub", "benchmarks._stub_server") as stub:
        backend = Backend(stub, STUB_CREDENTIALS)
        if "tokens" in selected:
            conference_token_figures(bench, backend, has_target=True)
        if "users" in selected:
            user_list_figures(bench, backend, has_target=True)
        if "recording" in selected:
            recording_figures(bench, backend)
        if "cache" in selected:
            admin_cache_figures(bench, backend)
        if "sync" in selected:
            sync_figures(bench, backend)
        if "memory" in selected:
            for transport in ("httpx", "aiohttp"):
                bench.progress(f"memory, stub, {transport}")
                memory_figure(bench.report, stub, transport)


def run_emulator_figures(bench: Bench) -> None:
    """Run the conference-token and user-list figures against the emulator."""
    with run_server("emulator", "benchmarks._emulator_server") as server:
        credentials = Red5Credentials.from_master(
            server.details["master_key"], server.details["master_secret"]
        )
        backend = Backend(server, credentials)
        conference_token_figures(bench, backend, has_target=False)
        user_list_figures(bench, backend, has_target=False)


def run_all(bench: Bench, selected: set[str]) -> None:
    """Run the selected figures, the network ones first."""
    if selected & set(STUB_FIGURES):
        run_stub_figures(bench, selected)
    if "emulator" in selected:
        run_emulator_figures(bench)
    if "minter" in selected:
        bench.progress("conference JWT signing")
        minter_figure(bench.report, bench.settings)
    if "import" in selected:
        bench.progress("import red5_bcs")
        import_figure(bench.report, bench.settings)


def describe_run(
    argv: Sequence[str], settings: Settings, wall_seconds: float
) -> dict[str, Any]:
    """Return what a reader needs to judge the figures: when, where and how."""
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": " ".join(["python -m benchmarks", *argv]),
        "machine": f"{os.cpu_count()} CPUs, {platform.machine()}, {_cpu_model()}",
        "python": platform.python_version(),
        "packages": versions,
        "repetitions": settings.repetitions,
        "batch_seconds": settings.batch_seconds,
        "load_average_after": os.getloadavg(),
        "wall_seconds": round(wall_seconds, 1),
    }


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


NOTES = [
    "Each figure is the median of the measured repetitions, after a warm-up; "
    "compared variants ran back to back, in alternating order, and each ratio "
    "is the median of the per-repetition ratios.",
    "Client CPU/op is this process's CPU time (all threads) divided by the "
    "operations; server CPU is the server process's CPU seconds per wall "
    "second, so 100% is one core kept busy.",
    "The Node SDK rows are fixed reference constants, measured on a 2-core "
    "machine of this kind against a loopback stub that responds at once; they "
    "were not measured in this run. So are the 'bare, reference run' rows, "
    "which show how this machine compares with that one.",
    "Emulator figures depend on the emulator's own CPU and latency (uvicorn "
    "on h11, verifying every token), so they have no target.",
]


def _table_console() -> Console:
    # Rich wraps at 80 columns when stdout is not a terminal (nox, a pipe),
    # which would break every row of the tables over several lines.
    console = Console()
    if not console.is_terminal:
        console = Console(width=TABLE_WIDTH)
    return console


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmarks from the command line."""
    argv = list(sys.argv[1:] if argv is None else argv)
    arguments = parse_arguments(argv)
    settings = QUICK if arguments.quick else FULL
    report = Report(notes=list(NOTES))
    started = time.perf_counter()

    with asyncio.Runner() as runner:
        bench = Bench(runner, settings, report, Console(stderr=True))
        run_all(bench, set(arguments.only))

    run = describe_run(argv, settings, time.perf_counter() - started)
    console = _table_console()
    print_report(report, console)
    save(report, arguments.output, run)
    met = sum(check.passed is True for check in report.checks)
    judged = sum(check.passed is not None for check in report.checks)
    console.print(
        f"{met} of {judged} targets met in {run['wall_seconds']} s; "
        f"saved to {arguments.output}/latest.json and latest.md"
    )


if __name__ == "__main__":
    main()

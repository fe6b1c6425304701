"""Rows of measurements and target checks: a Rich table, JSON and Markdown."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Row:
    """One measured (or reference) figure.

    Attributes:
        figure: What was measured, such as `get_conference_token`.
        variant: Who did it: `SDK`, `bare`, or a reference.
        server: `stub`, `emulator`, or empty for figures without a server.
        transport: The `transport=` option, or empty.
        concurrency: Concurrent tasks, or None where it does not apply.
        rate: Operations per second, the median of the repetitions.
        unit: What one operation is, such as `tokens/s`.
        cpu_us: Client CPU microseconds per operation, the median.
        server_share: Server CPU seconds per wall second, the median.
        value: A figure that is neither a rate nor CPU (such as milliseconds).
        value_unit: The unit of `value`.
    """

    figure: str
    variant: str
    server: str = ""
    transport: str = ""
    concurrency: int | None = None
    rate: float | None = None
    unit: str = ""
    cpu_us: float | None = None
    server_share: float | None = None
    value: float | None = None
    value_unit: str = ""


@dataclass(frozen=True)
class Check:
    """A target and whether this run met it.

    Attributes:
        name: The figure and setting the target is about.
        target: The target, in words.
        measured: What this run measured, in words.
        passed: Whether the target was met; None for figures that only report.
    """

    name: str
    target: str
    measured: str
    passed: bool | None


@dataclass
class Report:
    """Everything one run measured."""

    rows: list[Row] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self, metadata: dict[str, Any]) -> str:
        """Return the report and the run's metadata as indented JSON."""
        document = {
            "metadata": metadata,
            "rows": [dataclasses.asdict(row) for row in self.rows],
            "checks": [dataclasses.asdict(check) for check in self.checks],
            "notes": self.notes,
        }
        return json.dumps(document, indent=2) + "\n"


def _number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return ""
    return f"{value:,.{digits}f}"


def _share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


def _verdict(passed: bool | None) -> str:
    if passed is None:
        return "info"
    return "pass" if passed else "FAIL"


MEASUREMENT_COLUMNS = (
    "figure",
    "variant",
    "server",
    "transport",
    "conc.",
    "rate",
    "unit",
    "client CPU/op (µs)",
    "server CPU",
    "other",
)
CHECK_COLUMNS = ("target", "goal", "measured", "result")


def measurement_cells(row: Row) -> list[str]:
    """Return a row's cells in `MEASUREMENT_COLUMNS` order."""
    other = f"{row.value:,.1f} {row.value_unit}" if row.value is not None else ""
    return [
        row.figure,
        row.variant,
        row.server,
        row.transport,
        "" if row.concurrency is None else str(row.concurrency),
        _number(row.rate),
        row.unit,
        _number(row.cpu_us),
        _share(row.server_share),
        other,
    ]


def check_cells(check: Check) -> list[str]:
    """Return a check's cells in `CHECK_COLUMNS` order."""
    return [check.name, check.target, check.measured, _verdict(check.passed)]


def print_report(report: Report, console: Console) -> None:
    """Print the measurements table, then the targets table, then the notes."""
    measurements = Table(title="Measurements (medians)", show_lines=False)
    for column in MEASUREMENT_COLUMNS:
        numeric = column in ("conc.", "rate", "client CPU/op (µs)", "server CPU")
        measurements.add_column(column, justify="right" if numeric else "left")
    for row in report.rows:
        measurements.add_row(*measurement_cells(row))
    console.print(measurements)

    targets = Table(title="Targets")
    for column in CHECK_COLUMNS:
        targets.add_column(column)
    for check in report.checks:
        style = {True: "green", False: "bold red", None: "dim"}[check.passed]
        targets.add_row(*check_cells(check), style=style)
    console.print(targets)

    for note in report.notes:
        console.print(f"- {note}")


def _markdown_table(columns: Sequence[str], rows: list[list[str]]) -> str:
    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def to_markdown(report: Report, heading: str) -> str:
    """Return the report as Markdown: a heading line, two tables, the notes."""
    measurements = _markdown_table(
        MEASUREMENT_COLUMNS, [measurement_cells(row) for row in report.rows]
    )
    targets = _markdown_table(
        CHECK_COLUMNS, [check_cells(check) for check in report.checks]
    )
    notes = "\n".join(f"- {note}" for note in report.notes)
    return f"{heading}\n\n{measurements}\n\n{targets}\n\n{notes}\n"


def save(report: Report, directory: Path, metadata: dict[str, Any]) -> None:
    """Write `latest.json` and `latest.md` into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "latest.json").write_text(report.to_json(metadata), encoding="utf-8")
    heading = (
        f"Run of {metadata['date']} on {metadata['machine']}: `{metadata['command']}`"
    )
    (directory / "latest.md").write_text(to_markdown(report, heading), encoding="utf-8")

"""Timed batches, interleaved repetitions and their medians.

A batch runs one operation a fixed number of times, from a fixed number of
concurrent workers, and records wall time, this process's CPU time and,
when a server child is given, the server's CPU time. Variants that are
compared run in alternating order within each repetition, so drift in the
machine's load hits all of them alike.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ._servers import ServerProcess

# No batch may run longer than this, whatever its count.
MAX_BATCH_SECONDS = 30.0

AsyncOperation = Callable[[], Awaitable[object]]
# Runs up to `count` operations with `concurrency` workers until `deadline`
# (a `time.perf_counter()` value) and returns how many completed.
Batch = Callable[[int, int, float], int]


@dataclass(frozen=True)
class Settings:
    """The number and length of measured batches.

    Attributes:
        repetitions: Measured repetitions per variant, after one warm-up.
        batch_seconds: The wall time one measured batch aims at.
        warmup_operations: Operations in the warm-up batch, which also
            estimates the rate that sizes the measured batches.
    """

    repetitions: int
    batch_seconds: float
    warmup_operations: int


@dataclass(frozen=True)
class Sample:
    """One measured batch.

    Attributes:
        operations: Completed operations.
        wall_seconds: Wall time of the batch.
        cpu_seconds: CPU time of this process (every thread) during the batch.
        server_cpu_seconds: CPU time of the server child, if there is one.
    """

    operations: int
    wall_seconds: float
    cpu_seconds: float
    server_cpu_seconds: float | None

    @property
    def rate(self) -> float:
        """Operations per second."""
        return self.operations / self.wall_seconds

    @property
    def cpu_per_operation(self) -> float:
        """Client CPU seconds per operation."""
        return self.cpu_seconds / self.operations

    @property
    def server_share(self) -> float | None:
        """Server CPU seconds per wall second (1.0 is one core kept busy)."""
        if self.server_cpu_seconds is None:
            return None
        return self.server_cpu_seconds / self.wall_seconds


@dataclass(frozen=True)
class Summary:
    """The medians of a variant's repetitions."""

    samples: tuple[Sample, ...]

    @property
    def rate(self) -> float:
        """Median operations per second."""
        return statistics.median(sample.rate for sample in self.samples)

    @property
    def cpu_per_operation(self) -> float:
        """Median client CPU seconds per operation."""
        return statistics.median(sample.cpu_per_operation for sample in self.samples)

    @property
    def server_share(self) -> float | None:
        """Median server CPU share, or None without a server child."""
        shares = [sample.server_share for sample in self.samples]
        known = [share for share in shares if share is not None]
        return statistics.median(known) if known else None


def paired_ratio(
    numerator: Summary, denominator: Summary, value: Callable[[Sample], float]
) -> float:
    """Return the median over repetitions of value(numerator) / value(denominator).

    The result is rounded to two decimals.

    Both variants of a repetition ran back to back, so each pair saw about
    the same machine load. That makes the median of the pairs steadier than
    the ratio of the two medians.
    """
    pairs = zip(numerator.samples, denominator.samples, strict=True)
    ratio = statistics.median(value(a) / value(b) for a, b in pairs)
    # Rounded as printed, so that a target is judged on the figure the table
    # shows. Run-to-run noise is far larger than the third decimal.
    return round(ratio, 2)


def measure(
    batch: Batch, count: int, concurrency: int, server: ServerProcess | None
) -> Sample:
    """Run one batch and record its wall, client CPU and server CPU times."""
    server_before = server.cpu_seconds() if server else None
    cpu_before = time.process_time()
    started = time.perf_counter()

    completed = batch(count, concurrency, started + MAX_BATCH_SECONDS)

    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_before
    server_cpu = None
    if server is not None and server_before is not None:
        server_cpu = server.cpu_seconds() - server_before
    if completed == 0:
        raise RuntimeError("A benchmark batch completed no operation in time.")
    return Sample(completed, wall, cpu, server_cpu)


def compare(
    batches: Sequence[Batch],
    concurrency: int,
    settings: Settings,
    server: ServerProcess | None,
) -> list[Summary]:
    """Warm up every batch, then measure them in rotating order.

    Every variant runs the same count per batch: the warm-up rate of the
    slowest variant times `settings.batch_seconds`.
    """
    warmup_count = max(settings.warmup_operations, 4 * concurrency)
    warmups = [measure(batch, warmup_count, concurrency, server) for batch in batches]
    slowest = min(sample.rate for sample in warmups)
    count = max(concurrency, round(slowest * settings.batch_seconds))

    samples: list[list[Sample]] = [[] for _ in batches]
    for repetition in range(settings.repetitions):
        shift = repetition % len(batches)
        order = list(range(shift, len(batches))) + list(range(shift))
        for index in order:
            samples[index].append(measure(batches[index], count, concurrency, server))
    return [Summary(tuple(variant)) for variant in samples]


async def run_concurrently(
    operation: AsyncOperation, count: int, concurrency: int, deadline: float
) -> int:
    """Run `operation` up to `count` times from `concurrency` tasks.

    Workers stop taking new operations at `deadline`; one that is still
    waiting 10 s later is cancelled, so a stuck server cannot hang the run.
    """
    remaining = count
    completed = 0

    async def worker() -> None:
        nonlocal remaining, completed
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            await operation()
            completed += 1

    hard_stop = deadline - time.perf_counter() + 10.0
    async with asyncio.timeout(hard_stop):
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return completed


def run_sequentially(
    operation: Callable[[], object], count: int, deadline: float
) -> int:
    """Call a blocking `operation` up to `count` times, stopping at `deadline`."""
    completed = 0
    while completed < count and time.perf_counter() < deadline:
        operation()
        completed += 1
    return completed


def async_batch(runner: asyncio.Runner, operation: AsyncOperation) -> Batch:
    """Make a batch that runs `operation` on the event loop of `runner`."""

    def batch(count: int, concurrency: int, deadline: float) -> int:
        return runner.run(run_concurrently(operation, count, concurrency, deadline))

    return batch


def sync_batch(operation: Callable[[], object]) -> Batch:
    """Make a batch that calls a blocking `operation` from this thread."""

    def batch(count: int, concurrency: int, deadline: float) -> int:
        if concurrency != 1:
            raise ValueError("A blocking batch runs one operation at a time.")
        return run_sequentially(operation, count, deadline)

    return batch

"""The memory figure: resident size and sockets around many conference tokens.

The measuring side runs in a fresh child process (`python -m
benchmarks._memory`), so its resident size is not inflated by what other
figures allocated. The child mints conference tokens against the stub,
samples its own TCP connections while it does, closes the client and counts
them again, then prints its findings as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import subprocess
import sys
import time
from typing import Any

import psutil

from red5_bcs import AsyncRed5Client
from red5_bcs._base import DEFAULT_LIMITS

from ._report import Check, Report, Row
from ._runner import run_concurrently
from ._servers import REPOSITORY, STUB_CREDENTIALS, ServerProcess

TOKENS = 20_000
CONCURRENCY = 200
WARMUP_TOKENS = 1_000
GROWTH_TARGET_MB = 20.0
SAMPLE_INTERVAL_SECONDS = 0.05
RUN_TIMEOUT_SECONDS = 180.0


def _connections_to(port: int) -> int:
    """Count this process's TCP sockets connected to the server's port."""
    return sum(
        1
        for connection in psutil.Process().net_connections(kind="tcp")
        if connection.raddr and connection.raddr.port == port
    )


def _resident_mb() -> float:
    gc.collect()
    return psutil.Process().memory_info().rss / 1e6


async def _sample_connections(port: int, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        peak[0] = max(peak[0], _connections_to(port))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_INTERVAL_SECONDS)


async def measure(base_url: str, port: int, transport: str) -> dict[str, Any]:
    """Mint the tokens at the set concurrency and return the figures."""
    client = AsyncRed5Client(
        credentials=STUB_CREDENTIALS,
        base_url=base_url,
        pubnub_base_url=base_url,
        transport=transport,
    )

    async def one_token() -> str:
        return await client.get_conference_token("bench-user", "bench-room")

    deadline = time.perf_counter() + RUN_TIMEOUT_SECONDS
    await run_concurrently(one_token, WARMUP_TOKENS, CONCURRENCY, deadline)
    before = _resident_mb()

    peak, stop = [0], asyncio.Event()
    sampler = asyncio.create_task(_sample_connections(port, peak, stop))
    started = time.perf_counter()
    minted = await run_concurrently(one_token, TOKENS, CONCURRENCY, deadline)
    wall = time.perf_counter() - started
    stop.set()
    await sampler
    after = _resident_mb()
    open_before_close = _connections_to(port)

    await client.aclose()
    return {
        "transport": transport,
        "tokens": minted,
        "wall_seconds": wall,
        "rss_before_mb": before,
        "rss_after_mb": after,
        "peak_connections": peak[0],
        "connections_before_close": open_before_close,
        "connections_after_close": _connections_to(port),
        "pool_limit": DEFAULT_LIMITS.max_connections,
    }


def main() -> None:
    """Run the measurement against a server and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--port", type=int, required=True, help="the stub's port")
    parser.add_argument("--transport", choices=("httpx", "aiohttp"), required=True)
    arguments = parser.parse_args()
    base_url = f"http://127.0.0.1:{arguments.port}"
    result = asyncio.run(measure(base_url, arguments.port, arguments.transport))
    sys.stdout.write(json.dumps(result) + "\n")


def memory_figure(report: Report, server: ServerProcess, transport: str) -> None:
    """Run the child against the stub and check growth and sockets."""
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks._memory",
            f"--port={server.details['port']}",
            f"--transport={transport}",
        ],
        capture_output=True,
        text=True,
        cwd=REPOSITORY,
        timeout=RUN_TIMEOUT_SECONDS + 60,
        check=True,
    )
    result = json.loads(completed.stdout)
    growth = result["rss_after_mb"] - result["rss_before_mb"]
    figure = f"memory, {TOKENS:,} tokens"
    report.rows.append(
        Row(
            figure=figure,
            variant="SDK",
            server=server.name,
            transport=transport,
            concurrency=CONCURRENCY,
            rate=result["tokens"] / result["wall_seconds"],
            unit="tokens/s",
            value=growth,
            value_unit=f"MB growth (from {result['rss_before_mb']:.1f} MB)",
        )
    )
    _check_memory(report, transport, growth, result)


def _check_memory(
    report: Report, transport: str, growth: float, result: dict[str, Any]
) -> None:
    name = f"memory, {TOKENS:,} tokens at concurrency {CONCURRENCY}, {transport}"
    report.checks.append(
        Check(
            name=name + ", resident size",
            target=f"grows ≤ {GROWTH_TARGET_MB:.0f} MB",
            measured=f"grew {growth:.1f} MB",
            passed=growth <= GROWTH_TARGET_MB and result["tokens"] == TOKENS,
        )
    )
    limit = result["pool_limit"]
    report.checks.append(
        Check(
            name=name + ", sockets",
            target=f"≤ {limit} open while busy and when done, 0 after aclose()",
            measured=(
                f"peak {result['peak_connections']}, "
                f"{result['connections_before_close']} before aclose(), "
                f"{result['connections_after_close']} after"
            ),
            passed=result["peak_connections"] <= limit
            and result["connections_before_close"] <= limit
            and result["connections_after_close"] == 0,
        )
    )


if __name__ == "__main__":
    main()

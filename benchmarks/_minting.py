"""The signing figure: the SDK's HS256 minter against a minimal one.

Both sign the claims of a real conference token (with an embedded PubNub
token of production length) with the same secret, in this process, with no
I/O; the minimal minter is `_bare.mint_hs256`.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from red5_bcs import HS256Minter

from . import _bare
from ._report import Check, Report, Row
from ._runner import Settings
from ._stub_server import GRANT_TOKEN

MINTER_RATIO_TARGET = 2.0
SECRET = b"bench-conference-secret-0123456789abcdef"
# Signing runs in microseconds, so one batch is a fixed count, not a duration.
MINTS_PER_BATCH = 5000


def conference_claims() -> dict[str, Any]:
    """Return the claims of a conference token, as the client signs them."""
    issued = int(time.time())
    return {
        "uid": "bench-user",
        "roomId": "bench-room",
        "role": "publisher",
        "pubnubSubscribeKey": "sub-c-bench-0123456789abcdef",
        "pubnubPublishKey": "pub-c-bench-0123456789abcdef",
        "pubnubToken": GRANT_TOKEN,
        "iat": issued,
        "exp": issued + 3600,
    }


def _cpu_per_mint(mint: Callable[[dict[str, Any], bytes], str], count: int) -> float:
    # CPU time rather than wall time, so that other processes taking the
    # core away in the middle of a batch do not count against the minter.
    claims = conference_claims()
    started = time.process_time()
    for _ in range(count):
        mint(claims, SECRET)
    return (time.process_time() - started) / count


def minter_figure(report: Report, settings: Settings) -> None:
    """Time both minters in alternating batches and check the SDK's ratio."""
    sdk_minter = HS256Minter()
    minters = {"SDK (HS256Minter)": sdk_minter.mint, "bare (hmac)": _bare.mint_hs256}
    claims = conference_claims()
    if sdk_minter.mint(claims, SECRET) != _bare.mint_hs256(claims, SECRET):
        report.notes.append("The SDK's token differs from the minimal minter's.")

    for mint in minters.values():
        _cpu_per_mint(mint, MINTS_PER_BATCH // 5)
    times: dict[str, list[float]] = {name: [] for name in minters}
    names = list(minters)
    for repetition in range(settings.repetitions):
        order = names if repetition % 2 == 0 else names[::-1]
        for name in order:
            times[name].append(_cpu_per_mint(minters[name], MINTS_PER_BATCH))

    for name, values in times.items():
        report.rows.append(
            Row(
                figure="conference JWT signing",
                variant=name,
                rate=1 / statistics.median(values),
                unit="tokens/CPU s",
                cpu_us=statistics.median(values) * 1e6,
            )
        )
    _check_minter(report, times[names[0]], times[names[1]])


def _check_minter(report: Report, sdk: list[float], bare: list[float]) -> None:
    # Rounded as printed, like the ratios of the network figures.
    ratio = round(statistics.median(a / b for a, b in zip(sdk, bare, strict=True)), 2)
    report.checks.append(
        Check(
            name="conference JWT signing, SDK minter vs minimal HS256",
            target=f"≤ {MINTER_RATIO_TARGET}x the minimal minter's time",
            measured=f"{ratio:.2f}x its CPU time per token",
            passed=ratio <= MINTER_RATIO_TARGET,
        )
    )

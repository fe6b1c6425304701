"""The network figures: SDK calls measured against the same steps written bare.

Every client in this module is configured with the loopback server's URL as
both `base_url` and `pubnub_base_url`, so no request can leave the machine.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx2
from rich.console import Console

from red5_bcs import AsyncRed5Client, Red5Client, Red5Credentials
from red5_bcs._aiohttp_transport import AiohttpTransport
from red5_bcs._config import CONFERENCE_API_PATH
from red5_bcs._tokens import AdminTokenCache

from . import _bare
from ._report import Check, Report, Row
from ._runner import (
    AsyncOperation,
    Settings,
    Summary,
    async_batch,
    compare,
    paired_ratio,
    sync_batch,
)
from ._servers import ServerProcess

ROOM_ID = "bench-room"
USER_ID = "bench-user"
TRANSPORTS = ("httpx", "aiohttp")
CONCURRENCIES = (1, 50)

# Red5's Node SDK (red5-bcs-node) measured on a 2-core machine of this kind
# against a loopback stub that responds at once, at concurrency 50. These are
# fixed reference constants, not measured by this program.
NODE_TOKENS_PER_SECOND = 1000.0
NODE_CPU_US_PER_TOKEN = 1200.0
# The bare steps in that same reference run, per transport: (tokens/s, µs
# CPU per token). They show how this machine compares with that one.
REFERENCE_BARE = {"httpx": (1270.0, 780.0), "aiohttp": (2570.0, 390.0)}

BARE_RATIO_TARGET = 0.85
NODE_RATE_FACTOR = 2.0
NODE_CPU_FACTOR = 0.5
SYNC_RATIO_TARGET = 0.75


@dataclass(frozen=True)
class Backend:
    """A server child and the account its clients sign with."""

    server: ServerProcess
    credentials: Red5Credentials

    @property
    def conference_url(self) -> str:
        """The conference API base URL on this server."""
        return self.server.base_url + CONFERENCE_API_PATH

    @property
    def keys(self) -> _bare.Keys:
        """The credentials in the form the bare steps take."""
        credentials = self.credentials
        return _bare.Keys(
            conference_secret=credentials.conference_secret.get_secret_value().encode(),
            pubnub_secret_key=credentials.pubnub_secret_key.get_secret_value(),
            pubnub_publish_key=credentials.pubnub_publish_key,
            pubnub_subscribe_key=credentials.pubnub_subscribe_key,
        )


@dataclass
class Bench:
    """The event loop, settings, report and console shared by every figure."""

    runner: asyncio.Runner
    settings: Settings
    report: Report
    console: Console

    def progress(self, message: str) -> None:
        """Tell the person running the benchmark what is being measured."""
        self.console.print(f"[dim]… {message}[/dim]")


def sdk_client(backend: Backend, transport: str) -> AsyncRed5Client:
    """Return an SDK client whose every URL points at the backend's server."""
    return AsyncRed5Client(
        credentials=backend.credentials,
        base_url=backend.server.base_url,
        pubnub_base_url=backend.server.base_url,
        transport=transport,
    )


def bare_client(transport: str) -> httpx2.AsyncClient:
    """Return a bare httpx2 client on the given transport, with default limits."""
    if transport == "aiohttp":
        return httpx2.AsyncClient(transport=AiohttpTransport())
    return httpx2.AsyncClient(transport=httpx2.AsyncHTTPTransport())


def _rows(
    figure: str,
    unit: str,
    backend: Backend,
    transport: str,
    concurrency: int,
    summaries: dict[str, Summary],
) -> list[Row]:
    return [
        Row(
            figure=figure,
            variant=variant,
            server=backend.server.name,
            transport=transport,
            concurrency=concurrency,
            rate=summary.rate,
            unit=unit,
            cpu_us=summary.cpu_per_operation * 1e6,
            server_share=summary.server_share,
        )
        for variant, summary in summaries.items()
    ]


def versus_bare(
    bench: Bench,
    backend: Backend,
    figure: str,
    unit: str,
    transport: str,
    concurrency: int,
    operations: tuple[AsyncOperation, AsyncOperation],
    *,
    has_target: bool,
) -> Summary:
    """Measure an SDK operation against its bare steps and check the ratio."""
    label = f"{figure}, {backend.server.name}, {transport}, concurrency {concurrency}"
    bench.progress(label)
    batches = [async_batch(bench.runner, operation) for operation in operations]
    sdk, bare = compare(batches, concurrency, bench.settings, backend.server)
    summaries = {"SDK": sdk, "bare": bare}
    bench.report.rows += _rows(figure, unit, backend, transport, concurrency, summaries)

    rate_ratio = paired_ratio(sdk, bare, lambda sample: sample.rate)
    cpu_ratio = paired_ratio(sdk, bare, lambda sample: sample.cpu_per_operation)
    bench.report.checks.append(
        Check(
            name=label,
            target=f"≥ {BARE_RATIO_TARGET}x bare rate" if has_target else "reported",
            measured=f"{rate_ratio:.2f}x bare rate, {cpu_ratio:.2f}x bare CPU/op",
            passed=rate_ratio >= BARE_RATIO_TARGET if has_target else None,
        )
    )
    return sdk


def _close(bench: Bench, *clients: AsyncRed5Client | httpx2.AsyncClient) -> None:
    for client in clients:
        bench.runner.run(client.aclose())


def conference_token_figures(
    bench: Bench, backend: Backend, *, has_target: bool
) -> None:
    """Measure `get_conference_token` against a bare grant POST plus HS256 JWT."""
    keys, pubnub_url = backend.keys, backend.server.base_url
    for transport in TRANSPORTS:
        sdk, http = sdk_client(backend, transport), bare_client(transport)
        operations = (
            lambda sdk=sdk: sdk.get_conference_token(USER_ID, ROOM_ID),
            lambda http=http: _bare.conference_token(
                http, pubnub_url, keys, USER_ID, ROOM_ID
            ),
        )
        try:
            for concurrency in CONCURRENCIES:
                summary = versus_bare(
                    bench,
                    backend,
                    "get_conference_token",
                    "tokens/s",
                    transport,
                    concurrency,
                    operations,
                    has_target=has_target,
                )
                if has_target and transport == "aiohttp" and concurrency == 50:
                    _check_against_node(bench, summary)
        finally:
            _close(bench, sdk, http)

    if has_target:
        _add_reference_rows(bench.report)


def _check_against_node(bench: Bench, summary: Summary) -> None:
    minimum_rate = NODE_RATE_FACTOR * NODE_TOKENS_PER_SECOND
    maximum_cpu = NODE_CPU_FACTOR * NODE_CPU_US_PER_TOKEN
    rate, cpu = summary.rate, summary.cpu_per_operation * 1e6
    bench.report.checks.append(
        Check(
            name="get_conference_token vs Node SDK, stub, aiohttp, concurrency 50",
            target=(
                f"≥ {minimum_rate:,.0f} tokens/s ({NODE_RATE_FACTOR}x Node) at "
                f"≤ {maximum_cpu:,.0f} µs CPU/token ({NODE_CPU_FACTOR}x Node)"
            ),
            measured=(
                f"{rate:,.0f} tokens/s ({rate / NODE_TOKENS_PER_SECOND:.2f}x Node) "
                f"at {cpu:,.0f} µs ({cpu / NODE_CPU_US_PER_TOKEN:.2f}x Node)"
            ),
            passed=rate >= minimum_rate and cpu <= maximum_cpu,
        )
    )


def _add_reference_rows(report: Report) -> None:
    figure = "get_conference_token"
    report.rows.append(
        Row(
            figure=figure,
            variant="Node SDK (reference constant)",
            server="stub",
            concurrency=50,
            rate=NODE_TOKENS_PER_SECOND,
            unit="tokens/s",
            cpu_us=NODE_CPU_US_PER_TOKEN,
        )
    )
    for transport, (rate, cpu_us) in REFERENCE_BARE.items():
        report.rows.append(
            Row(
                figure=figure,
                variant="bare, reference run (constant)",
                server="stub",
                transport=transport,
                concurrency=50,
                rate=rate,
                unit="tokens/s",
                cpu_us=cpu_us,
            )
        )


def user_list_figures(bench: Bench, backend: Backend, *, has_target: bool) -> None:
    """Measure `get_user_list` against a bare GET with a pre-made bearer token."""
    token = _bare.admin_token(ROOM_ID, backend.keys.conference_secret)
    url = f"{backend.conference_url}/room/{ROOM_ID}/users"
    params = {"limit": 100, "offset": 0}
    for transport in TRANSPORTS:
        sdk, http = sdk_client(backend, transport), bare_client(transport)
        operations = (
            lambda sdk=sdk: sdk.get_user_list(ROOM_ID),
            lambda http=http: _bare.call_json(http, "GET", url, token, params),
        )
        try:
            for concurrency in CONCURRENCIES:
                versus_bare(
                    bench,
                    backend,
                    "get_user_list",
                    "calls/s",
                    transport,
                    concurrency,
                    operations,
                    has_target=has_target,
                )
        finally:
            _close(bench, sdk, http)


def recording_figures(bench: Bench, backend: Backend) -> None:
    """Measure `start_recording` plus `stop_recording` against two bare POSTs."""
    token = _bare.admin_token(ROOM_ID, backend.keys.conference_secret)
    room_url = f"{backend.conference_url}/room/{ROOM_ID}"
    for transport in TRANSPORTS:
        sdk, http = sdk_client(backend, transport), bare_client(transport)

        async def sdk_pair(sdk: AsyncRed5Client = sdk) -> None:
            await sdk.start_recording(ROOM_ID)
            await sdk.stop_recording(ROOM_ID)

        async def bare_pair(http: httpx2.AsyncClient = http) -> None:
            await _bare.call_json(http, "POST", f"{room_url}/startRecording", token)
            await _bare.call_json(http, "POST", f"{room_url}/stopRecording", token)

        try:
            for concurrency in CONCURRENCIES:
                versus_bare(
                    bench,
                    backend,
                    "start_recording + stop_recording",
                    "pairs/s",
                    transport,
                    concurrency,
                    (sdk_pair, bare_pair),
                    has_target=True,
                )
        finally:
            _close(bench, sdk, http)


def admin_cache_figures(bench: Bench, backend: Backend) -> None:
    """Measure `get_user_list` with the admin-token cache against re-signing."""
    transport = "aiohttp"
    cached, resigning = sdk_client(backend, transport), sdk_client(backend, transport)
    core = resigning._core
    secret = backend.keys.conference_secret
    # A refresh margin as long as the lifetime makes every cached token due
    # for renewal at once, so each call signs a new token on the same path.
    core.admin_tokens = AdminTokenCache(
        core.minter, secret, refresh_margin_seconds=3600, lifetime_seconds=3600
    )
    try:
        for concurrency in CONCURRENCIES:
            label = f"admin-token cache, stub, {transport}, concurrency {concurrency}"
            bench.progress(label)
            batches = [
                async_batch(bench.runner, lambda: cached.get_user_list(ROOM_ID)),
                async_batch(bench.runner, lambda: resigning.get_user_list(ROOM_ID)),
            ]
            with_cache, without = compare(
                batches, concurrency, bench.settings, backend.server
            )
            summaries = {"SDK, cached token": with_cache, "SDK, re-signed": without}
            bench.report.rows += _rows(
                "get_user_list", "calls/s", backend, transport, concurrency, summaries
            )
            _check_cache(bench, label, with_cache, without)
    finally:
        _close(bench, cached, resigning)


def _check_cache(bench: Bench, label: str, cached: Summary, resigned: Summary) -> None:
    # Judged on client CPU per call, the cost the cache removes: at
    # concurrency 1 the rate is set mostly by the round trip, which hides it.
    cpu_ratio = paired_ratio(cached, resigned, lambda sample: sample.cpu_per_operation)
    rate_ratio = paired_ratio(cached, resigned, lambda sample: sample.rate)
    saved_us = (resigned.cpu_per_operation - cached.cpu_per_operation) * 1e6
    difference = f"{abs(saved_us):,.0f} µs {'less' if saved_us >= 0 else 'more'}"
    bench.report.checks.append(
        Check(
            name=label,
            target="less client CPU per call than re-signing each call",
            measured=(
                f"{cpu_ratio:.2f}x the CPU per call ({difference}), "
                f"{rate_ratio:.2f}x the rate"
            ),
            passed=cpu_ratio < 1.0,
        )
    )


def sync_figures(bench: Bench, backend: Backend) -> None:
    """Measure sequential `Red5Client` calls against `AsyncRed5Client` calls."""
    label = "Red5Client vs AsyncRed5Client, get_user_list, stub, auto, sequential"
    bench.progress(label)
    options = {
        "credentials": backend.credentials,
        "base_url": backend.server.base_url,
        "pubnub_base_url": backend.server.base_url,
    }
    async_client = AsyncRed5Client(**options)
    sync_client = Red5Client(**options)
    try:
        batches = [
            sync_batch(lambda: sync_client.get_user_list(ROOM_ID)),
            async_batch(bench.runner, lambda: async_client.get_user_list(ROOM_ID)),
        ]
        sync, asynchronous = compare(batches, 1, bench.settings, backend.server)
    finally:
        sync_client.close()
        _close(bench, async_client)

    summaries = {"Red5Client (sync)": sync, "AsyncRed5Client": asynchronous}
    bench.report.rows += _rows(
        "get_user_list", "calls/s", backend, "auto", 1, summaries
    )
    ratio = paired_ratio(sync, asynchronous, lambda sample: sample.rate)
    bench.report.checks.append(
        Check(
            name=label,
            target=f"≥ {SYNC_RATIO_TARGET}x the async rate",
            measured=f"{ratio:.2f}x the async rate",
            passed=ratio >= SYNC_RATIO_TARGET,
        )
    )

"""Sending one logical request: attempts, retries, size limits and error mapping.

Every HTTP exchange of the SDK, conference API calls and PubNub grants alike,
goes through `send_request`, so that timeouts, retries, logging and the
translation of httpx2 exceptions into the SDK's error tree are the same
everywhere.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import anyio
import httpx2

from ._errors import APIConnectionError, APIResponseValidationError, APITimeoutError

__all__ = [
    "DEFAULT_TIMEOUT",
    "MAX_RESPONSE_BYTES",
    "RETRYABLE_STATUS_CODES",
    "RawResponse",
    "RetryPolicy",
    "parse_retry_after",
    "send_request",
]

logger = logging.getLogger("red5_bcs")

DEFAULT_TIMEOUT = httpx2.Timeout(10.0, connect=5.0)
# No conference API response comes near this; a larger body is rejected unread.
MAX_RESPONSE_BYTES = 10 * 1024 * 1024
RETRYABLE_STATUS_CODES = frozenset({408, 429, 500, 502, 503, 504})
# Errors raised before a single byte of the request left this process, so
# retrying them cannot run a non-idempotent call twice.
_NOT_SENT_ERRORS = (httpx2.ConnectError, httpx2.ConnectTimeout, httpx2.PoolTimeout)
# Indirection so tests can record waits instead of sleeping through them.
_sleep = anyio.sleep


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to wait between attempts.

    Attributes:
        max_retries: Attempts after the first one; 0 disables retries.
        initial_backoff: Upper bound of the first wait, in seconds.
        max_backoff: Upper bound of any computed wait, in seconds.
        max_retry_after: The longest `Retry-After` honoured, in seconds; a
            server asking for a longer wait gets its error raised instead.
    """

    max_retries: int = 2
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0

    def backoff(self, retry_number: int) -> float:
        """Return a full-jitter wait before retry `retry_number` (from 1)."""
        ceiling = min(self.max_backoff, self.initial_backoff * 2 ** (retry_number - 1))
        return random.uniform(0, ceiling)  # noqa: S311 - jitter, not security


@dataclass(frozen=True, slots=True)
class RawResponse:
    """A response whose body has been read in full.

    Attributes:
        status_code: The HTTP status code.
        headers: The response headers.
        content: The decoded body, at most `MAX_RESPONSE_BYTES` long.
        method: The request method.
        path: The request path as sent, without the query string.
    """

    status_code: int
    headers: httpx2.Headers
    content: bytes
    method: str
    path: str


async def send_request(
    client: httpx2.AsyncClient,
    method: str,
    url: str | httpx2.URL,
    *,
    headers: Mapping[str, str],
    content: bytes | None = None,
    timeout: httpx2.Timeout = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - per attempt
    policy: RetryPolicy = RetryPolicy(),
    idempotent: bool,
) -> RawResponse:
    """Send a request, retrying what is safe to retry, and read the response.

    GET requests (`idempotent=True`) are retried on connect errors, timeouts,
    dropped connections and the statuses in `RETRYABLE_STATUS_CODES`. Other
    requests are retried only when they provably never left this process
    (connect errors and pool timeouts), so the server never receives them twice.

    Returns:
        The last response, whatever its status; the caller maps error statuses.

    Raises:
        APITimeoutError: The last attempt timed out.
        APIConnectionError: The last attempt failed without a usable response,
            or the client was closed while the request was in progress.
        APIResponseValidationError: The body is larger than `MAX_RESPONSE_BYTES`.
    """
    request = client.build_request(
        method, url, headers=headers, content=content, timeout=timeout
    )
    path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
    attempts = policy.max_retries + 1

    for attempt in range(1, attempts + 1):
        started = time.perf_counter()
        try:
            response = await _send_once(client, request, method, path)
        except httpx2.TransportError as exc:
            elapsed_ms = (time.perf_counter() - started) * 1000
            logger.debug(
                "%s %s failed after %.1f ms (attempt %d): %s",
                method, path, elapsed_ms, attempt, type(exc).__name__,
            )  # fmt: skip
            retryable = idempotent or isinstance(exc, _NOT_SENT_ERRORS)
            if not retryable or attempt == attempts:
                raise _connection_error(exc, method, path) from exc
            await _wait(policy.backoff(attempt), method, path, attempt, attempts, exc)
            continue
        except RuntimeError:
            # httpx2, and the aiohttp transport for a request that was waiting
            # for a connection, raise RuntimeError once the client is closed.
            if not client.is_closed:
                raise
            raise _closed_error(method, path) from None

        elapsed_ms = (time.perf_counter() - started) * 1000
        logger.debug(
            "%s %s -> %d in %.1f ms (attempt %d)",
            method, path, response.status_code, elapsed_ms, attempt,
        )  # fmt: skip
        if not (idempotent and response.status_code in RETRYABLE_STATUS_CODES):
            return response
        if attempt == attempts:
            return response
        delay = _retry_delay(response.headers, policy, attempt)
        if delay is None:
            return response
        await _wait(delay, method, path, attempt, attempts, response.status_code)

    raise AssertionError("unreachable: the last attempt returns or raises")


async def _send_once(
    client: httpx2.AsyncClient, request: httpx2.Request, method: str, path: str
) -> RawResponse:
    response = await client.send(request, stream=True, follow_redirects=False)
    try:
        content = await _read_limited(response, method, path)
    finally:
        await response.aclose()
    return RawResponse(response.status_code, response.headers, content, method, path)


async def _read_limited(response: httpx2.Response, method: str, path: str) -> bytes:
    declared = response.headers.get("content-length", "")
    # str.isdigit() alone also accepts digits such as "²" that int() rejects.
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
        raise _too_large(response.status_code, method, path)

    chunks: list[bytes] = []
    received = 0
    body = response.aiter_bytes()
    try:
        async for chunk in body:
            received += len(chunk)
            if received > MAX_RESPONSE_BYTES:
                # Closed at once rather than whenever the garbage collector
                # runs, which trio reports as an error. A generator that
                # raised or finished needs no closing.
                await body.aclose()
                raise _too_large(response.status_code, method, path)
            chunks.append(chunk)
    except httpx2.DecodingError:
        raise APIResponseValidationError(
            f"The response to {method} {path} could not be decoded with its "
            f"Content-Encoding {response.headers.get('content-encoding', '')!r}.",
            status_code=response.status_code,
            method=method,
            path=path,
        ) from None
    return b"".join(chunks)


def _too_large(status_code: int, method: str, path: str) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"The response to {method} {path} is larger than "
        f"{MAX_RESPONSE_BYTES // (1024 * 1024)} MiB and was not read.",
        status_code=status_code,
        method=method,
        path=path,
    )


def _retry_delay(
    headers: httpx2.Headers, policy: RetryPolicy, attempt: int
) -> float | None:
    """Return the wait before the next attempt, or None to stop retrying."""
    retry_after = parse_retry_after(headers.get("retry-after"))
    if retry_after is None:
        return policy.backoff(attempt)
    if retry_after > policy.max_retry_after:
        return None
    return retry_after


def parse_retry_after(value: str | None) -> float | None:
    """Parse `Retry-After` as delay-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None:
        return None
    value = value.strip()
    # str.isdigit() alone also accepts digits such as "²" that float() rejects.
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


async def _wait(
    delay: float,
    method: str,
    path: str,
    attempt: int,
    attempts: int,
    cause: BaseException | int,
) -> None:
    reason = f"status {cause}" if isinstance(cause, int) else type(cause).__name__
    logger.warning(
        "Retrying %s %s in %.2f s after %s (attempt %d of %d failed)",
        method, path, delay, reason, attempt, attempts,
    )  # fmt: skip
    await _sleep(delay)


def _closed_error(method: str, path: str) -> APIConnectionError:
    return APIConnectionError(
        f"{method} {path} was stopped because its HTTP client was closed; "
        "create a new client to make more calls.",
        method=method,
        path=path,
    )


def _connection_error(
    exc: httpx2.TransportError, method: str, path: str
) -> APIConnectionError:
    if isinstance(exc, httpx2.TimeoutException):
        kind = {
            httpx2.ConnectTimeout: "connecting",
            httpx2.ReadTimeout: "waiting for the response",
            httpx2.WriteTimeout: "sending the request",
            httpx2.PoolTimeout: "waiting for a free connection in the pool",
        }.get(type(exc), "the request")
        return APITimeoutError(
            f"{method} {path} timed out while {kind}; raise `timeout` if the "
            "server is slow, or check that it is reachable.",
            method=method,
            path=path,
        )
    return APIConnectionError(
        f"{method} {path} failed without a usable response ({type(exc).__name__}); "
        "check the base URL and that the server is reachable.",
        method=method,
        path=path,
    )

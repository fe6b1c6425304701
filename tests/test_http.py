"""Attempts, retries, waits, size limits and error mapping of every request."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx2
import pytest

from red5_bcs import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    _http,
)
from red5_bcs._http import MAX_RESPONSE_BYTES, RetryPolicy, send_request

Handler = Callable[[httpx2.Request], httpx2.Response]
URL = "http://api.invalid/as/v1/conference/rooms?state=active"


class Recorder:
    """A mock transport that plays a script of responses and exceptions."""

    def __init__(self, *script: httpx2.Response | Exception | int) -> None:
        self.script = list(script)
        self.requests: list[httpx2.Request] = []

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        step = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        if isinstance(step, Exception):
            raise step
        if isinstance(step, int):
            return httpx2.Response(step, json={"ok": step})
        return step


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    recorded: list[float] = []

    async def record(delay: float) -> None:
        recorded.append(delay)

    monkeypatch.setattr(_http, "_sleep", record)
    return recorded


async def _send(
    recorder: Recorder, method: str = "GET", *, retries: int = 2, **kwargs: object
) -> _http.RawResponse:
    async with httpx2.AsyncClient(transport=httpx2.MockTransport(recorder)) as client:
        return await send_request(
            client,
            method,
            URL,
            headers={"Authorization": "Bearer secret-token"},
            policy=RetryPolicy(max_retries=retries),
            idempotent=method == "GET",
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.mark.anyio
@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
async def test_get_retries_retryable_status_then_succeeds(
    status: int, waits: list[float]
) -> None:
    recorder = Recorder(status, status, 200)

    response = await _send(recorder)

    assert response.status_code == 200
    assert len(recorder.requests) == 3
    assert len(waits) == 2


@pytest.mark.anyio
async def test_get_returns_last_error_response_after_retries(
    waits: list[float],
) -> None:
    recorder = Recorder(503)

    response = await _send(recorder, retries=2)

    assert response.status_code == 503
    assert len(recorder.requests) == 3


@pytest.mark.anyio
@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 501])
async def test_non_retryable_status_is_returned_at_once(
    status: int, waits: list[float]
) -> None:
    recorder = Recorder(status, 200)

    response = await _send(recorder)

    assert response.status_code == status
    assert len(recorder.requests) == 1
    assert waits == []


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["POST", "DELETE"])
@pytest.mark.parametrize("status", [429, 500, 503])
async def test_post_and_delete_never_retry_on_status(
    method: str, status: int, waits: list[float]
) -> None:
    recorder = Recorder(status, 200)

    response = await _send(recorder, method)

    assert response.status_code == status
    assert len(recorder.requests) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    "error", [httpx2.ReadTimeout("slow"), httpx2.RemoteProtocolError("dropped")]
)
async def test_post_is_not_retried_once_sent(
    error: Exception, waits: list[float]
) -> None:
    recorder = Recorder(error, 200)

    with pytest.raises(APIConnectionError):
        await _send(recorder, "POST")

    assert len(recorder.requests) == 1


@pytest.mark.anyio
@pytest.mark.parametrize(
    "error",
    [
        httpx2.ConnectError("refused"),
        httpx2.ConnectTimeout("slow"),
        httpx2.PoolTimeout("full"),
    ],
)
async def test_post_is_retried_when_never_sent(
    error: Exception, waits: list[float]
) -> None:
    recorder = Recorder(error, 200)

    response = await _send(recorder, "POST")

    assert response.status_code == 200
    assert len(recorder.requests) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    "error",
    [
        httpx2.ConnectError("refused"),
        httpx2.ReadTimeout("slow"),
        httpx2.ReadError("reset"),
        httpx2.RemoteProtocolError("dropped"),
    ],
)
async def test_get_is_retried_on_transport_errors(
    error: Exception, waits: list[float]
) -> None:
    recorder = Recorder(error, 200)

    assert (await _send(recorder)).status_code == 200
    assert len(recorder.requests) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (httpx2.ConnectTimeout("slow"), APITimeoutError),
        (httpx2.ReadTimeout("slow"), APITimeoutError),
        (httpx2.WriteTimeout("slow"), APITimeoutError),
        (httpx2.PoolTimeout("full"), APITimeoutError),
        (httpx2.ConnectError("refused"), APIConnectionError),
        (httpx2.RemoteProtocolError("bad"), APIConnectionError),
    ],
)
async def test_transport_errors_map_to_api_errors(
    error: Exception, expected: type[Exception], waits: list[float]
) -> None:
    with pytest.raises(expected) as caught:
        await _send(Recorder(error), retries=1)

    assert caught.value.method == "GET"  # type: ignore[attr-defined]
    assert caught.value.path == "/as/v1/conference/rooms"  # type: ignore[attr-defined]
    assert "state=active" not in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx2.TransportError)


@pytest.mark.anyio
async def test_zero_retries_makes_one_attempt(waits: list[float]) -> None:
    recorder = Recorder(httpx2.ConnectError("refused"))

    with pytest.raises(APIConnectionError):
        await _send(recorder, retries=0)

    assert len(recorder.requests) == 1


@pytest.mark.anyio
async def test_retry_after_seconds_is_honoured(waits: list[float]) -> None:
    limited = httpx2.Response(429, headers={"Retry-After": "7"})

    await _send(Recorder(limited, 200))

    assert waits == [7.0]


@pytest.mark.anyio
async def test_retry_after_http_date_is_honoured(waits: list[float]) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    limited = httpx2.Response(503, headers={"Retry-After": when})

    await _send(Recorder(limited, 200))

    assert 17 <= waits[0] <= 20


@pytest.mark.anyio
async def test_retry_after_in_past_retries_at_once(waits: list[float]) -> None:
    limited = httpx2.Response(
        503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}
    )

    await _send(Recorder(limited, 200))

    assert waits == [0.0]


@pytest.mark.anyio
async def test_retry_after_over_sixty_seconds_stops_retrying(
    waits: list[float],
) -> None:
    recorder = Recorder(httpx2.Response(429, headers={"Retry-After": "61"}), 200)

    response = await _send(recorder)

    assert response.status_code == 429
    assert len(recorder.requests) == 1


@pytest.mark.anyio
async def test_unparsable_retry_after_falls_back_to_backoff(waits: list[float]) -> None:
    await _send(Recorder(httpx2.Response(503, headers={"Retry-After": "soon"}), 200))

    assert 0 <= waits[0] <= 0.5


def test_backoff_doubles_and_is_capped() -> None:
    policy = RetryPolicy()
    ceilings = {1: 0.5, 2: 1.0, 3: 2.0, 4: 4.0, 5: 8.0, 9: 8.0}

    for retry, ceiling in ceilings.items():
        samples = [policy.backoff(retry) for _ in range(200)]
        assert all(0 <= sample <= ceiling for sample in samples)
        assert max(samples) > ceiling / 2


@pytest.mark.anyio
async def test_oversized_declared_body_is_refused(waits: list[float]) -> None:
    big = httpx2.Response(200, headers={"Content-Length": str(MAX_RESPONSE_BYTES + 1)})

    with pytest.raises(APIResponseValidationError, match="larger than 10 MiB"):
        await _send(Recorder(big))


@pytest.mark.anyio
async def test_oversized_streamed_body_is_refused(waits: list[float]) -> None:
    chunks_sent: list[int] = []

    async def body() -> object:
        for index in range(100):
            chunks_sent.append(index)
            yield b"x" * (1024 * 1024)

    streamed = httpx2.Response(200, content=body())

    with pytest.raises(APIResponseValidationError):
        await _send(Recorder(streamed))

    assert len(chunks_sent) <= 12


@pytest.mark.anyio
async def test_body_past_declared_length_rejected(waits: list[float]) -> None:
    # A transport that does not frame bodies, such as this mock, can deliver
    # more than the Content-Length value, so the limit counts what was read.
    chunks_sent: list[int] = []

    async def body() -> object:
        for index in range(100):
            chunks_sent.append(index)
            yield b"x" * (1024 * 1024)

    lying = httpx2.Response(200, headers={"Content-Length": "2"}, content=body())

    with pytest.raises(APIResponseValidationError, match="larger than 10 MiB"):
        await _send(Recorder(lying))

    assert len(chunks_sent) <= 12


@pytest.mark.anyio
async def test_non_ascii_length_ignored(waits: list[float]) -> None:
    # b"\xb2" reads as "²" in ISO-8859-1, which str.isdigit() accepts.
    odd = httpx2.Response(200, headers=[(b"Content-Length", b"\xb2")], content=b"{}")

    response = await _send(Recorder(odd))

    assert response.content == b"{}"


@pytest.mark.anyio
async def test_gzip_body_bounded_after_decoding(waits: list[float]) -> None:
    expanding = gzip.compress(b"0" * (MAX_RESPONSE_BYTES + 1))
    bomb = httpx2.Response(
        200,
        headers={"Content-Encoding": "gzip", "Content-Length": str(len(expanding))},
        content=expanding,
    )

    with pytest.raises(APIResponseValidationError, match="larger than 10 MiB"):
        await _send(Recorder(bomb))


@pytest.mark.anyio
async def test_declared_length_body_read_whole(waits: list[float]) -> None:
    exact = httpx2.Response(200, headers={"Content-Length": "7"}, content=b'{"a":1}')

    response = await _send(Recorder(exact))

    assert response.content == b'{"a":1}'


@pytest.mark.anyio
async def test_redirect_is_not_followed(waits: list[float]) -> None:
    moved = httpx2.Response(302, headers={"Location": "http://elsewhere.invalid/"})
    recorder = Recorder(moved, 200)

    response = await _send(recorder)

    assert response.status_code == 302
    assert [str(request.url.host) for request in recorder.requests] == ["api.invalid"]


@pytest.mark.anyio
async def test_logs_attempts_and_retries_without_secrets(
    waits: list[float], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="red5_bcs")

    await _send(Recorder(503, 200))

    messages = [record.getMessage() for record in caplog.records]
    assert any("-> 503" in message and "attempt 1" in message for message in messages)
    assert any(message.startswith("Retrying GET") for message in messages)
    assert [r.levelno for r in caplog.records].count(logging.WARNING) == 1
    assert not any("secret-token" in message for message in messages)
    assert not any("state=active" in message for message in messages)


@pytest.mark.anyio
async def test_corrupt_gzip_body_is_validation_error(waits: list[float]) -> None:
    async def body() -> object:
        yield b"definitely not gzip"

    corrupt = httpx2.Response(200, headers={"Content-Encoding": "gzip"}, content=body())

    with pytest.raises(APIResponseValidationError, match="could not be decoded"):
        await _send(Recorder(corrupt))

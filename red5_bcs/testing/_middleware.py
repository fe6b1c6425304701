"""The ASGI layer in front of the emulator: request log and scripted faults.

Requests under `/emulator/` (the control API) are neither logged nor
faulted. Every other request is logged with the status it got, and takes
the next matching fault outcome, if any.

A dropped connection cannot be expressed in ASGI itself. Under
`EmulatorServer`, the server puts a callable under `DROP_CONNECTION_KEY`
in the scope that aborts the TCP connection, so the client sees the socket
close. Without it (in-process, through `httpx2.ASGITransport`), the layer
raises `httpx2.RemoteProtocolError`, which ASGITransport passes on to the
client exactly where a real dropped connection raises it. Served by any
other ASGI server, a drop becomes that server's 500 response.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import asdict, dataclass
from typing import Any

import anyio
import httpx2
from starlette.requests import ClientDisconnect

from ._clock import Clock
from ._faults import CONTROL_PREFIX, FaultOutcome, FaultQueues
from ._responses import send_outcome
from ._routing import raw_path_of

__all__ = ["DROP_CONNECTION_KEY", "FaultMiddleware", "RecordedRequest", "RequestLog"]

logger = logging.getLogger("red5_bcs.testing")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

DROP_CONNECTION_KEY = "red5_bcs.drop_connection"
MAX_LOGGED_REQUESTS = 10_000
_DISCONNECT_WAIT_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """A request the emulator received.

    Attributes:
        method: The HTTP method.
        raw_path: The path as sent, percent escapes included.
        query: The raw query string, without `?`, with the value of a PubNub
            `signature` parameter replaced by `redacted`.
        status: The response status, or None when no response was sent.
        fault: The fault outcome applied (`status`, `delay`, `drop`,
            `malformed`, `redirect`, `body_bytes` or `pass`), or None.
        time: When the request arrived, by the emulator's clock.
    """

    method: str
    raw_path: str
    query: str
    status: int | None
    fault: str | None
    time: float

    def to_json(self) -> dict[str, Any]:
        """Return the entry as `GET /emulator/v1/requests` lists it."""
        return asdict(self)


class RequestLog:
    """The most recent requests, at most `MAX_LOGGED_REQUESTS` of them."""

    def __init__(self) -> None:
        self._entries: deque[RecordedRequest] = deque(maxlen=MAX_LOGGED_REQUESTS)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<RequestLog entries={len(self._entries)}>"

    def append(self, entry: RecordedRequest) -> None:
        """Record a request."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[RecordedRequest]:
        """Return the recorded requests, oldest first."""
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        """Forget every recorded request."""
        with self._lock:
            self._entries.clear()


class FaultMiddleware:
    """Pure ASGI middleware that logs requests and applies fault outcomes."""

    def __init__(
        self, app: ASGIApp, *, faults: FaultQueues, log: RequestLog, clock: Clock
    ) -> None:
        self.app = app
        self._faults = faults
        self._log = log
        self._clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw_path = _raw_path(scope)
        if scope["type"] != "http" or raw_path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return

        arrived = self._clock()
        outcome = self._faults.take(scope["method"], raw_path)
        fault = outcome.kind if outcome is not None else None
        recorded = False

        def record(status: int | None) -> None:
            # Recorded before the response is sent, so that a client that has
            # received it always finds the request in the log.
            nonlocal recorded
            if recorded:
                return
            recorded = True
            query = _redact(scope.get("query_string", b"").decode("latin-1"))
            entry = RecordedRequest(
                scope["method"], raw_path, query, status, fault, arrived
            )
            self._log.append(entry)
            logger.debug("%s %s -> %s", entry.method, raw_path, status)

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                record(message["status"])
            await send(message)

        try:
            await self._respond(outcome, scope, receive, send_and_record, record)
        except ClientDisconnect:
            # The client disconnected while its request body was read, as a
            # cancelled call does, so no response can be sent.
            logger.debug("%s %s: the client disconnected", scope["method"], raw_path)
        finally:
            record(None)

    async def _respond(
        self,
        outcome: FaultOutcome | None,
        scope: Scope,
        receive: Receive,
        send: Send,
        record: Callable[[int | None], None],
    ) -> None:
        if outcome is None:
            await self.app(scope, receive, send)
            return

        logger.debug(
            "Applying fault %s to %s %s",
            outcome.kind,
            scope["method"],
            _raw_path(scope),
        )
        if outcome.delay:
            await anyio.sleep(outcome.delay)
        if outcome.passes_through:
            await self.app(scope, receive, send)
        elif outcome.drop == "before_response":
            record(None)
            await _drop(outcome.drop, scope, receive, send)
        elif outcome.drop is not None:
            await _drop(outcome.drop, scope, receive, send)
        else:
            await send_outcome(outcome, send)


async def _drop(kind: str, scope: Scope, receive: Receive, send: Send) -> None:
    abort = scope.get(DROP_CONNECTION_KEY)
    if abort is None:
        if kind == "during_body":
            raise httpx2.RemoteProtocolError(
                "peer closed connection without sending complete message body"
            )
        raise httpx2.RemoteProtocolError(
            "Server disconnected without sending a response."
        )

    if kind == "during_body":
        headers = [(b"content-type", b"application/json"), (b"content-length", b"1024")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send(
            {"type": "http.response.body", "body": b'{"partial": "', "more_body": True}
        )
    abort()
    # Returning at once would make the server send a 500 or log an error.
    # Waiting for the disconnect lets it notice that the connection is closed.
    with anyio.move_on_after(_DISCONNECT_WAIT_SECONDS):
        while (await receive())["type"] != "http.disconnect":
            pass


def _raw_path(scope: Scope) -> str:
    return raw_path_of(scope).decode("latin-1")


_SIGNATURE_PARAMETER = re.compile(r"(^|&)(signature=)[^&]*")


def _redact(query: str) -> str:
    # A grant's signature is a credential for its request; the log is shown
    # to tests and over the control API, so it never keeps one.
    return _SIGNATURE_PARAMETER.sub(r"\1\2redacted", query)

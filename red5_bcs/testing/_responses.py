"""Raw ASGI responses for fault outcomes that respond in place of the emulator."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._faults import FaultOutcome

__all__ = ["send_outcome"]

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

CHUNK_BYTES = 64 * 1024
_JSON = b"application/json"
_TRUNCATED_BODY = b'{"message": "This response was cut off in the mid'
_NOT_JSON_BODY = b"This body is labelled JSON, but it is plain text."
_HTML_BODY = (
    b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>The server is temporarily unable "
    b"to handle the request.</p></body></html>\n"
)
_MALFORMED = {
    "truncated": (_JSON, _TRUNCATED_BODY),
    "not_json": (_JSON, _NOT_JSON_BODY),
    "html": (b"text/html; charset=utf-8", _HTML_BODY),
}


async def send_outcome(outcome: FaultOutcome, send: Send) -> None:
    """Send the response an outcome describes (any outcome but a drop)."""
    if outcome.malformed is not None:
        malformed_type, malformed_body = _MALFORMED[outcome.malformed]
        await _send(
            send, outcome.status or 200, malformed_type, malformed_body, outcome
        )
    elif outcome.redirect is not None:
        location = [(b"location", outcome.redirect.encode("utf-8"))]
        await _send(send, outcome.status or 307, None, b"", outcome, location)
    elif outcome.body_bytes is not None:
        await _send_large(send, outcome)
    else:
        content_type, body = _encode_body(outcome)
        await _send(send, outcome.status or 200, content_type, body, outcome)


def _encode_body(outcome: FaultOutcome) -> tuple[bytes | None, bytes]:
    if outcome.body is None:
        return None, b""
    if isinstance(outcome.body, str):
        return b"text/plain; charset=utf-8", outcome.body.encode("utf-8")
    return _JSON, json.dumps(outcome.body).encode("utf-8")


def _headers(
    outcome: FaultOutcome, content_type: bytes | None, extra: list[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    names = {name.lower() for name in outcome.headers}
    headers = list(extra)
    if content_type is not None and "content-type" not in names:
        headers.append((b"content-type", content_type))
    headers += [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in outcome.headers.items()
    ]
    return headers


async def _send(
    send: Send,
    status: int,
    content_type: bytes | None,
    body: bytes,
    outcome: FaultOutcome,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = _headers(outcome, content_type, extra or [])
    headers.append((b"content-length", str(len(body)).encode("ascii")))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_large(send: Send, outcome: FaultOutcome) -> None:
    size = outcome.body_bytes or 0
    # A JSON string of the requested size, so that only its size is wrong.
    body = b'"' + b"x" * (size - 2) + b'"' if size >= 2 else b" " * size
    if not outcome.chunked:
        await _send(send, outcome.status or 200, _JSON, body, outcome)
        return

    headers = _headers(outcome, _JSON, [])
    start = {"type": "http.response.start", "status": outcome.status or 200}
    await send({**start, "headers": headers})
    for offset in range(0, len(body), CHUNK_BYTES):
        chunk = body[offset : offset + CHUNK_BYTES]
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})

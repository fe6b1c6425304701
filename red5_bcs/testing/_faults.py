"""Scripted faults: outcomes that replace the emulator's normal responses.

A fault script names a method and a raw path prefix and contains a queue of
outcomes. Each request that matches takes the next outcome; when the queue
is empty the script is gone and requests get normal responses again. When
several scripts match, the one added first is used.

An outcome is a JSON object. `delay` may be combined with any other key; the
other keys are exclusive groups:

- `{}` or `{"delay": s}`: respond normally (after waiting `s` seconds of real
  time, not emulator time). The request reaches the conference model.
- `{"status": n, "body": ..., "headers": {...}}`: respond with status `n`
  (200 to 599). A string body is sent as text/plain, any other JSON value as
  application/json, and no body as an empty one.
- `{"drop": "before_response" | "during_body"}`: close the connection with
  no response, or after the headers and part of the body.
- `{"malformed": "truncated" | "not_json" | "html"}`: a complete response
  whose body is cut-off JSON, text labelled as JSON, or an HTML page; status
  200 unless `status` is given.
- `{"redirect": url}`: a redirect to `url` (status 307 unless `status` is
  one of 301, 302, 303, 307, 308). The emulator never follows it.
- `{"body_bytes": n, "chunked": bool}`: a 200 response with an `n`-byte
  body, sent with `Content-Length`, or in chunks without it.

Every outcome but a plain delay responds in place of the emulator, so the
request changes no state. `headers` may be added to any outcome that sends a
response.
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

__all__ = ["FaultOutcome", "FaultQueues", "FaultScript"]

MAX_DELAY_SECONDS = 120.0
MAX_BODY_BYTES = 64 * 1024 * 1024
MAX_OUTCOMES = 1000
CONTROL_PREFIX = "/emulator/"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Headers that frame the response; replacing them would corrupt the stream.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_ACTIONS = ("drop", "malformed", "redirect", "body_bytes")

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "*"]


class FaultOutcome(BaseModel):
    """One scripted outcome; see the module documentation for the keys."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    delay: float | None = Field(default=None, ge=0, le=MAX_DELAY_SECONDS)
    status: int | None = Field(default=None, ge=200, le=599)
    body: JsonValue = None
    headers: dict[str, str] = Field(default_factory=dict)
    drop: Literal["before_response", "during_body"] | None = None
    malformed: Literal["truncated", "not_json", "html"] | None = None
    redirect: str | None = None
    body_bytes: int | None = Field(default=None, ge=0, le=MAX_BODY_BYTES)
    chunked: bool = False

    @property
    def kind(self) -> str:
        """The outcome's name in the request log, such as `status` or `drop`."""
        for action in _ACTIONS:
            if getattr(self, action) is not None:
                return action
        if self.status is not None:
            return "status"
        return "delay" if self.delay is not None else "pass"

    @property
    def passes_through(self) -> bool:
        """Whether the request still reaches the emulator's normal handler."""
        return self.kind in ("pass", "delay")

    @model_validator(mode="after")
    def _check_combination(self) -> Self:
        actions = [name for name in _ACTIONS if getattr(self, name) is not None]
        if len(actions) > 1:
            raise ValueError(f"use only one of {', '.join(actions)} in an outcome")
        kind = self.kind
        given = self.model_fields_set

        if "body" in given and kind != "status":
            raise ValueError(
                "body needs status and no drop, malformed, redirect or body_bytes"
            )
        if self.chunked and kind != "body_bytes":
            raise ValueError("chunked applies only to body_bytes")
        if kind == "drop" and (self.status is not None or self.headers):
            raise ValueError(
                "a drop sends no response, so it takes no status or headers"
            )
        if kind == "redirect":
            _check_redirect(self.redirect or "", self.status)
        if kind in ("pass", "delay") and self.headers:
            raise ValueError("headers need an outcome that sends a response")
        for name, value in self.headers.items():
            _check_header(name, value)
        return self


class FaultScript(BaseModel):
    """Outcomes for requests with a method and a raw path prefix.

    Attributes:
        method: The HTTP method to match, or `*` for any.
        path_prefix: A prefix of the raw, percent-encoded path, such as
            `/as/v1/conference/rooms`; paths under `/emulator/` never match.
        outcomes: The outcomes, used one per matching request, in order.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    method: Method
    path_prefix: str = Field(pattern=r"^/", min_length=1, max_length=2048)
    outcomes: list[FaultOutcome] = Field(min_length=1, max_length=MAX_OUTCOMES)

    @model_validator(mode="after")
    def _check_prefix(self) -> Self:
        if self.path_prefix.startswith(CONTROL_PREFIX):
            raise ValueError(f"paths under {CONTROL_PREFIX} cannot be faulted")
        return self


@dataclass(slots=True)
class _Pending:
    method: str
    path_prefix: str
    outcomes: deque[FaultOutcome]


class FaultQueues:
    """The fault scripts not yet used up, shared by every request."""

    def __init__(self) -> None:
        self._pending: list[_Pending] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<FaultQueues scripts={len(self._pending)}>"

    def add(self, scripts: Iterable[FaultScript]) -> None:
        """Queue scripts after those already queued."""
        with self._lock:
            for script in scripts:
                queue = deque(script.outcomes)
                self._pending.append(_Pending(script.method, script.path_prefix, queue))

    def clear(self) -> None:
        """Drop every queued outcome."""
        with self._lock:
            self._pending.clear()

    def take(self, method: str, raw_path: str) -> FaultOutcome | None:
        """Remove and return the next outcome for a request, if one matches."""
        with self._lock:
            for pending in self._pending:
                method_matches = pending.method in ("*", method)
                if method_matches and raw_path.startswith(pending.path_prefix):
                    outcome = pending.outcomes.popleft()
                    if not pending.outcomes:
                        self._pending.remove(pending)
                    return outcome
        return None

    def to_json(self) -> list[dict[str, Any]]:
        """Return the queued scripts, in the form they are added in."""
        with self._lock:
            return [
                {
                    "method": pending.method,
                    "path_prefix": pending.path_prefix,
                    "outcomes": [
                        outcome.model_dump(mode="json", exclude_unset=True)
                        for outcome in pending.outcomes
                    ],
                }
                for pending in self._pending
            ]


def make_scripts(
    method: str, path_prefix: str, outcomes: Iterable[Mapping[str, Any] | FaultOutcome]
) -> list[FaultScript]:
    """Build a validated one-script list from Python values.

    Raises:
        pydantic.ValidationError: The script is invalid (a `ValueError`).
    """
    items = [
        outcome.model_dump(exclude_unset=True)
        if isinstance(outcome, FaultOutcome)
        else outcome
        for outcome in outcomes
    ]
    script = {"method": method, "path_prefix": path_prefix, "outcomes": items}
    return [FaultScript.model_validate(script)]


def _check_redirect(url: str, status: int | None) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("redirect must be an absolute http:// or https:// URL")
    if status is not None and status not in REDIRECT_STATUSES:
        raise ValueError(
            f"a redirect status must be one of {sorted(REDIRECT_STATUSES)}"
        )


def _check_header(name: str, value: str) -> None:
    if not _HEADER_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid header name")
    if name.lower() in _FRAMING_HEADERS:
        raise ValueError(f"the {name} header frames the response and cannot be set")
    if not value.isascii() or any(char in value for char in "\r\n\0"):
        raise ValueError(
            f"the value of header {name} must be ASCII without line breaks or NUL"
        )

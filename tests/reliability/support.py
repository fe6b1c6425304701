"""Helpers of the reliability tests: request counts, raw servers, sockets, secrets."""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import psutil
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from red5_bcs import _cbor
from red5_bcs._tokens import HS256Minter
from red5_bcs.testing import Emulator

API = "/as/v1/conference/"
ROOMS = "/as/v1/conference/rooms"
GRANT = "/v3/pam/"
# Nothing listens on the discard port of 127.0.0.1, so a redirect there can
# never reach a server, even if a client followed it.
ELSEWHERE = "http://127.0.0.1:9/elsewhere"


def attempts(emulator: Emulator, path_prefix: str, method: str | None = None) -> int:
    """Count the logged requests whose raw path starts with `path_prefix`."""
    return sum(
        1
        for entry in emulator.requests
        if entry.raw_path.startswith(path_prefix)
        and (method is None or entry.method == method)
    )


async def until_logged(emulator: Emulator, path_prefix: str, count: int) -> None:
    """Wait until `count` requests to a path are logged.

    The emulator logs a delayed request only when it finishes, so a test that
    times out or cancels one waits here before it counts attempts, and so the
    request cannot land in the log of a later test.
    """
    with anyio.fail_after(10):
        while attempts(emulator, path_prefix) < count:  # noqa: ASYNC110 - another thread logs
            await anyio.sleep(0.02)


def wait_logged(emulator: Emulator, path_prefix: str, count: int) -> None:
    """Block until `count` requests to a path are logged; see `until_logged`."""
    deadline = time.monotonic() + 10
    while attempts(emulator, path_prefix) < count:
        assert time.monotonic() < deadline, f"{path_prefix} was never logged"
        time.sleep(0.02)


def decoded_segments(raw_path: str) -> list[str]:
    """Split a raw path on `/`, then percent-decode each segment."""
    return [urllib.parse.unquote(part, errors="strict") for part in raw_path.split("/")]


def client_sockets(port: int) -> int:
    """Count this process's TCP sockets connected to `port` on the loopback."""
    return sum(
        1
        for connection in psutil.Process().net_connections("tcp")
        if connection.raddr and connection.raddr.port == port
    )


def wait_for_no_sockets(port: int) -> int:
    """Wait up to 2 s for the sockets to `port` to close; return those left."""
    deadline = time.monotonic() + 2
    left = client_sockets(port)
    while left and time.monotonic() < deadline:
        time.sleep(0.02)
        left = client_sockets(port)
    return left


class SocketSampler:
    """Samples the client sockets to a port from a thread, keeping the peak."""

    def __init__(self, port: int, interval: float = 0.01) -> None:
        self.port = port
        self.peak = 0
        self.samples = 0
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="socket-sampler")

    def __enter__(self) -> SocketSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.peak = max(self.peak, client_sockets(self.port))
            self.samples += 1


@dataclass
class RawServer:
    """A loopback TCP server that runs a canned action on each connection.

    Attributes:
        url: The server's base URL.
        accepted: How many connections the server has accepted.
    """

    url: str
    accepted: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> None:
        """Record one accepted connection."""
        with self._lock:
            self.accepted += 1


ConnectionAction = Callable[[socket.socket], None]


def close_at_once(connection: socket.socket) -> None:
    """Close the connection before reading a byte of the request."""
    connection.close()


def respond_with(*responses: bytes) -> ConnectionAction:
    """Send the n-th response on the n-th connection, then close it."""
    remaining = list(responses)
    lock = threading.Lock()

    def respond(connection: socket.socket) -> None:
        with lock:
            response = remaining.pop(0) if remaining else responses[-1]
        _read_request_head(connection)
        connection.sendall(response)
        connection.close()

    return respond


def _read_request_head(connection: socket.socket) -> None:
    received = b""
    connection.settimeout(5)
    while b"\r\n\r\n" not in received and len(received) < 64 * 1024:
        chunk = connection.recv(4096)
        if not chunk:
            return
        received += chunk


@contextmanager
def raw_server(action: ConnectionAction) -> Iterator[RawServer]:
    """Serve `action` on 127.0.0.1 from a thread until the block exits."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    server = RawServer(f"http://127.0.0.1:{listener.getsockname()[1]}")
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            server.count()
            with connection:
                action(connection)

    thread = threading.Thread(target=serve, name="raw-server", daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()


def closed_port_url() -> str:
    """Return an http URL on 127.0.0.1 where nothing listens."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class RecordingMinter(HS256Minter):
    """The default minter, keeping every token it signs."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str] = []
        self._lock = threading.Lock()

    def mint(self, claims: Any, secret: bytes) -> str:
        token = super().mint(claims, secret)
        with self._lock:
            self.tokens.append(token)
        return token


def pubnub_token_signature_forms(token: str) -> list[str]:
    """Return the `sig` of a PubNub token in every form it could be printed in."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    decoded = _cbor.loads(raw)
    signature = next(value for key, value in decoded.items() if key in (b"sig", "sig"))
    url_safe = base64.urlsafe_b64encode(signature).decode("ascii")
    return [
        signature.hex(),
        url_safe,
        url_safe.rstrip("="),
        base64.b64encode(signature).decode("ascii"),
    ]


# Every PubNub request signature the SDK computed in the current test, filled
# by the `signed_requests` fixture. The emulator's request log redacts them.
SIGNATURES: list[str] = []


def request_signatures(emulator: Emulator) -> list[str]:
    """Return the PubNub request signatures computed during this test."""
    return list(SIGNATURES)


def seal_plaintext(master_key: str, plaintext: bytes) -> str:
    """Seal any bytes as a master secret, as Red5 Cloud seals its five fields.

    The AES key is the MD5 digest of the key's first 16 characters, and the
    secret is base64 of the hex of the AES-128-ECB ciphertext of the
    PKCS#7-padded bytes. Tests use it to reach the steps after decryption.
    """
    key = hashlib.md5(master_key[:16].encode(), usedforsecurity=False).digest()
    padding = 16 - len(plaintext) % 16
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()  # noqa: S305 - the format's own mode
    sealed = encryptor.update(plaintext + bytes([padding]) * padding)
    sealed += encryptor.finalize()
    return base64.b64encode(sealed.hex().encode("ascii")).decode("ascii")

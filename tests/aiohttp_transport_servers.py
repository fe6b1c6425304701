"""Loopback HTTP/1.1 servers that control every byte, for the transport tests.

Each server listens on 127.0.0.1 on a free port and hands every accepted
connection to a handler coroutine, which reads requests and writes whatever
bytes the test needs: a response, garbage, half a body or nothing at all.
The server records the requests it parses and counts connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import gzip
import ipaddress
import socket
import ssl
import struct
import tempfile
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Handler = Callable[["Connection"], Awaitable[None]]


@dataclass(frozen=True)
class ReceivedRequest:
    """A request as the server parsed it from the bytes on the wire."""

    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes


class Connection:
    """One accepted connection, with helpers to read requests and write bytes."""

    def __init__(
        self,
        server: RawServer,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> None:
        self.server = server
        self._reader = reader
        self._writer = writer

    async def read_request(self) -> ReceivedRequest | None:
        """Read one request, or return None when the client has closed."""
        try:
            head = await self._reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            return None

        request_line, *header_lines = head.decode("latin-1").split("\r\n")[:-2]
        method, target, _ = request_line.split(" ")
        headers = [_split_header(line) for line in header_lines]
        body = await self._read_body(headers)

        request = ReceivedRequest(method, target, headers, body)
        self.server.record(request)
        return request

    async def send(self, data: bytes) -> None:
        """Write bytes and wait until they are handed to the socket."""
        self._writer.write(data)
        await self._writer.drain()

    async def send_response(
        self,
        body: bytes = b"ok",
        *,
        status: str = "200 OK",
        headers: Iterable[tuple[str, str]] = (),
        version: str = "HTTP/1.1",
        send_body: bool = True,
    ) -> None:
        """Write a response with a Content-Length header.

        With `send_body=False`, as in a response to HEAD, only the head is
        written and Content-Length still gives the length of `body`.
        """
        lines = [f"{version} {status}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers]
        head = "\r\n".join(lines) + "\r\n\r\n"
        await self.send(head.encode("latin-1") + (body if send_body else b""))

    async def wait_for_client_close(self) -> None:
        """Discard incoming bytes until the client closes the connection."""
        with contextlib.suppress(ConnectionError):
            while await self._reader.read(65536):
                pass

    def stop_reading(self) -> None:
        """Stop reading from the socket, so that the client's sends stall.

        It also shrinks the receive buffer, so that the client stalls once its
        own send buffer is full (at most 4 MiB with Linux's default tcp_wmem).
        """
        sock = self._writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        transport = self._writer.transport
        assert isinstance(transport, asyncio.Transport)
        transport.pause_reading()

    def close(self) -> None:
        """Close the connection from the server side."""
        self._writer.close()

    def reset(self) -> None:
        """Close the connection with a TCP reset instead of a normal close."""
        sock = self._writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._writer.transport.abort()

    async def _read_body(self, headers: list[tuple[str, str]]) -> bytes:
        fields = {name.lower(): value for name, value in headers}
        if fields.get("transfer-encoding", "").lower() == "chunked":
            return await self._read_chunked_body()

        length = int(fields.get("content-length", "0"))
        return await self._reader.readexactly(length)

    async def _read_chunked_body(self) -> bytes:
        body = b""
        while True:
            size = int((await self._reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await self._reader.readexactly(size + 2)
            if size == 0:
                return body
            body += chunk[:-2]


class RawServer:
    """A TCP server on 127.0.0.1 that runs `handler` for every connection.

    Attributes:
        requests: Every request the handlers have read, in order.
        connections_opened: How many connections the server has accepted.
        open_connections: How many accepted connections are still open.
        max_open_connections: The highest `open_connections` seen.
    """

    def __init__(self, handler: Handler, *, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[ReceivedRequest] = []
        self._tls = tls
        self.connections_opened = 0
        self.open_connections = 0
        self.max_open_connections = 0
        self._handler = handler
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._all_closed = asyncio.Event()
        self._all_closed.set()
        self._request_received = asyncio.Event()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    def url(self, path: str = "/") -> str:
        """Return the URL of `path` on this server."""
        scheme = "http" if self._tls is None else "https"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", 0, ssl=self._tls
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._server is not None
        # Aborting a connection ends its handler: reads see the end of the
        # stream and writes fail. A handler still running after that is
        # cancelled, and `_serve` ends quietly on cancellation.
        self._server.close()
        for writer in self._writers:
            writer.transport.abort()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1.0)
        leftover = list(self._tasks)
        for task in leftover:
            task.cancel()
        await asyncio.gather(*leftover)
        await self._server.wait_closed()

    def record(self, request: ReceivedRequest) -> None:
        """Store a request that a handler has read."""
        self.requests.append(request)
        self._request_received.set()

    async def wait_for_requests(self, count: int) -> None:
        """Wait until the handlers have read `count` requests in total."""
        while len(self.requests) < count:
            self._request_received.clear()
            await self._request_received.wait()

    async def wait_until_all_closed(self) -> None:
        """Wait until the client has closed every connection it opened."""
        await self._all_closed.wait()

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        self._count_open(+1)
        try:
            await self._handler(Connection(self, reader, writer))
            await Connection(self, reader, writer).wait_for_client_close()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.transport.abort()
            self._writers.discard(writer)
            self._tasks.discard(task)
            self._count_open(-1)

    def _count_open(self, change: int) -> None:
        if change > 0:
            self.connections_opened += 1
        self.open_connections += change
        self.max_open_connections = max(
            self.max_open_connections, self.open_connections
        )
        if self.open_connections == 0:
            self._all_closed.set()
        else:
            self._all_closed.clear()


def _split_header(line: str) -> tuple[str, str]:
    name, _, value = line.partition(":")
    return name, value.strip()


def respond_to_every_request(
    body: bytes = b"ok",
    *,
    status: str = "200 OK",
    headers: Iterable[tuple[str, str]] = (),
    delay: float = 0.0,
) -> Handler:
    """Return a handler that responds to each request on a kept-alive connection.

    Each response is sent `delay` seconds after its request arrives.
    """
    header_list = list(headers)

    async def handle(connection: Connection) -> None:
        while (request := await connection.read_request()) is not None:
            await asyncio.sleep(delay)
            await connection.send_response(
                body,
                status=status,
                headers=header_list,
                send_body=request.method != "HEAD",
            )

    return handle


def send_after_request(data: bytes, *, then_close: bool = True) -> Handler:
    """Return a handler that reads one request and writes `data` as the reply."""

    async def handle(connection: Connection) -> None:
        if await connection.read_request() is None:
            return
        await connection.send(data)
        if then_close:
            connection.close()

    return handle


def stream_large_body(size: int, chunk_size: int = 65536) -> Handler:
    """Return a handler that responds with a `size`-byte body, written in chunks.

    It stops writing when the client closes the connection.
    """
    chunk = b"x" * chunk_size

    async def handle(connection: Connection) -> None:
        while await connection.read_request() is not None:
            head = f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n"
            await connection.send(head.encode("ascii"))
            for start in range(0, size, chunk_size):
                await connection.send(chunk[: size - start])

    return handle


def gzip_body(text: str) -> bytes:
    """Return `text` encoded as UTF-8 and compressed with gzip."""
    return gzip.compress(text.encode("utf-8"))


@contextlib.contextmanager
def unreachable_port() -> Iterator[int]:
    """Yield a loopback port whose connection attempts hang until they time out.

    The port has a listener with a full accept queue, and Linux drops the
    SYN of any further connection attempt instead of refusing it.
    """
    with contextlib.ExitStack() as stack:
        listener = stack.enter_context(socket.socket())
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = int(listener.getsockname()[1])

        for _ in range(3):
            filler = stack.enter_context(socket.socket())
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
        yield port


def unused_port() -> int:
    """Return a loopback port with no listener, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class TLSContexts:
    """SSL contexts for an HTTPS server on 127.0.0.1 and a client that trusts it.

    Attributes:
        server: A server context with a self-signed certificate for 127.0.0.1.
        client: A client context that trusts only that certificate.
    """

    server: ssl.SSLContext
    client: ssl.SSLContext


def self_signed_tls() -> TLSContexts:
    """Create a self-signed certificate for 127.0.0.1 and contexts that use it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "red5-bcs test")])
    now = datetime.datetime.now(datetime.UTC)
    loopback = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([loopback]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certificate_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )

    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as directory:
        certificate_file = Path(directory, "certificate.pem")
        key_file = Path(directory, "key.pem")
        certificate_file.write_bytes(certificate_pem)
        key_file.write_bytes(key_pem)
        server.load_cert_chain(certificate_file, key_file)

    client = ssl.create_default_context(cadata=certificate_pem.decode("ascii"))
    return TLSContexts(server=server, client=client)

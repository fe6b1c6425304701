"""`EmulatorServer`: an emulator on a TCP socket, served by uvicorn.

The server runs in a background thread (`start()` / `stop()`, or `with`),
or as a task in the running asyncio event loop (`async with`). It speaks
plain HTTP, so clients need the `http://` URLs of `base_url` and
`pubnub_base_url`: the host sealed in `master_secret` implies https, and a
client given only the master key and secret would try TLS.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from .._client import AsyncRed5Client
from .._config import (
    ENV_BASE_URL,
    ENV_MASTER_KEY,
    ENV_MASTER_SECRET,
    ENV_PUBNUB_BASE_URL,
)
from .._credentials import Red5Credentials, seal_master_secret
from ._emulator import Emulator, conference_base_url
from ._middleware import DROP_CONNECTION_KEY, ASGIApp, Receive, Scope, Send

if TYPE_CHECKING:
    import uvicorn

    from .._sync import Red5Client

__all__ = ["EmulatorServer"]

logger = logging.getLogger("red5_bcs.testing")

STARTUP_TIMEOUT_SECONDS = 10.0
# Requests still running when the server stops (a scripted delay, say) get
# this long to finish before their connections are closed.
SHUTDOWN_GRACE_SECONDS = 2


class EmulatorServer:
    """Serves an `Emulator` over HTTP on a TCP socket, with uvicorn.

    The emulator's state is shared: joins, faults and the request log work
    the same through `emulator` and through the socket. Port 0 picks a free
    port; `port`, the URLs, `master_secret` and `env()` give the real one
    once the server runs. Scripted drops close the TCP connection.

    Args:
        emulator: The emulator to serve.
        host: The address to listen on; the default accepts only local
            clients. A wildcard address (`0.0.0.0`, `::`) is advertised as
            the loopback address of its family.
        port: The port to listen on; 0 picks a free one.
        log_level: The level of uvicorn's own loggers.
    """

    def __init__(
        self,
        emulator: Emulator,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
    ) -> None:
        self._emulator = emulator
        self._host = host
        self._requested_port = port
        self._log_level = log_level
        self._connections = _Connections()
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._task: asyncio.Task[None] | None = None
        self._credentials: Red5Credentials | None = None
        self._master_secret = ""

    def __repr__(self) -> str:
        where = self.base_url if self.is_running else "not running"
        return f"<EmulatorServer {where}>"

    @property
    def emulator(self) -> Emulator:
        """The emulator being served."""
        return self._emulator

    @property
    def is_running(self) -> bool:
        """Whether the server accepts connections."""
        return self._server is not None and self._server.started

    @property
    def port(self) -> int:
        """The port the server listens on."""
        if self._socket is None:
            raise RuntimeError(
                "The emulator server is not running; call start() first."
            )
        return int(self._socket.getsockname()[1])

    @property
    def address(self) -> str:
        """The `host:port` clients connect to."""
        return f"{_advertised(self._host)}:{self.port}"

    @property
    def base_url(self) -> str:
        """The conference API's URL, `http://<host>:<port>/as/v1/conference`."""
        return conference_base_url(self.address, scheme="http")

    @property
    def pubnub_base_url(self) -> str:
        """The URL of the emulator's PubNub, `http://<host>:<port>`."""
        return f"http://{self.address}"

    @property
    def master_key(self) -> str:
        """The account's master key, the emulator's."""
        return self._emulator.master_key

    @property
    def master_secret(self) -> str:
        """A master secret that seals the emulator's credentials with this host."""
        if not self._master_secret:
            raise RuntimeError(
                "The emulator server is not running; call start() first."
            )
        return self._master_secret

    def env(self) -> dict[str, str]:
        """Return the four `RED5_*` variables that point a client at this server."""
        return {
            ENV_MASTER_KEY: self.master_key,
            ENV_MASTER_SECRET: self.master_secret,
            ENV_BASE_URL: self.base_url,
            ENV_PUBNUB_BASE_URL: self.pubnub_base_url,
        }

    def async_client(self, **options: Any) -> AsyncRed5Client:
        """Return an `AsyncRed5Client` that reaches this server over its socket.

        Args:
            **options: Other `AsyncRed5Client` arguments; they override these.
        """
        return AsyncRed5Client(**self._client_options(options))

    def client(self, **options: Any) -> Red5Client:
        """Return a blocking `Red5Client` that reaches this server; close it."""
        from .._sync import Red5Client

        return Red5Client(**self._client_options(options))

    def start(self) -> Self:
        """Start serving in a background thread and wait until it listens.

        Raises:
            OSError: The address cannot be bound.
            RuntimeError: The server is running, or did not start in time.
        """
        server, sock = self._prepare()
        self._thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name="red5-bcs-emulator",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                self.stop()
                raise RuntimeError("The emulator server did not start in time.")
            time.sleep(0.01)
        logger.info("Emulator serving on %s", self.pubnub_base_url)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread; does nothing when stopped."""
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is not None:
            thread.join(STARTUP_TIMEOUT_SECONDS)
            if thread.is_alive() and server is not None:
                server.force_exit = True
                thread.join(STARTUP_TIMEOUT_SECONDS)
        self._release()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        """Serve from the running asyncio event loop.

        uvicorn runs only on asyncio; under trio, use `with` instead. In the
        main thread, uvicorn handles SIGINT and SIGTERM while it serves: a
        signal stops the server, and is raised again when the block exits.

        Raises:
            RuntimeError: No asyncio event loop is running, or the server is
                running or did not start.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "async with EmulatorServer needs a running asyncio event loop; "
                "under trio, use a plain with block, which serves from a thread."
            ) from None
        server, sock = self._prepare()
        self._task = loop.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if self._task.done():
                await self._finish_task()
                raise RuntimeError("The emulator server did not start.")
            await asyncio.sleep(0.01)
        logger.info("Emulator serving on %s", self.pubnub_base_url)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.should_exit = True
        await self._finish_task()

    async def _finish_task(self) -> None:
        task, self._task = self._task, None
        try:
            if task is not None:
                await task
        finally:
            self._release()

    def _prepare(self) -> tuple[uvicorn.Server, socket.socket]:
        import uvicorn

        if self._socket is not None:
            raise RuntimeError("The emulator server is already running.")
        self._socket = _bind(self._host, self._requested_port)
        self._credentials = self._emulator.credentials.model_copy(
            update={"stream_manager_host": self.address}
        )
        self._master_secret = seal_master_secret(self.master_key, self._credentials)
        config = uvicorn.Config(
            _DropHookApp(self._emulator.app, self._connections),
            lifespan="off",
            log_config=None,
            log_level=self._log_level,
            access_log=False,
            http=_tracking_protocol(self._connections),
            ws="none",
            timeout_graceful_shutdown=SHUTDOWN_GRACE_SECONDS,
        )
        self._server = uvicorn.Server(config)
        return self._server, self._socket

    def _release(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()
            logger.info("Emulator server stopped")
        self._server = self._thread = None
        self._master_secret = ""

    def _client_options(self, options: dict[str, Any]) -> dict[str, Any]:
        defaults = {
            "master_key": self.master_key,
            "master_secret": self.master_secret,
            "base_url": self.base_url,
            "pubnub_base_url": self.pubnub_base_url,
            "clock": self._emulator.clock,
        }
        return {**defaults, **options}


class _Connections:
    """The open connections of one server, by client address, to abort them."""

    def __init__(self) -> None:
        self._transports: dict[tuple[str, int], asyncio.BaseTransport] = {}

    def add(
        self, client: tuple[str, int] | None, transport: asyncio.BaseTransport
    ) -> None:
        if client is not None:
            self._transports[client] = transport

    def discard(self, client: tuple[str, int] | None) -> None:
        if client is not None:
            self._transports.pop(client, None)

    def abort(self, client: tuple[str, int]) -> None:
        transport = self._transports.get(client)
        if isinstance(transport, asyncio.Transport):
            transport.abort()


class _DropHookApp:
    """Puts a callable that aborts the request's TCP connection into the scope."""

    def __init__(self, app: ASGIApp, connections: _Connections) -> None:
        self._app = app
        self._connections = connections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] == "http" and client is not None:
            abort = functools.partial(self._connections.abort, (client[0], client[1]))
            scope = {**scope, DROP_CONNECTION_KEY: abort}
        await self._app(scope, receive, send)


def _tracking_protocol(connections: _Connections) -> type[asyncio.Protocol]:
    """Return uvicorn's h11 protocol, recording each connection's transport.

    ASGI cannot close a connection without sending a response. The transport,
    seen through asyncio's public `connection_made` callback, can.
    """
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class TrackingH11Protocol(H11Protocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            connections.add(self.client, transport)

        def connection_lost(self, exc: Exception | None) -> None:
            connections.discard(self.client)
            super().connection_lost(exc)

    return TrackingH11Protocol


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if _is_ipv6(host) else socket.AF_INET
    # asyncio turns on TCP_NODELAY only for sockets whose protocol is
    # IPPROTO_TCP, and accepted sockets inherit it from this one. With the
    # default protocol 0, Nagle's algorithm and delayed ACKs add about 40 ms
    # to every request on a kept-alive connection.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


def _advertised(host: str) -> str:
    loopback = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)  # noqa: S104
    return f"[{loopback}]" if _is_ipv6(loopback) else loopback

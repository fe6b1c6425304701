"""`run_cli_emulator`: what the `red5-bcs emulator` command runs."""

from __future__ import annotations

import ipaddress
import signal
import sys
import threading
from types import FrameType
from typing import TextIO

from ._emulator import Emulator
from ._server import EmulatorServer

__all__ = ["run_cli_emulator"]


def run_cli_emulator(
    host: str = "127.0.0.1", port: int = 8765, *, output: TextIO | None = None
) -> None:
    """Serve a new emulator until SIGINT or SIGTERM; the `red5-bcs emulator` command.

    First writes four lines, `RED5_MASTER_KEY=...`, `RED5_MASTER_SECRET=...`,
    `RED5_BASE_URL=...` and `RED5_PUBNUB_BASE_URL=...`, and flushes them, so
    a caller can read them or `eval` them into a shell. Then it serves until
    the process gets SIGINT or SIGTERM, stops the server and returns.

    Args:
        host: The address to listen on.
        port: The port to listen on; 0 picks a free one.
        output: Where the four lines go; standard output by default.

    Raises:
        OSError: The address cannot be bound, for example a port in use.
        RuntimeError: Not called from the main thread, where signals arrive.
    """
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("run_cli_emulator must run in the main thread.")
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    handlers = {
        sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        with EmulatorServer(Emulator(), host=host, port=port) as server:
            stream = output if output is not None else sys.stdout
            stream.write(
                "".join(f"{name}={value}\n" for name, value in server.env().items())
            )
            stream.flush()
            _announce(server, host)
            while not stop.wait(0.5):
                pass
            sys.stderr.write("Stopping the emulator.\n")
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def _announce(server: EmulatorServer, host: str) -> None:
    # Standard output carries only the four variables, so that it can be
    # redirected to a file; a person watching the terminal reads stderr.
    sys.stderr.write(
        f"Red5 emulator listening on {server.address}; press Ctrl-C to stop.\n"
    )
    if not _is_loopback(host):
        sys.stderr.write(
            f"Warning: {host} accepts connections from other machines, and the "
            "emulator has no access control; use 127.0.0.1 unless you mean it.\n"
        )
    sys.stderr.flush()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"

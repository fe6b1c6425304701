"""`run_cli_emulator`: what the `red5-bcs emulator` command runs."""

from __future__ import annotations

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
            while not stop.wait(0.5):
                pass
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)

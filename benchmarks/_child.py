"""The child side of a benchmark server process: announce, then wait to be stopped.

A server child writes one JSON line to stdout once it listens, and exits when
its parent closes the child's standard input (which also happens when the
parent dies) or when its lifetime runs out, whichever comes first.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading


def announce(details: dict[str, object]) -> None:
    """Write the server's details as one JSON line to stdout."""
    sys.stdout.write(json.dumps(details) + "\n")
    sys.stdout.flush()


async def wait_for_parent(lifetime: float) -> None:
    """Return when stdin reaches end of file, or after `lifetime` seconds."""
    loop = asyncio.get_running_loop()
    stdin_closed = asyncio.Event()

    def read_until_eof() -> None:
        sys.stdin.buffer.read()
        loop.call_soon_threadsafe(stdin_closed.set)

    # A daemon thread, because a thread blocked in read() must not keep the
    # process alive once the lifetime has run out.
    threading.Thread(target=read_until_eof, daemon=True).start()
    try:
        await asyncio.wait_for(stdin_closed.wait(), timeout=lifetime)
    except TimeoutError:
        return

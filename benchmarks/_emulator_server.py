"""The SDK's emulator over uvicorn, in its own process, for realistic figures.

Run as `python -m benchmarks._emulator_server`. It makes a new emulator
account and puts participants in the benchmark room, so that user lists
have a page to return. Then it serves on a free port of 127.0.0.1 and
writes the port and the account's master key and secret as one JSON line
to stdout. It stops when its standard input closes or `--lifetime` seconds
pass.
"""

from __future__ import annotations

import argparse
import asyncio

from red5_bcs.testing import Emulator, EmulatorServer

from ._child import announce, wait_for_parent

ROOM_ID = "bench-room"
PARTICIPANTS = 10


def seed(emulator: Emulator) -> None:
    """Join `PARTICIPANTS` users to the benchmark room, in-process."""
    with emulator.client() as red5:
        for index in range(PARTICIPANTS):
            emulator.join(red5.get_conference_token(f"user-{index}", ROOM_ID))


def main() -> None:
    """Serve the emulator until the parent lets go or the lifetime runs out."""
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "--lifetime",
        type=float,
        default=1800.0,
        help="seconds to serve before exiting on its own (default: 1800)",
    )
    arguments = parser.parse_args()

    emulator = Emulator()
    seed(emulator)
    with EmulatorServer(emulator, host="127.0.0.1", port=0) as server:
        announce(
            {
                "port": server.port,
                "master_key": server.master_key,
                "master_secret": server.master_secret,
            }
        )
        asyncio.run(wait_for_parent(arguments.lifetime))


if __name__ == "__main__":
    main()

"""Poll Red5 Cloud rooms from a long-running asyncio worker.

Shows `AsyncRed5Client` in a background service: every `--interval` seconds
it walks all active rooms with `iter_rooms` and their participants with
`iter_users`, and prints one line per room. A failed poll is logged and
retried with exponential backoff and jitter. SIGINT (Ctrl-C) and SIGTERM
stop the worker at once: a running poll is cancelled, a wait is cut short,
and the client is closed before the process exits.

The client reads RED5_MASTER_KEY, RED5_MASTER_SECRET and, optionally,
RED5_BASE_URL and RED5_PUBNUB_BASE_URL from the environment. Run it from the
repository root:

    python examples/asyncio_worker.py --interval 30
    python examples/asyncio_worker.py --once        # one poll, for cron jobs

The exit status is 0 when the last poll succeeded and 1 when it failed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import signal
import sys
from dataclasses import dataclass

from red5_bcs import APIError, AsyncRed5Client, InvalidArgumentError, RoomState

logger = logging.getLogger("asyncio_worker")


@dataclass(frozen=True)
class Settings:
    """How often to poll, for how long, and how to back off after failures."""

    interval: float
    iterations: int | None
    max_backoff: float
    state: RoomState


def parse_args(argv: list[str] | None = None) -> Settings:
    """Read the command line into `Settings`."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--interval", type=float, default=30.0, help="seconds between polls"
    )
    runs = parser.add_mutually_exclusive_group()
    runs.add_argument("--once", action="store_true", help="poll once and exit")
    runs.add_argument(
        "--iterations", type=int, metavar="N", help="poll N times and exit"
    )
    parser.add_argument(
        "--max-backoff",
        type=float,
        default=300.0,
        help="the maximum wait after failed polls, in seconds",
    )
    parser.add_argument(
        "--state",
        choices=[state.value for state in RoomState],
        default=RoomState.ACTIVE.value,
        help="which rooms to poll",
    )
    args = parser.parse_args(argv)
    if args.interval <= 0 or args.max_backoff <= 0:
        parser.error("--interval and --max-backoff must be positive")
    if args.iterations is not None and args.iterations < 1:
        parser.error("--iterations must be at least 1")

    iterations = 1 if args.once else args.iterations
    return Settings(args.interval, iterations, args.max_backoff, RoomState(args.state))


async def poll(red5: AsyncRed5Client, state: RoomState) -> int:
    """Print one line per room with its online participants, and count the rooms.

    Raises:
        APIError: A page of rooms or users could not be read.
    """
    rooms = 0
    async for room in red5.iter_rooms(state):
        if room.room_id is None:
            continue
        try:
            users = [user async for user in red5.iter_users(room.room_id)]
        except InvalidArgumentError as exc:
            # The server listed an id that the SDK cannot send back.
            logger.warning("Skipped room %r: %s", room.room_id, exc)
            continue
        rooms += 1
        online = sorted(user.uid for user in users if user.online)
        names = ", ".join(online) or "nobody"
        print(f"room {room.room_id}: {len(online)} online ({names})", flush=True)
    print(f"poll done: {rooms} {state.value} rooms", flush=True)
    return rooms


def next_wait(settings: Settings, failures: int) -> float:
    """Return the wait before the next poll: the interval, or a backoff."""
    if failures == 0:
        return settings.interval
    low = settings.interval
    high = max(low, min(settings.max_backoff, low * 2**failures))
    # Jitter keeps workers that failed together from retrying together.
    return random.uniform(low, high)  # noqa: S311 - jitter, not security


async def poll_until_stopped(
    red5: AsyncRed5Client, state: RoomState, stop: asyncio.Event
) -> bool:
    """Poll once, or less if `stop` is set first, and return whether it finished.

    Raises:
        APIError: The poll failed.
    """
    polling = asyncio.create_task(poll(red5, state))
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not polling.done():
        polling.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await polling
        return False
    await polling
    return True


async def sleep_until_stopped(seconds: float, stop: asyncio.Event) -> None:
    """Wait `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run(settings: Settings, stop: asyncio.Event) -> int:
    """Poll until `stop` is set or the iterations are used up."""
    failures = polls = 0
    async with AsyncRed5Client() as red5:
        logger.info(
            "Worker started; polling %s every %.1f s.", red5.base_url, settings.interval
        )
        while not stop.is_set():
            try:
                if not await poll_until_stopped(red5, settings.state, stop):
                    break
                failures = 0
            except APIError as exc:
                failures += 1
                logger.warning("Poll failed (%d in a row): %s", failures, exc)

            polls += 1
            if settings.iterations is not None and polls >= settings.iterations:
                break
            await sleep_until_stopped(next_wait(settings, failures), stop)
    logger.info("Worker stopped after %d polls.", polls)
    return 1 if failures else 0


async def main(argv: list[str] | None = None) -> int:
    """Install the signal handlers and run the worker."""
    settings = parse_args(argv)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        return await run(settings, stop)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    sys.exit(asyncio.run(main()))

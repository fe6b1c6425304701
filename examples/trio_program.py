"""Mint tokens concurrently under trio, then read the room.

Shows `AsyncRed5Client` under trio: one client is shared by every task of a
nursery, which mints a conference token per user at the same time. The
program checks each token against the conference secret and prints its
claims, never the token itself. Then it reads the room and prints its
participants, or that no one has joined yet.

The client reads RED5_MASTER_KEY, RED5_MASTER_SECRET and, optionally,
RED5_BASE_URL and RED5_PUBNUB_BASE_URL from the environment. Run it from the
repository root:

    python examples/trio_program.py --room standup alice bob carol
"""

from __future__ import annotations

import argparse
import sys

import trio

from red5_bcs import AsyncRed5Client, NotFoundError, Red5Error, Role


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--room", default="standup", help="the room id")
    parser.add_argument(
        "--minutes", type=int, default=60, help="token lifetime, in minutes"
    )
    parser.add_argument(
        "users", nargs="*", default=["alice", "bob", "carol"], help="user ids"
    )
    return parser.parse_args(argv)


async def mint_all(
    red5: AsyncRed5Client, room: str, users: list[str], minutes: int
) -> dict[str, str]:
    """Mint one conference token per user, all at once, and return them by user."""
    tokens: dict[str, str] = {}

    async def mint(user: str) -> None:
        role = Role.ADMIN if user == users[0] else Role.PUBLISHER
        tokens[user] = await red5.get_conference_token(user, room, role, minutes)

    # If one mint fails, the nursery cancels the others and raises the error.
    async with trio.open_nursery() as nursery:
        for user in users:
            nursery.start_soon(mint, user)
    return tokens


async def read_room(red5: AsyncRed5Client, room: str) -> None:
    """Print the room's participants, or that it has none yet."""
    try:
        page = await red5.get_user_list(room)
    except NotFoundError:
        print(f"room {room}: nobody has joined yet")
        return
    print(f"room {room}: {page.user_count} participants")
    for user in page.users:
        media = f"audio={'on' if user.audio_enabled else 'off'}"
        media += f" video={'on' if user.video_enabled else 'off'}"
        print(f"  {user.uid}: {user.role}, online={user.online}, {media}")


async def run(args: argparse.Namespace) -> None:
    """Mint the tokens, print their claims, read the room."""
    async with AsyncRed5Client() as red5:
        tokens = await mint_all(red5, args.room, args.users, args.minutes)
        for user in args.users:
            claims = red5.verify_conference_token(tokens[user])
            print(
                f"token for {claims.uid}: room={claims.room_id} "
                f"role={claims.role} expires in {claims.exp - claims.iat}s"
            )
        await read_room(red5, args.room)


async def main(argv: list[str] | None = None) -> int:
    """Run the program and return the exit status."""
    args = parse_args(argv)
    failed = False
    try:
        await run(args)
    except* Red5Error as group:
        # A nursery raises its tasks' errors together, as an ExceptionGroup.
        # The SDK puts no token or secret in its error messages.
        failed = True
        for exc in group.exceptions:
            print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(trio.run(main))

"""Run a room from a plain blocking script with `Red5Client`.

Shows the blocking client: minting a conference token and a chat token,
listing rooms and a room's participants, and blocking and unblocking a user.
It prints what each step returned. The tokens themselves are never printed;
only their decoded claims are, as tokens are credentials.

The client reads its settings from the environment:

    RED5_MASTER_KEY, RED5_MASTER_SECRET   the account's master credentials
    RED5_BASE_URL                         optional, the conference API
    RED5_PUBNUB_BASE_URL                  optional, PubNub's URL

Run it from the repository root:

    python examples/blocking_script.py --room standup --user alice --block bob

`--block` needs a user who has joined the room (on the emulator, through
`Emulator.join` or its `/emulator/v1/join` control route).
"""

from __future__ import annotations

import argparse
import sys

from red5_bcs import (
    NotFoundError,
    Red5Client,
    Red5Error,
    RoomState,
    parse_chat_token,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--room", default="standup", help="the room id")
    parser.add_argument(
        "--user", default="alice", help="the user id to mint tokens for"
    )
    parser.add_argument("--block", metavar="USER", help="a user id to block")
    parser.add_argument(
        "--block-seconds",
        type=int,
        default=60,
        help="how long the block lasts, in seconds (default: 60)",
    )
    return parser.parse_args(argv)


def mint_tokens(red5: Red5Client, room: str, user: str) -> None:
    """Mint a conference token and a chat token, and print their claims."""
    token = red5.get_conference_token(user, room, role="publisher")
    claims = red5.verify_conference_token(token)
    print(
        f"conference token: uid={claims.uid} room={claims.room_id} "
        f"role={claims.role} lifetime={claims.exp - claims.iat}s"
    )

    chat_token = red5.get_chat_token(user, f"{room}-chat", read=True, write=False)
    grant = parse_chat_token(chat_token)
    channels = ", ".join(
        f"{name} (read={rights.read}, write={rights.write})"
        for name, rights in sorted(grant.channels.items())
    )
    print(f"chat token: user={grant.authorized_uuid} channels: {channels}")


def show_rooms(red5: Red5Client, room: str) -> None:
    """Print every known room, then the participants of `room`."""
    rooms = list(red5.iter_rooms(RoomState.ALL))
    print(f"rooms: {len(rooms)}")
    for known in rooms:
        print(f"  room {known.room_id}: state={known.state} users={known.user_count}")

    try:
        users = list(red5.iter_users(room))
    except NotFoundError:
        # The service lists a room only once someone has joined it.
        print(f"users in {room}: none, nobody has joined it yet")
        return
    print(f"users in {room}: {len(users)}")
    for user in users:
        state = "online" if user.online else "offline"
        print(f"  {user.uid}: {user.role}, {state}, joined {user.joined_at:%H:%M:%S}")


def block_and_unblock(red5: Red5Client, room: str, user: str, seconds: int) -> None:
    """Block a user for a while, then lift the block again."""
    blocked = red5.block_user(room, user, block_duration_seconds=seconds)
    print(f"block: {blocked.message}")
    status = red5.is_user_joined(room, user)
    print(f"{user} still joined after the block: {status.joined}")

    unblocked = red5.unblock_user(room, user)
    print(f"unblock: {unblocked.message}")


def main(argv: list[str] | None = None) -> int:
    """Run every step and return the exit status."""
    args = parse_args(argv)
    try:
        with Red5Client() as red5:
            print(f"conference API: {red5.base_url}")
            mint_tokens(red5, args.room, args.user)
            show_rooms(red5, args.room)
            if args.block:
                block_and_unblock(red5, args.room, args.block, args.block_seconds)
    except Red5Error as exc:
        # The SDK puts no token or secret in its error messages.
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

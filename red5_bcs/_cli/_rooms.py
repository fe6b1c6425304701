"""Commands about rooms and participants: listing, status, blocking and unblocking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import typer

from .._client import AsyncRed5Client
from .._models import (
    ActionResult,
    HostList,
    JoinStatus,
    Room,
    RoomList,
    RoomState,
    UserList,
    UserStatus,
)
from ._output import (
    JsonOption,
    format_seconds,
    model_json,
    plural,
    print_action,
    print_fields,
    print_json,
    print_message,
    print_table,
)
from ._settings import CliSettings, connection_options, run_with_client

__all__ = ["register_room_commands"]

RoomArgument = Annotated[str, typer.Argument(help="The room id.", show_default=False)]
UserArgument = Annotated[str, typer.Argument(help="The user id.", show_default=False)]
OffsetOption = Annotated[
    int,
    typer.Option("--offset", help="How many entries to skip before the page starts."),
]
AllOption = Annotated[
    bool,
    typer.Option(
        "--all",
        help="Fetch every page, --limit entries per request, instead of one page.",
    ),
]

_USER_COLUMNS = ("User", "Role", "Online", "Audio", "Video", "Joined")


def register_room_commands(app: typer.Typer) -> None:
    """Add the room and participant commands to `app`."""
    app.command("rooms")(list_rooms)
    app.command("users")(list_users)
    app.command("hosts")(list_hosts)
    app.command("user")(show_user)
    app.command("joined")(show_joined)
    app.command("block")(block_user)
    app.command("unblock")(unblock_user)


def _check_paging(fetch_all: bool, offset: int) -> None:
    if fetch_all and offset:
        raise typer.BadParameter("--offset cannot be combined with --all.")


@connection_options
def list_rooms(
    settings: CliSettings,
    state: Annotated[
        RoomState,
        typer.Option(
            "--state",
            help="Which rooms to list: active (someone online), inactive or all.",
        ),
    ] = RoomState.ACTIVE,
    limit: Annotated[
        int, typer.Option("--limit", help="The maximum number of rooms per page.")
    ] = 50,
    offset: OffsetOption = 0,
    fetch_all: AllOption = False,
    json_output: JsonOption = False,
) -> None:
    """List rooms, one page or (with --all) every page."""
    _check_paging(fetch_all, offset)

    async def fetch(client: AsyncRed5Client) -> RoomList:
        if not fetch_all:
            return await client.get_room_list(state, limit, offset)
        rooms = [room async for room in client.iter_rooms(state, page_size=limit)]
        return RoomList(room_count=len(rooms), rooms=rooms)

    page = run_with_client(settings, fetch)
    if json_output:
        print_json(model_json(page))
        return
    print_table(
        f"Rooms ({state.value})",
        ["Room", "State", "Users"],
        [_room_row(room) for room in page.rooms],
        caption=_page_caption(len(page.rooms), page.room_count, offset, "rooms"),
    )


def _room_row(room: Room) -> Sequence[object]:
    return (room.room_id, room.state, room.user_count)


@connection_options
def list_users(
    settings: CliSettings,
    room: RoomArgument,
    limit: Annotated[
        int, typer.Option("--limit", help="The maximum number of users per page.")
    ] = 100,
    offset: OffsetOption = 0,
    fetch_all: AllOption = False,
    json_output: JsonOption = False,
) -> None:
    """List a room's participants, online or not, one page or (with --all) all."""
    _check_paging(fetch_all, offset)

    async def fetch(client: AsyncRed5Client) -> UserList:
        if not fetch_all:
            return await client.get_user_list(room, limit, offset)
        users = [user async for user in client.iter_users(room, page_size=limit)]
        return UserList(user_count=len(users), users=users)

    page = run_with_client(settings, fetch)
    if json_output:
        print_json(model_json(page))
        return
    print_table(
        f"Users in {room.strip()}",
        _USER_COLUMNS,
        [user_row(user) for user in page.users],
        caption=_page_caption(len(page.users), page.user_count, offset, "users"),
    )


def user_row(user: UserStatus) -> Sequence[object]:
    """Return a participant as a row under the user columns."""
    return (
        user.uid,
        user.role,
        user.online,
        user.audio_enabled,
        user.video_enabled,
        format_seconds(user.join_time),
    )


def _page_caption(count: int, total: int, offset: int, noun: str) -> str:
    if count == 0:
        return f"No {noun} from offset {offset}; {total} in all."
    return f"{noun.capitalize()} {offset + 1} to {offset + count} of {total}."


@connection_options
def list_hosts(
    settings: CliSettings, room: RoomArgument, json_output: JsonOption = False
) -> None:
    """List a room's hosts: its online publishers and admins."""

    async def fetch(client: AsyncRed5Client) -> HostList:
        return await client.get_host_list(room)

    hosts = run_with_client(settings, fetch)
    if json_output:
        print_json(model_json(hosts))
        return
    print_table(
        f"Hosts of {room.strip()}",
        _USER_COLUMNS,
        [user_row(user) for user in hosts.hosts],
        caption=f"{plural(hosts.host_count, 'host')}.",
    )


@connection_options
def show_user(
    settings: CliSettings,
    room: RoomArgument,
    user: UserArgument,
    json_output: JsonOption = False,
) -> None:
    """Show one participant's status in a room."""

    async def fetch(client: AsyncRed5Client) -> UserStatus:
        return await client.get_user_status(room, user)

    status = run_with_client(settings, fetch)
    if json_output:
        print_json(model_json(status))
        return
    print_fields(
        f"User {status.uid} in {room.strip()}",
        zip(_USER_COLUMNS, user_row(status), strict=True),
    )


@connection_options
def show_joined(
    settings: CliSettings,
    room: RoomArgument,
    user: UserArgument,
    json_output: JsonOption = False,
) -> None:
    """Show whether a user is in a room now. Exits with 0 either way."""

    async def fetch(client: AsyncRed5Client) -> JoinStatus:
        return await client.is_user_joined(room, user)

    status = run_with_client(settings, fetch)
    if json_output:
        print_json(model_json(status))
        return
    verb = "is" if status.joined else "is not"
    print_message(f"User {user.strip()!r} {verb} in room {room.strip()!r}.")


@connection_options
def block_user(
    settings: CliSettings,
    room: RoomArgument,
    user: UserArgument,
    seconds: Annotated[
        int,
        typer.Option(
            "--seconds",
            help=(
                "How long the user stays blocked, in seconds; 1, the service's "
                "default, only disconnects them."
            ),
        ),
    ] = 1,
    json_output: JsonOption = False,
) -> None:
    """Disconnect a user from a room and keep them out for a while."""

    async def block(client: AsyncRed5Client) -> ActionResult:
        return await client.block_user(room, user, seconds)

    print_action(run_with_client(settings, block), json_output)


@connection_options
def unblock_user(
    settings: CliSettings,
    room: RoomArgument,
    user: UserArgument,
    json_output: JsonOption = False,
) -> None:
    """Lift a user's block so they can join the room again."""

    async def unblock(client: AsyncRed5Client) -> ActionResult:
        return await client.unblock_user(room, user)

    print_action(run_with_client(settings, unblock), json_output)

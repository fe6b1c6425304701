"""`red5-bcs rooms|users|hosts|user|joined|block|unblock`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from red5_bcs import Role
from red5_bcs.testing import JoinRejectedError

from .conftest import Invoke, Loopback, run_command

PEOPLE = {
    "ann": Role.ADMIN,
    "ben": Role.PUBLISHER,
    "cat": Role.SUBSCRIBER,
    "dan": Role.PUBLISHER,
    "eve": Role.SUBSCRIBER,
}


@pytest.fixture
def filled_room(loopback: Loopback, room: str) -> str:
    """A room that PEOPLE have joined, in their order."""
    for user, role in PEOPLE.items():
        loopback.join(room, user, role)
    return room


def test_rooms_lists_active_room(invoke: Invoke, filled_room: str) -> None:
    data = json.loads(invoke("rooms", "--json").stdout)
    table = invoke("rooms")

    rooms = {room["roomId"]: room for room in data["rooms"]}
    assert rooms[filled_room]["state"] == "active"
    assert rooms[filled_room]["userCount"] == len(PEOPLE)
    assert data["roomCount"] >= 1
    assert table.exit_code == 0
    assert filled_room in table.stdout


def test_rooms_paging_and_all(fresh_loopback: Loopback) -> None:
    for name in ("p1", "p2", "p3"):
        fresh_loopback.join(name, "someone")

    def rooms(*args: str) -> Any:
        result = run_command(["rooms", "--json", *args], fresh_loopback.env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    second = rooms("--limit", "1", "--offset", "1")
    everything = rooms("--all", "--limit", "2")

    assert second == {"roomCount": 3, "rooms": [_room("p2")]}
    assert everything["roomCount"] == 3
    assert [room["roomId"] for room in everything["rooms"]] == ["p1", "p2", "p3"]


def _room(name: str) -> dict[str, object]:
    return {
        "roomId": name,
        "state": "active",
        "userCount": 1,
        "hostCount": 1,
        "recording": False,
    }


def test_rooms_state_filter(invoke: Invoke, loopback: Loopback, room: str) -> None:
    loopback.join(room, "gone")
    loopback.emulator.leave(room, "gone")

    inactive = json.loads(invoke("rooms", "--state", "inactive", "--json").stdout)
    active = json.loads(invoke("rooms", "--state", "active", "--json").stdout)

    assert room in [item["roomId"] for item in inactive["rooms"]]
    assert room not in [item["roomId"] for item in active["rooms"]]


def test_rooms_unknown_state_exits_2(invoke: Invoke) -> None:
    result = invoke("rooms", "--state", "sleeping")

    assert result.exit_code == 2


@pytest.mark.parametrize("command", ["rooms", "users"])
def test_offset_with_all_exits_2(invoke: Invoke, command: str) -> None:
    args = [command] if command == "rooms" else [command, "some-room"]

    result = invoke(*args, "--all", "--offset", "3")

    assert result.exit_code == 2
    assert "--offset" in result.output


def test_rooms_zero_limit_exits_2(invoke: Invoke) -> None:
    result = invoke("rooms", "--limit", "0")

    assert result.exit_code == 2
    assert "InvalidArgumentError" in result.stderr


def test_users_one_page(invoke: Invoke, filled_room: str) -> None:
    result = invoke("users", filled_room, "--limit", "2", "--offset", "1", "--json")

    data = json.loads(result.stdout)
    assert data["userCount"] == len(PEOPLE)
    assert [user["uid"] for user in data["users"]] == ["ben", "cat"]


def test_users_all_pages(invoke: Invoke, filled_room: str) -> None:
    data = json.loads(
        invoke("users", filled_room, "--all", "--limit", "2", "--json").stdout
    )
    table = invoke("users", filled_room)

    assert [user["uid"] for user in data["users"]] == list(PEOPLE)
    assert data["userCount"] == len(PEOPLE)
    assert table.exit_code == 0
    for user in PEOPLE:
        assert user in table.stdout
    assert "Users 1 to 5 of 5." in table.stdout


def test_users_unknown_room_exits_1(invoke: Invoke) -> None:
    result = invoke("users", "never-created")

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: NotFoundError:")
    assert "404" in result.stderr


def test_hosts_are_publishers_and_admins(invoke: Invoke, filled_room: str) -> None:
    data = json.loads(invoke("hosts", filled_room, "--json").stdout)
    table = invoke("hosts", filled_room)

    assert data["hostCount"] == 3
    assert sorted(host["uid"] for host in data["hosts"]) == ["ann", "ben", "dan"]
    assert "ben" in table.stdout
    assert "cat" not in table.stdout


def test_user_status(invoke: Invoke, filled_room: str) -> None:
    data = json.loads(invoke("user", filled_room, "cat", "--json").stdout)
    table = invoke("user", filled_room, "cat")

    assert data["uid"] == "cat"
    assert data["role"] == "subscriber"
    assert data["online"] is True
    assert data["audioEnabled"] is False
    assert "subscriber" in table.stdout


def test_user_unknown_exits_1(invoke: Invoke, filled_room: str) -> None:
    result = invoke("user", filled_room, "zed")

    assert result.exit_code == 1
    assert "NotFoundError" in result.stderr
    assert "Check the room, user and stream ids." in result.stderr


def test_joined_true_and_false(invoke: Invoke, filled_room: str) -> None:
    joined = invoke("joined", filled_room, "ben")
    absent = invoke("joined", filled_room, "zed", "--json")

    assert joined.exit_code == 0
    assert joined.stdout.strip() == f"User 'ben' is in room '{filled_room}'."
    assert absent.exit_code == 0
    assert json.loads(absent.stdout)["joined"] is False


def test_block_then_unblock(
    invoke: Invoke, loopback: Loopback, filled_room: str
) -> None:
    token = loopback.client.get_conference_token("dan", filled_room)

    blocked = invoke("block", filled_room, "dan", "--seconds", "600", "--json")
    with pytest.raises(JoinRejectedError):
        loopback.emulator.join(token)
    unblocked = invoke("unblock", filled_room, "dan")
    loopback.emulator.join(token)

    assert blocked.exit_code == 0
    assert json.loads(blocked.stdout)["message"] == (
        f"User with ID dan in room {filled_room} blocked for 600 seconds"
    )
    assert unblocked.exit_code == 0
    assert (
        unblocked.stdout.strip() == f"User with ID dan in room {filled_room} unblocked"
    )


def test_unblock_not_blocked_exits_1(invoke: Invoke, filled_room: str) -> None:
    result = invoke("unblock", filled_room, "ben")

    assert result.exit_code == 1
    assert "NotFoundError" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["block", "a/b", "ben"],
        ["block", "room", "ben", "--seconds", "0"],
        ["unblock", "a:b", "ben"],
        ["users", "a b"],
        ["hosts", ".."],
        ["user", "room", ""],
        ["joined", "a*b", "ben"],
    ],
    ids=" ".join,
)
def test_bad_ids_exit_2(invoke: Invoke, args: list[str]) -> None:
    result = invoke(*args)

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: InvalidArgumentError:")
    assert "Traceback" not in result.output

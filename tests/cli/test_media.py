"""`red5-bcs recording|transcription|transcripts|streams`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from red5_bcs.testing import ManualClock

from .conftest import Invoke, Loopback, run_command


def test_recording_start_and_stop(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    loopback.join(room, "ann")

    started = invoke("recording", "start", room, "--json")
    stopped = invoke("recording", "stop", room)

    assert started.exit_code == 0, started.output
    data = json.loads(started.stdout)
    assert data["recordingStreamName"].startswith(f"{room}_")
    assert data["participantCount"] == 1
    assert stopped.exit_code == 0
    assert data["recordingStreamName"] in stopped.stdout
    assert f"Recording stopped for room {room}" in stopped.stdout


def test_recording_stop_when_not_running_exits_1(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    loopback.join(room, "ann")

    result = invoke("recording", "stop", room)

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ConflictError:")
    assert "409" in result.stderr
    assert "not being recorded" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_recording_start_twice_exits_1(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    loopback.join(room, "ann")
    invoke("recording", "start", room)

    result = invoke("recording", "start", room)

    assert result.exit_code == 1
    assert "ConflictError" in result.stderr


def test_recording_bad_room_exits_2(invoke: Invoke) -> None:
    result = invoke("recording", "start", "bad/room")

    assert result.exit_code == 2


def _entries(env: dict[str, str], room: str, *flags: str) -> list[dict[str, Any]]:
    result = run_command(["transcripts", room, "--json", *flags], env)
    assert result.exit_code == 0, result.output
    entries: list[dict[str, Any]] = json.loads(result.stdout)["entries"]
    return entries


def test_transcription_start_read_stop(manual_loopback: Loopback, room: str) -> None:
    env = manual_loopback.env
    clock = manual_loopback.emulator.clock
    assert isinstance(clock, ManualClock)
    manual_loopback.join(room, "ann")

    started = run_command(["transcription", "start", room, "ann", "--json"], env)
    clock.advance(16)
    entries = _entries(env, room)
    stopped = run_command(["transcription", "stop", room, "ann"], env)

    assert started.exit_code == 0, started.output
    assert json.loads(started.stdout)["successfulStreams"] == ["ann"]
    assert len(entries) == 3
    assert {entry["uid"] for entry in entries} == {"ann"}
    assert all(entry["text"] for entry in entries)
    assert stopped.exit_code == 0
    assert f"Transcription stopped for user ann in room {room}" in stopped.stdout


def test_transcripts_time_window(manual_loopback: Loopback, room: str) -> None:
    env = manual_loopback.env
    clock = manual_loopback.emulator.clock
    assert isinstance(clock, ManualClock)
    manual_loopback.join(room, "ann")
    run_command(["transcription", "start", room, "ann"], env)
    clock.advance(16)

    middle = _entries(env, room)[1]["timestamp"]
    window = _entries(env, room, "--start", str(middle), "--end", str(middle))
    later = _entries(env, room, "--start", str(middle + 1))
    table = run_command(["transcripts", room], env)

    assert [entry["timestamp"] for entry in window] == [middle]
    assert len(later) == 1
    assert "3 entries." in table.stdout
    assert "ann" in table.stdout


def test_transcripts_end_before_start_exits_2(invoke: Invoke, room: str) -> None:
    result = invoke("transcripts", room, "--start", "2000", "--end", "1000")

    assert result.exit_code == 2
    assert "end_time" in result.stderr


def test_transcription_stop_when_not_running_exits_1(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    loopback.join(room, "ann")

    result = invoke("transcription", "stop", room, "ann")

    assert result.exit_code == 1
    assert "ConflictError" in result.stderr


def test_transcription_unknown_user_exits_1(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    loopback.join(room, "ann")

    result = invoke("transcription", "start", room, "nobody")

    assert result.exit_code == 1
    assert "NotFoundError" in result.stderr


def test_streams_add_list_remove(invoke: Invoke, loopback: Loopback, room: str) -> None:
    loopback.join(room, "ann")

    added = invoke("streams", "add", room, "cam-1")
    listed = json.loads(invoke("streams", "list", "--json").stdout)
    table = invoke("streams", "list")
    removed = invoke("streams", "remove", room, "cam-1", "--json")
    after = json.loads(invoke("streams", "list", "--json").stdout)

    assert added.exit_code == 0
    assert added.stdout.strip() == f"External stream cam-1 added to room {room}"
    assert {"roomId": room, "streamId": "cam-1"}.items() <= _find(listed, room).items()
    assert "cam-1" in table.stdout
    assert json.loads(removed.stdout)["streamId"] == "cam-1"
    assert all(stream["roomId"] != room for stream in after["streams"])


def _find(listed: dict[str, Any], room: str) -> dict[str, Any]:
    matches = [stream for stream in listed["streams"] if stream["roomId"] == room]
    assert len(matches) == 1
    return matches[0]


def test_streams_add_twice_exits_1(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    loopback.join(room, "ann")
    invoke("streams", "add", room, "cam-2")

    result = invoke("streams", "add", room, "cam-2")

    assert result.exit_code == 1
    assert "ConflictError" in result.stderr


def test_streams_remove_unknown_exits_1(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    loopback.join(room, "ann")

    result = invoke("streams", "remove", room, "never-added")

    assert result.exit_code == 1
    assert "NotFoundError" in result.stderr


@pytest.mark.parametrize(
    "args",
    [["streams", "add", "a/b", "cam"], ["streams", "remove", "room", ""]],
    ids=" ".join,
)
def test_streams_bad_ids_exit_2(invoke: Invoke, args: list[str]) -> None:
    result = invoke(*args)

    assert result.exit_code == 2
    assert "InvalidArgumentError" in result.stderr

"""`red5-bcs token bulk`: many conference tokens from a CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from .conftest import Invoke, Loopback

MIXED_CSV = (
    "user,room,role\n"
    "alice,bulk-a,\n"
    "bob,bad/room,publisher\n"
    "carol,bulk-a,subscriber\n"
    "dave,bulk-b,owner\n"
    ",bulk-b,admin\n"
    "erin,bulk-b,admin\n"
)
# Line numbers of MIXED_CSV's rows, and which of them must fail.
LINES = [2, 3, 4, 5, 6, 7]
FAILED_LINES = {3, 5, 6}


def _write(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_mixed_rows_keep_order_and_errors(
    invoke: Invoke, loopback: Loopback, tmp_path: Path
) -> None:
    result = invoke("token", "bulk", str(_write(tmp_path, MIXED_CSV)))

    assert result.exit_code == 1
    rows = _csv_rows(result.stdout)
    assert [int(row["line"]) for row in rows] == LINES
    assert [row["user"] for row in rows] == [
        "alice",
        "bob",
        "carol",
        "dave",
        "",
        "erin",
    ]
    for row in rows:
        failed = int(row["line"]) in FAILED_LINES
        assert bool(row["error"]) is failed, row
        assert bool(row["token"]) is not failed, row
    assert rows[1]["error"].startswith("InvalidArgumentError: room_id")
    assert rows[3]["error"].startswith("InvalidArgumentError: role")


def test_mixed_rows_tokens_carry_row_claims(
    invoke: Invoke, loopback: Loopback, tmp_path: Path
) -> None:
    result = invoke("token", "bulk", str(_write(tmp_path, MIXED_CSV)))

    minted = [row for row in _csv_rows(result.stdout) if row["token"]]
    claims = [loopback.client.verify_conference_token(row["token"]) for row in minted]
    assert [(c.uid, c.room_id, c.role.value) for c in claims] == [
        ("alice", "bulk-a", "publisher"),
        ("carol", "bulk-a", "subscriber"),
        ("erin", "bulk-b", "admin"),
    ]


def test_mixed_rows_reported_on_stderr(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("token", "bulk", str(_write(tmp_path, MIXED_CSV)))

    for line in FAILED_LINES:
        assert f"Line {line}: InvalidArgumentError" in result.stderr
    assert "Minted 3 of 6 tokens; 3 rows failed." in result.stderr
    assert "eyJ" not in result.stderr


def test_json_lines_one_object_per_row(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("token", "bulk", str(_write(tmp_path, MIXED_CSV)), "--json")

    assert result.exit_code == 1
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [item["line"] for item in objects] == LINES
    for item in objects:
        if item["line"] in FAILED_LINES:
            assert item["token"] is None
            assert item["error"]["type"] == "InvalidArgumentError"
            assert item["error"]["message"]
        else:
            assert item["token"].count(".") == 2
            assert item["error"] is None


def test_all_good_rows_exit_0(
    invoke: Invoke, loopback: Loopback, tmp_path: Path
) -> None:
    users = [f"user{number:02d}" for number in range(40)]
    text = "user,room\n" + "".join(f"{user},bulk-many\n" for user in users)

    result = invoke(
        "token", "bulk", str(_write(tmp_path, text)), "--concurrency", "8", "--json"
    )

    assert result.exit_code == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [item["user"] for item in objects] == users
    assert {item["role"] for item in objects} == {"publisher"}
    assert "Minted 40 tokens." in result.stderr
    last = loopback.client.verify_conference_token(objects[-1]["token"])
    assert last.uid == "user39"


@pytest.mark.parametrize("concurrency", ["1", "3", "64"])
def test_concurrency_does_not_change_output_order(
    invoke: Invoke, tmp_path: Path, concurrency: str
) -> None:
    path = _write(tmp_path, MIXED_CSV)

    result = invoke("token", "bulk", str(path), "--concurrency", concurrency, "--json")

    assert [json.loads(line)["line"] for line in result.stdout.splitlines()] == LINES


def test_output_file_receives_rows(invoke: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "tokens.csv"

    result = invoke(
        "token", "bulk", str(_write(tmp_path, MIXED_CSV)), "--output", str(target)
    )

    assert result.exit_code == 1
    assert result.stdout == ""
    rows = _csv_rows(target.read_text(encoding="utf-8"))
    assert [int(row["line"]) for row in rows] == LINES
    assert sum(1 for row in rows if row["token"]) == 3


def test_reads_csv_from_stdin(invoke: Invoke) -> None:
    result = invoke("token", "bulk", "-", "--json", input="room,user\nbulk-c,kim\n")

    assert result.exit_code == 0, result.stderr
    item = json.loads(result.stdout)
    assert (item["user"], item["room"], item["role"]) == ("kim", "bulk-c", "publisher")


def test_header_is_case_insensitive_and_bom_tolerated(
    invoke: Invoke, tmp_path: Path
) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffUser, Room ,ROLE\r\nlee,bulk-d,admin\r\n".encode())

    result = invoke("token", "bulk", str(path), "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["role"] == "admin"


def test_blank_lines_are_skipped(invoke: Invoke, tmp_path: Path) -> None:
    text = "user,room\n\nmia,bulk-e\n\n\nned,bulk-e\n"

    result = invoke("token", "bulk", str(_write(tmp_path, text)), "--json")

    lines = [json.loads(line)["line"] for line in result.stdout.splitlines()]
    assert lines == [3, 6]


def test_header_only_mints_nothing(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("token", "bulk", str(_write(tmp_path, "user,room,role\n")))

    assert result.exit_code == 0
    assert result.stdout == "line,user,room,role,token,error\n"
    assert "Minted 0 tokens." in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,room\nalice,r\n", "lacks the column user"),
        ("user\nalice\n", "lacks the column room"),
        ("user,room,user\na,b,c\n", "names user twice"),
        ("", "it is empty"),
        ("user,room\nalice,r,extra\n", "line 2 has 3 fields"),
        ('user,room\n"alice"x,r\n', "line 2"),
    ],
)
def test_malformed_csv_exits_2(
    invoke: Invoke, tmp_path: Path, text: str, message: str
) -> None:
    result = invoke("token", "bulk", str(_write(tmp_path, text)))

    assert result.exit_code == 2
    assert result.stderr.startswith("Error: The CSV is malformed:")
    assert message in result.stderr
    assert result.stdout == ""


def test_non_utf8_csv_exits_2(invoke: Invoke, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("user,room\nj\xf6rg,r\n".encode("latin-1"))

    result = invoke("token", "bulk", str(path))

    assert result.exit_code == 2
    assert "not UTF-8" in result.stderr


def test_missing_file_exits_2(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke("token", "bulk", str(tmp_path / "absent.csv"))

    assert result.exit_code == 2
    assert "Cannot read" in result.stderr


def test_unwritable_output_exits_2(invoke: Invoke, tmp_path: Path) -> None:
    target = tmp_path / "no-such-dir" / "out.csv"

    result = invoke(
        "token", "bulk", str(_write(tmp_path, MIXED_CSV)), "--output", str(target)
    )

    assert result.exit_code == 2
    assert "Cannot write" in result.stderr


def test_zero_concurrency_exits_2(invoke: Invoke, tmp_path: Path) -> None:
    result = invoke(
        "token", "bulk", str(_write(tmp_path, MIXED_CSV)), "--concurrency", "0"
    )

    assert result.exit_code == 2


def test_pubnub_failure_fails_rows_not_run(
    invoke: Invoke, loopback: Loopback, tmp_path: Path
) -> None:
    loopback.emulator.add_faults("POST", "/v3/pam/", [{"status": 403}])
    text = "user,room\nola,bulk-f\npat,bulk-f\nquinn,bulk-f\n"

    result = invoke(
        "token", "bulk", str(_write(tmp_path, text)), "--concurrency", "1", "--json"
    )

    assert result.exit_code == 1
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [item["error"] and item["error"]["type"] for item in objects] == [
        "ChatGrantError",
        None,
        None,
    ]
    assert "1 row failed" in result.stderr


def test_progress_bar_on_terminal_stderr(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rich.console import Console

    from red5_bcs._cli import _bulk

    terminal = io.StringIO()
    console = Console(file=terminal, force_terminal=True, width=100)
    monkeypatch.setattr(_bulk, "stderr_console", lambda: console)

    result = invoke("token", "bulk", str(_write(tmp_path, MIXED_CSV)), "--json")

    assert result.exit_code == 1
    assert [json.loads(line)["line"] for line in result.stdout.splitlines()] == LINES
    rendered = terminal.getvalue()
    assert "Minting tokens" in rendered
    assert "6/6" in rendered
    assert "Line 3: InvalidArgumentError" in rendered
    assert "Minted 3 of 6 tokens; 3 rows failed." in rendered

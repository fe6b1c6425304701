"""`red5-bcs demo`, on the embedded emulator and with --live."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from red5_bcs._cli import _demo, _demo_steps
from red5_bcs._cli._demo_live import LIVE_STEPS
from red5_bcs._cli._demo_runner import Demo, DemoStep, Details, StepFailed
from red5_bcs._cli._demo_steps import EMULATOR_STEPS

from .conftest import Invoke, Loopback, run_command

STEP_NAMES = [step.__name__ for step in EMULATOR_STEPS]


def _json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def test_steps_cover_every_capability() -> None:
    expected = {
        "check_credentials", "mint_admin_token", "mint_publisher_token",
        "mint_subscriber_token", "join_participants", "list_rooms", "page_users",
        "list_hosts", "show_user_status", "check_joined", "mint_chat_tokens",
        "record_room", "transcribe_room", "block_and_unblock",
        "manage_external_streams", "reject_bad_argument",
    }  # fmt: skip

    assert set(STEP_NAMES) == expected
    assert len(STEP_NAMES) == len(expected)
    for step in EMULATOR_STEPS:
        assert step.__doc__, step.__name__


def test_demo_json_every_step_ok(closed_port_url: str) -> None:
    # RED5_* point nowhere useful: the demo must ignore them.
    env = {"RED5_BASE_URL": closed_port_url, "RED5_PUBNUB_BASE_URL": closed_port_url}

    result = run_command(["demo", "--json"], env)

    assert result.exit_code == 0, result.output
    reports = _json_lines(result.stdout)
    assert [report["name"] for report in reports] == STEP_NAMES
    for report in reports:
        assert report["ok"] is True, report
        assert report["title"]
        assert "error" not in report["details"]


def test_demo_json_details_show_checked_values() -> None:
    result = run_command(["demo", "--json"], {})

    details = {
        report["name"]: report["details"] for report in _json_lines(result.stdout)
    }
    assert details["mint_admin_token"]["role"] == "admin"
    assert details["mint_subscriber_token"]["role"] == "subscriber"
    assert details["page_users"]["pages"] == 3
    assert details["record_room"]["stopAgain"] == 409
    assert details["block_and_unblock"]["joinWhileBlocked"] == 403
    assert details["reject_bad_argument"]["argument"] == "room_id"
    assert "'/'" in details["reject_bad_argument"]["message"]
    assert details["check_credentials"]["masterKey"].endswith("…")
    assert details["check_credentials"]["baseUrl"].startswith("http://127.0.0.1:")
    assert details["mint_chat_tokens"]["readOnly"].count("read") == 2
    assert "write" not in details["mint_chat_tokens"]["readOnly"]


def test_demo_report_marks_every_step() -> None:
    result = run_command(["demo"], {})

    assert result.exit_code == 0, result.output
    assert result.stdout.count("✓") == len(EMULATOR_STEPS)
    assert "✗" not in result.stdout
    assert f"All {len(EMULATOR_STEPS)} steps did what they should." in result.stdout
    assert "embedded emulator at 127.0.0.1:" in result.stdout


def _replace_step(
    monkeypatch: pytest.MonkeyPatch, name: str, replacement: DemoStep
) -> None:
    steps = list(EMULATOR_STEPS)
    steps[STEP_NAMES.index(name)] = replacement
    monkeypatch.setattr(_demo, "EMULATOR_STEPS", steps)


def _sabotaged(demo: Demo) -> Details:
    """Pretend to check something and find it wrong."""
    raise StepFailed("the check found the wrong value")


def test_demo_fails_naming_sabotaged_step(monkeypatch: pytest.MonkeyPatch) -> None:
    _replace_step(monkeypatch, "list_hosts", _sabotaged)

    result = run_command(["demo"], {})

    assert result.exit_code == 1
    assert "✗ Pretend to check something and find it wrong" in result.stdout
    assert "the check found the wrong value" in result.stdout
    assert result.stderr.strip() == (
        f"Error: the demo failed at 1 of {len(EMULATOR_STEPS)} steps: _sabotaged."
    )


def test_demo_reports_unexpected_exception(monkeypatch: pytest.MonkeyPatch) -> None:
    original = _demo_steps.record_room

    def record_then_break(demo: Demo) -> Details:
        """Record, then hit a bug."""
        original(demo)
        raise RuntimeError("a bug in the step")

    _replace_step(monkeypatch, "record_room", record_then_break)

    result = run_command(["demo", "--json"], {})

    assert result.exit_code == 1
    reports = {report["name"]: report for report in _json_lines(result.stdout)}
    assert reports["record_then_break"]["ok"] is False
    assert reports["record_then_break"]["details"]["error"] == (
        "RuntimeError: a bug in the step"
    )
    assert all(
        report["ok"] for name, report in reports.items() if name != "record_then_break"
    )
    assert "record_then_break" in result.stderr


def test_demo_fails_when_service_misbehaves(monkeypatch: pytest.MonkeyPatch) -> None:
    # The first host list the emulator sends is empty, which the step must catch.
    from red5_bcs.testing import Emulator

    original_init = Emulator.__init__

    def init_with_fault(self: Emulator, **options: Any) -> None:
        original_init(self, **options)
        self.add_faults(
            "GET", "/as/v1/conference/room/demo-standup/hosts",
            [{"status": 200, "body": {"hostCount": 0, "hosts": []}}],
        )  # fmt: skip

    monkeypatch.setattr(Emulator, "__init__", init_with_fault)

    result = run_command(["demo", "--json"], {})

    failed = [
        report["name"] for report in _json_lines(result.stdout) if not report["ok"]
    ]
    assert result.exit_code == 1
    assert failed == ["list_hosts"]
    assert "list_hosts" in result.stderr


def test_demo_as_subprocess_exits_0() -> None:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("RED5_")
    }
    result = subprocess.run(
        [sys.executable, "-m", "red5_bcs", "demo", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert [report["name"] for report in _json_lines(result.stdout)] == STEP_NAMES


def test_live_runs_read_only_steps(
    invoke: Invoke, loopback: Loopback, room: str
) -> None:
    loopback.join(room, "ann")
    loopback.join(room, "bob", "subscriber")
    requests_before = len(loopback.emulator.requests)

    result = invoke("demo", "--live", "--room", room, "--json")

    assert result.exit_code == 0, result.output
    reports = _json_lines(result.stdout)
    assert [report["name"] for report in reports] == [s.__name__ for s in LIVE_STEPS]
    assert all(report["ok"] for report in reports)
    details = {report["name"]: report["details"] for report in reports}
    assert details["live_users"]["users"] == "ann, bob"
    assert details["live_hosts"]["hosts"] == "ann"
    methods = {r.method for r in loopback.emulator.requests[requests_before:]}
    assert methods == {"GET"}


def test_live_without_room_uses_first_active_room(fresh_loopback: Loopback) -> None:
    fresh_loopback.join("only-room", "ann")

    result = run_command(["demo", "--live"], fresh_loopback.env)

    assert result.exit_code == 0, result.output
    assert "room: only-room" in result.stdout
    assert result.stdout.count("✓") == len(LIVE_STEPS)


def test_live_without_credentials_exits_2(loopback: Loopback) -> None:
    env = {**loopback.env, "RED5_MASTER_KEY": None, "RED5_MASTER_SECRET": None}

    result = run_command(["demo", "--live"], env)

    assert result.exit_code == 2
    assert "RED5_MASTER_KEY" in result.stderr
    assert "without --live" in result.stderr
    assert result.stdout == ""


def test_room_without_live_exits_2() -> None:
    result = run_command(["demo", "--room", "x"], {})

    assert result.exit_code == 2
    assert "--live" in result.output


def test_live_service_error_fails_step(invoke: Invoke, loopback: Loopback) -> None:
    loopback.emulator.add_faults("GET", "/as/v1/conference/external-streams", [
        {"status": 403}
    ])  # fmt: skip

    result = invoke("demo", "--live", "--json")

    reports = {report["name"]: report for report in _json_lines(result.stdout)}
    assert result.exit_code == 1
    assert reports["live_external_streams"]["ok"] is False
    assert (
        "PermissionDeniedError" in reports["live_external_streams"]["details"]["error"]
    )

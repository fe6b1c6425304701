"""The command as a whole: help, entry points, connection flags and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import Invoke, Loopback, run_command

COMMANDS = [
    ["token", "conference"],
    ["token", "chat"],
    ["token", "decode"],
    ["token", "verify"],
    ["token", "bulk"],
    ["rooms"],
    ["users"],
    ["hosts"],
    ["user"],
    ["joined"],
    ["block"],
    ["unblock"],
    ["recording", "start"],
    ["recording", "stop"],
    ["transcription", "start"],
    ["transcription", "stop"],
    ["transcripts"],
    ["streams", "list"],
    ["streams", "add"],
    ["streams", "remove"],
    ["emulator"],
    ["demo"],
]
GROUPS = [["token"], ["recording"], ["transcription"], ["streams"]]


def test_root_help_lists_every_command() -> None:
    result = run_command(["--help"], {})

    assert result.exit_code == 0
    for name in ("token", "rooms", "streams", "demo", "emulator", "transcripts"):
        assert name in result.stdout
    assert "Exit codes" in result.stdout


def test_no_arguments_prints_help() -> None:
    result = run_command([], {})

    assert "Usage" in result.output
    assert "Commands" in result.output


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_describes_command(command: list[str]) -> None:
    result = run_command([*command, "--help"], {})

    assert result.exit_code == 0
    assert "Usage" in result.stdout
    # Every option has help text; Typer shows an option without any as a bare name.
    for line in result.stdout.splitlines():
        if line.strip("│ ").startswith("--") and "<" in line:
            assert line.split(">", 1)[1].strip(" │"), line


@pytest.mark.parametrize("group", GROUPS, ids=" ".join)
def test_group_without_command_prints_help(group: list[str]) -> None:
    result = run_command(group, {})

    assert "Usage" in result.output
    assert "Commands" in result.output


def test_python_dash_m_prints_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "red5_bcs", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0
    assert "red5-bcs" in result.stdout
    assert "token" in result.stdout


def test_importing_sdk_loads_no_cli_dependency() -> None:
    code = (
        "import sys, red5_bcs; "
        "print(sorted(m for m in ('typer', 'rich', 'click') if m in sys.modules))"
    )
    result = subprocess.run(  # noqa: S603 - this interpreter on fixed code
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == "[]"


def test_version_flag_prints_version() -> None:
    from red5_bcs import __version__

    result = run_command(["--version"], {})

    assert result.exit_code == 0
    assert result.stdout.strip() == f"red5-bcs {__version__}"


def test_unknown_option_exits_2(invoke: Invoke) -> None:
    result = invoke("rooms", "--no-such-option")

    assert result.exit_code == 2


def test_missing_credentials_exit_2(loopback: Loopback) -> None:
    env = {**loopback.env, "RED5_MASTER_KEY": None, "RED5_MASTER_SECRET": None}

    result = run_command(["rooms"], env)

    assert result.exit_code == 2
    assert "ConfigurationError" in result.stderr
    assert "RED5_MASTER_KEY" in result.stderr
    assert "Traceback" not in result.output


def test_wrong_master_key_exits_2(loopback: Loopback) -> None:
    env = {**loopback.env, "RED5_MASTER_KEY": "not-the-key-of-this-secret"}

    result = run_command(["rooms"], env)

    assert result.exit_code == 2
    assert "CredentialsError" in result.stderr


def test_invalid_timeout_exits_2(invoke: Invoke) -> None:
    result = invoke("rooms", "--timeout", "0")

    assert result.exit_code == 2
    assert "ConfigurationError" in result.stderr
    assert "timeout" in result.stderr


def test_command_flag_overrides_environment(
    loopback: Loopback, closed_port_url: str
) -> None:
    env = {**loopback.env, "RED5_BASE_URL": closed_port_url}

    result = run_command(
        ["rooms", "--json", "--base-url", loopback.server.base_url], env
    )

    assert result.exit_code == 0, result.output
    assert "roomCount" in json.loads(result.stdout)


def test_root_flag_overrides_environment(
    loopback: Loopback, closed_port_url: str
) -> None:
    env = {**loopback.env, "RED5_BASE_URL": closed_port_url}

    result = run_command(
        ["--base-url", loopback.server.base_url, "rooms", "--json"], env
    )

    assert result.exit_code == 0, result.output


def test_command_flag_overrides_root_flag(
    loopback: Loopback, closed_port_url: str
) -> None:
    args = [
        "--base-url",
        closed_port_url,
        "rooms",
        "--base-url",
        loopback.server.base_url,
    ]

    result = run_command(args, loopback.env)

    assert result.exit_code == 0, result.output


def test_credentials_as_flags(loopback: Loopback) -> None:
    env = {**loopback.env, "RED5_MASTER_KEY": None, "RED5_MASTER_SECRET": None}
    flags = [
        "--master-key",
        loopback.server.master_key,
        "--master-secret",
        loopback.server.master_secret,
    ]

    result = run_command(["rooms", "--json", *flags], env)

    assert result.exit_code == 0, result.output


def test_unreachable_service_exits_1(loopback: Loopback, closed_port_url: str) -> None:
    env = {**loopback.env, "RED5_BASE_URL": closed_port_url}

    result = run_command(["rooms"], env)

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: APIConnectionError:")
    assert "RED5_BASE_URL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_server_error_exits_1(invoke: Invoke, loopback: Loopback) -> None:
    loopback.emulator.add_faults(
        "GET", "/as/v1/conference/rooms", [{"status": 500}] * 3
    )

    result = invoke("rooms")

    assert result.exit_code == 1
    assert "InternalServerError" in result.stderr
    assert "500" in result.stderr


def test_verbose_logs_requests_on_stderr(invoke: Invoke) -> None:
    result = invoke("--verbose", "rooms", "--json")

    assert result.exit_code == 0
    assert "GET /as/v1/conference/rooms -> 200" in result.stderr
    assert json.loads(result.stdout)["roomCount"] >= 0


def test_verbose_logging_stops_with_command(invoke: Invoke) -> None:
    import logging

    logger = logging.getLogger("red5_bcs")
    level, handlers = logger.level, list(logger.handlers)

    invoke("--verbose", "rooms")

    assert logger.level == level
    assert logger.handlers == handlers


def test_tracebacks_never_show_local_variables() -> None:
    from red5_bcs._cli import app

    assert app.pretty_exceptions_show_locals is False

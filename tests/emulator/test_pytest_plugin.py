"""The pytest plugin, loaded through its entry point in a separate pytest run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PLUGIN_TESTS = """
import httpx2
import pytest

pytestmark = pytest.mark.filterwarnings("error")


def test_emulator_has_manual_clock(red5_emulator):
    red5_emulator.clock.advance(5)
    assert red5_emulator.clock() == 1_700_000_005


@pytest.mark.anyio
async def test_async_client(red5_emulator, red5_async_client):
    token = await red5_async_client.get_conference_token("alice", "room")
    red5_emulator.join(token)
    users = await red5_async_client.get_user_list("room")
    assert users.user_count == 1


def test_blocking_client(red5_emulator, red5_client):
    red5_emulator.join(red5_client.get_conference_token("bob", "room"))
    assert red5_client.get_host_list("room").host_count == 1


def test_server(red5_emulator, red5_emulator_server):
    env = red5_emulator_server.env()
    response = httpx2.get(env["RED5_PUBNUB_BASE_URL"] + "/nowhere")
    assert response.status_code == 404
    assert red5_emulator_server.emulator is red5_emulator
"""

WITHOUT_EXTRA = """
import sys
sys.modules["starlette"] = None
sys.modules["uvicorn"] = None
import red5_bcs.testing.pytest_plugin
from red5_bcs.testing import ManualClock
assert ManualClock()() == 1_700_000_000
try:
    from red5_bcs.testing import Emulator
except ImportError as exc:
    print(exc)
else:
    raise SystemExit("Emulator imported without starlette")
"""


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        check=False,
    )


def test_fixtures_work_in_a_user_project(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(textwrap.dedent(PLUGIN_TESTS))

    result = run(
        ["-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        tmp_path,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 passed" in result.stdout


def test_plugin_loads_without_emulator_extra(tmp_path: Path) -> None:
    result = run(["-c", WITHOUT_EXTRA], tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "pip install 'red5-bcs[emulator]'" in result.stdout

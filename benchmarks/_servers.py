"""Start benchmark servers in child processes and meter their CPU.

Every server runs in its own process, so that its CPU time is never counted
as the client's. A child is always stopped on the way out: its stdin is
closed first (which it takes as the signal to exit), then it is terminated,
then killed.
"""

from __future__ import annotations

import json
import selectors
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from pydantic import SecretStr

from red5_bcs import Red5Credentials

REPOSITORY = Path(__file__).resolve().parent.parent
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 5.0

# The account that clients of the stub sign with. The stub checks no
# signature, so these are made up.
STUB_CREDENTIALS = Red5Credentials(
    conference_secret=SecretStr("bench-conference-secret-0123456789abcdef"),
    pubnub_secret_key=SecretStr("sec-c-bench-0123456789abcdef"),
    pubnub_publish_key="pub-c-bench-0123456789abcdef",
    pubnub_subscribe_key="sub-c-bench-0123456789abcdef",
    stream_manager_host="127.0.0.1",
)


@dataclass
class ServerProcess:
    """A running server child and the details it announced.

    Attributes:
        name: What the server is, for tables (`stub` or `emulator`).
        details: The announced JSON object; it always has `port`.
        process: The child process.
    """

    name: str
    details: dict[str, Any]
    process: subprocess.Popen[bytes]

    @property
    def base_url(self) -> str:
        """The server's `http://127.0.0.1:PORT` URL."""
        return f"http://127.0.0.1:{self.details['port']}"

    def cpu_seconds(self) -> float:
        """Return the user plus system CPU time the server has used so far."""
        times = psutil.Process(self.process.pid).cpu_times()
        return times.user + times.system


@contextmanager
def run_server(name: str, module: str, *arguments: str) -> Iterator[ServerProcess]:
    """Run `python -m module arguments...` and yield it once it has announced."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, *arguments],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        cwd=REPOSITORY,
    )
    try:
        details = _read_announcement(process, module)
        yield ServerProcess(name, details, process)
    finally:
        _stop(process)


def _read_announcement(process: subprocess.Popen[bytes], module: str) -> dict[str, Any]:
    assert process.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        ready = selector.select(timeout=START_TIMEOUT_SECONDS)
    line = process.stdout.readline() if ready else b""
    if not line:
        raise RuntimeError(
            f"The benchmark server {module} did not announce its port within "
            f"{START_TIMEOUT_SECONDS:.0f} s (exit code {process.poll()})."
        )
    details: dict[str, Any] = json.loads(line)
    return details


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.stdin is not None:
        process.stdin.close()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()

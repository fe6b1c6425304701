"""Development sessions: tests, lint, typecheck, docs, bench and demo.

Each session installs what it needs into its own virtual environment, so a
fresh machine needs nothing but `pip install nox`.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True
nox.options.error_on_missing_interpreters = True

TEST_TOOLS = [
    "pytest>=8.3",
    "hypothesis>=6.100",
    "trio>=0.27",
    # PubNub's official SDK is the oracle for grant signatures and tokens.
    "pubnub>=10.4",
    "cbor2>=5.6",
    # The load and socket tests count the process's open sockets.
    "psutil>=6",
]
LINT_TOOLS = ["ruff>=0.8"]
TYPECHECK_TOOLS = ["mypy>=1.13", "pytest>=8.3", "trio>=0.27"]
# Zensical is pre-1.0, so it is pinned to the release the docs were checked with.
DOCS_TOOLS = ["zensical==0.0.73", "mkdocstrings-python>=2.0.11,<3"]
BENCH_TOOLS = ["rich>=13.7", "psutil>=6"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite against the emulator, on asyncio and trio."""
    session.install("-e", ".[all]", *TEST_TOOLS)
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff."""
    session.install(*LINT_TOOLS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package with mypy --strict."""
    session.install("-e", ".[all]", *TYPECHECK_TOOLS)
    session.run("mypy", "--strict", "red5_bcs")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site, failing on any warning."""
    session.install("-e", ".[all]", *DOCS_TOOLS)
    session.run("python", "docs/check.py")


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks and print the table (also saved under benchmarks/results)."""
    session.install("-e", ".[all]", *BENCH_TOOLS)
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """Run the demo on the embedded emulator."""
    session.install("-e", ".[all]")
    session.run("red5-bcs", "demo", *session.posargs)

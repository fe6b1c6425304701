"""Benchmarks of red5-bcs: run `python -m benchmarks` (or `nox -s bench`).

Servers run in child processes on 127.0.0.1: a minimal HTTP/1.1 stub that
responds at once, for the client's own cost, and the SDK's emulator over
uvicorn, for realistic figures. Results are printed as tables and written
to `benchmarks/results/latest.json` and `latest.md`.
"""

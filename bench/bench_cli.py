"""Start-up figures of the command line (issue: core foundation).

Prints ``name: value unit`` lines:
- ``alphapy --help`` wall time (target < 0.3 s);
- ``alphapy migrate`` of the core on an empty database with DATABASE_URL set (< 1 s);
- a second ``alphapy migrate`` with nothing to apply (< 0.3 s).
Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL (started outside the
timed region). Each figure is the median of several runs.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from alphapy.testing.database import TestDatabaseServer

RUNS = 7


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "alphapy", *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"alphapy {' '.join(args)} failed: {done.stderr}")
    return elapsed


def main() -> None:
    base_env = {**os.environ, "ALPHAPY_PLUGINS": "", "LOG_LEVEL": "warning"}
    print(f"cli_help: {statistics.median(timed(['--help'], base_env) for _ in range(RUNS)):.3f} s")

    server = TestDatabaseServer()
    first, second = [], []
    try:
        for _ in range(RUNS):
            url = server.create_database()
            env = {**base_env, "DATABASE_URL": url}
            first.append(timed(["migrate"], env))
            second.append(timed(["migrate"], env))
            server.drop_database(url)
    finally:
        server.close()
    print(f"migrate_empty_database: {statistics.median(first):.3f} s")
    print(f"migrate_nothing_to_apply: {statistics.median(second):.3f} s")


if __name__ == "__main__":
    main()

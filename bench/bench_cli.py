"""Start-up figures of the command line (issues: core foundation, 20).

Each round runs, in turn, ``python -c "import discord"`` (the baseline: what any
discord.py bot pays before doing anything), ``alphapy --help`` and ``alphapy migrate`` with
nothing to apply (every plugin installed here, its migrations already applied), each as
a fresh process. Prints the medians in seconds and

- ``ratio cli_help_over_import_discord``: the median of each round's ratio (goal <= 0.3);
- ``ratio cli_migrate_nothing_over_import_discord``: the same for the migrate (goal <= 0.5).

Also ``migrate_empty_database`` once: the core and every plugin on a new database. That
first run, being clean, records the state the later ones check (as a host's first deploy
would; see :mod:`alphapy.db.up_to_date`), and the first ``--help`` keeps the text the later
ones reuse (:mod:`alphapy.cli.help_cache`) unless a cached one still matches.
Uses an embedded PostgreSQL (started outside the timed region). ``BENCH_ROUNDS``
overrides the rounds.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

from ratios import report

from alphapy.testing.database import TestDatabaseServer

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr}")
    return elapsed


def main() -> None:
    env = {**os.environ, "LOG_LEVEL": "warning"}
    env.pop("ALPHAPY_PLUGINS", None)
    server = TestDatabaseServer()
    try:
        url = server.create_database()
        env["DATABASE_URL"] = url
        first = timed(["-m", "alphapy", "migrate"], env)
        figures: dict[str, list[float]] = {"discord": [], "help": [], "migrate": []}
        for _ in range(ROUNDS):
            figures["discord"].append(timed(["-c", "import discord"], env))
            figures["help"].append(timed(["-m", "alphapy", "--help"], env))
            figures["migrate"].append(timed(["-m", "alphapy", "migrate"], env))
        server.drop_database(url)
    finally:
        server.close()
    med = {name: statistics.median(values) for name, values in figures.items()}
    print(f"import_discord: {med['discord']:.3f} s")
    print(f"cli_help: {med['help']:.3f} s")
    print(f"migrate_nothing_to_apply: {med['migrate']:.3f} s")
    print(f"migrate_empty_database: {first:.3f} s (core and every installed plugin)")
    ratio = statistics.median(h / d for h, d in zip(figures["help"], figures["discord"], strict=True))
    report("cli_help_over_import_discord", ratio, "<=", 0.3)
    ratio = statistics.median(m / d for m, d in zip(figures["migrate"], figures["discord"], strict=True))
    report("cli_migrate_nothing_over_import_discord", ratio, "<=", 0.5)


if __name__ == "__main__":
    main()

"""Every issue-20 target in one table: each bench run with modest sizes, its ratio lines collected.

Each bench measures its own baseline in the same run, alternating (``bench/ratios.py``),
so that the noise of a shared machine hits both sides alike; this script only runs them
one after the other, each in a fresh process from ``bench/``, and prints one Markdown
table (target, figure, goal, met?) with the date and the machine, as kept in
``bench/README.md``. Sizes are chosen to finish in under 10 minutes on 2 cores.

    python bench/run_all.py [--red-venv PATH] [--only NAME ...]

``--red-venv`` is handed to ``bench_settings.py`` (Red-DiscordBot's Config from its own
virtual environment); without it Red is skipped and said so. Exits 1 when a bench fails
to run (its output is shown), 0 otherwise, met or not.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ratios import Ratio, parse

BENCH = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Run:
    """One bench script with the sizes it runs at here."""

    script: str
    sizes: dict[str, str] = field(default_factory=dict)


RUNS = (
    Run("bench_hooks.py", {"BENCH_CALLS": "20000", "BENCH_ROUNDS": "5"}),
    Run("bench_premium.py", {"BENCH_CALLS": "1000", "BENCH_ROUNDS": "3"}),
    Run("bench_settings.py", {"BENCH_WRITES": "300", "BENCH_ROUNDS": "3"}),
    Run("bench_tracking.py", {"BENCH_ROWS": "50000", "BENCH_RATIO_ROWS": "100000", "BENCH_ROUNDS": "3"}),
    Run("bench_bot_memory.py", {"BENCH_GUILDS": "1000", "BENCH_ROUNDS": "1"}),
    Run("bench_cli.py", {"BENCH_ROUNDS": "5"}),
    Run("bench_bot.py", {"BENCH_ROUNDS": "15", "BENCH_SEQUENTIAL": "100", "BENCH_GUILDS": "100"}),
    Run("bench_faq.py", {"BENCH_ENTRIES": "50000"}),
)


def machine() -> str:
    cpus = os.cpu_count() or 0
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return f"{platform.node()}: {platform.system()} {platform.machine()}, {cpus} CPUs, load {load}, " \
           f"Python {platform.python_version()}"


def run(bench: Run, red_venv: Path | None) -> tuple[list[Ratio], float, str | None]:
    """The bench's ratio lines, its seconds, and its output when it failed."""
    args = [sys.executable, str(BENCH / bench.script)]
    if bench.script == "bench_settings.py" and red_venv is not None:
        args += ["--red-venv", str(red_venv)]
    started = time.perf_counter()
    done = subprocess.run(args, cwd=BENCH, env={**os.environ, **bench.sizes}, capture_output=True, text=True,
                          timeout=900)
    seconds = time.perf_counter() - started
    lines = done.stdout.splitlines()
    for line in lines:
        print(f"  {line}", flush=True)
    ratios = [ratio for line in lines if (ratio := parse(line)) is not None]
    failure = None if done.returncode == 0 else (done.stdout + done.stderr)[-3000:]
    return ratios, seconds, failure


def table(ratios: list[Ratio]) -> str:
    rows = ["| target | figure | goal | met? |", "|---|---|---|---|"]
    for r in ratios:
        note = f" {r.note}" if r.note else ""
        rows.append(f"| {r.target}{note} | {r.value:.3g}{r.unit} | {r.op} {r.goal:g}{r.unit} | "
                    f"{'yes' if r.met else '**no**'} |")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--red-venv", type=Path, help="a virtual environment with Red-DiscordBot[postgres]")
    parser.add_argument("--only", nargs="*", help="bench scripts to run (default: all)")
    args = parser.parse_args()
    started = time.perf_counter()
    header = f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {machine()}"
    everything: list[Ratio] = []
    failed = []
    for bench in RUNS:
        if args.only and bench.script not in args.only and bench.script.removesuffix(".py") not in args.only:
            continue
        print(f"== {bench.script} {' '.join(f'{k}={v}' for k, v in bench.sizes.items())}", flush=True)
        ratios, seconds, failure = run(bench, args.red_venv)
        print(f"   ({seconds:.0f} s)", flush=True)
        everything += ratios
        if failure is not None:
            failed.append(bench.script)
            print(failure, file=sys.stderr)
    print()
    print(header)
    print(f"(all benches: {time.perf_counter() - started:.0f} s"
          f"{'; Red skipped: no --red-venv' if args.red_venv is None else ''})")
    print()
    print(table(everything))
    if failed:
        print(f"\nfailed to run: {', '.join(failed)}", file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()

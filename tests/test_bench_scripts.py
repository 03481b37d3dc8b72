"""Benchmark scripts must not rot: each one imports (its figures are taken by running it)."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize("script", sorted(BENCH.glob("bench_*.py")), ids=lambda p: p.stem)
def test_bench_script_imports(script: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location(f"_bench_{script.stem}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)
    spec.loader.exec_module(module)  # defines functions only: main() runs under __main__
    assert callable(getattr(module, "main", None)), f"{script.name} has no main()"


@pytest.mark.parametrize("script", ["bench_premium.py", "bench_hooks.py"])
def test_a_quick_bench_runs_to_its_ratio_line(script: str, alphapy_test_server: Any) -> None:
    """Importing is not enough: a bench whose set-up no longer matches the code it measures
    (bench_premium once asked for a service method that had gone) must fail here, not in
    the next ``run_all``. Tiny sizes on the session's server: what is checked is that it
    runs and prints its target, never a figure."""
    env = {**os.environ, "TEST_DATABASE_URL": alphapy_test_server.admin_url,
           "BENCH_CALLS": "50", "BENCH_ROUNDS": "1"}
    done = subprocess.run([sys.executable, script], cwd=BENCH, env=env, capture_output=True, text=True,
                          timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    assert any(line.startswith("ratio ") for line in done.stdout.splitlines()), done.stdout[-2000:]

"""The README's first command stays true: ``alphapy demo`` tours every plugin and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_demo_passes_with_every_installed_plugin(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "DISCORD_TOKEN", "ALPHAPY_PLUGINS", "OPENAI_API_KEY", "OPENAI_BASE_URL")}
    done = subprocess.run([sys.executable, "-m", "alphapy", "demo"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    last = done.stdout.strip().splitlines()[-1]
    passed, total = last.split(" checks passed")[0].split(" of ")
    assert passed == total and int(total) > 7  # the core's chapter and the plugins' chapters
    assert "✗" not in done.stdout
    for plugin in ("reminders", "tickets", "premium", "faq", "onboarding", "verification"):
        assert f"({plugin}) ━━" in done.stdout, f"no demo chapter from {plugin}"

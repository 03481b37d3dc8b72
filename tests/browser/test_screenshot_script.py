"""scripts/dashboard_screenshots.py writes every README screenshot, small enough to load."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PAGES = ("servers", "overview", "history")


def test_the_script_writes_each_page_light_and_dark_on_desktop_and_phone(alphapy_chromium: str,
                                                                         tmp_path: Path) -> None:
    run = subprocess.run([sys.executable, "scripts/dashboard_screenshots.py", "--out", str(tmp_path)],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    expected = {f"dashboard-{page}-{theme}-{device}.png" for page in PAGES
                for theme in ("light", "dark") for device in ("desktop", "phone")}
    assert {p.name for p in tmp_path.iterdir()} == expected
    for path in tmp_path.iterdir():
        assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size < 150 * 1024, path.name


def test_the_readme_shows_the_committed_screenshots() -> None:
    readme = (REPO / "README.md").read_text()
    shown = [name for page in PAGES for name in (f"docs/images/dashboard-{page}-light-desktop.png",
                                                 f"docs/images/dashboard-{page}-dark-desktop.png")]
    for name in shown:
        assert name in readme and (REPO / name).stat().st_size < 150 * 1024, name

"""scripts/dashboard_screenshots.py writes every README screenshot, small enough to load."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
PAGES = ("servers", "overview", "history", "premium", "yourpremium")  # and "settings" where the dashboard has it
THEMES = ("light", "dark")
DEVICES = ("desktop", "phone")


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dashboard_screenshots", REPO / "scripts" / "dashboard_screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_script_writes_each_page_light_and_dark_on_desktop_and_phone(
        alphapy_chromium: str, database_url: str, tmp_path: Path) -> None:
    """Run in this process with the session's Chromium and database server (the command
    line starts its own of both; ``main`` is only that and the size report)."""
    out = tmp_path / "images"
    written = await _script().write_screenshots(out, alphapy_chromium, tmp_path / "scratch", database_url)
    pages = {p.name.split("-")[1] for p in written}
    expected = {f"dashboard-{page}-{theme}-{device}.png" for page in pages for theme in THEMES for device in DEVICES}
    assert set(PAGES) <= pages
    assert {p.name for p in written} == {p.name for p in out.iterdir()} == expected
    for path in written:
        assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size < 150 * 1024, path.name


def test_the_readme_shows_the_committed_screenshots() -> None:
    readme = (REPO / "README.md").read_text()
    shown = [f"docs/images/dashboard-{page}-{theme}-desktop.png" for page in (*PAGES, "settings") for theme in THEMES]
    for name in shown:
        assert name in readme and (REPO / name).stat().st_size < 150 * 1024, name

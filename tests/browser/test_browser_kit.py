"""The testing kit's browser: its page checks catch what they promise to catch, and
without a Chromium the browser tests skip with one line saying why."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from alphapy.dashboard.security import CONTENT_SECURITY_POLICY
from alphapy.testing import BrowserPage, find_chromium
from alphapy.testing.browser import CHROMIUM_ENV, NO_CHROMIUM, SCREENSHOTS_ENV, screenshot_folder

REPO = Path(__file__).resolve().parents[2]

PAGES = {
    "/good": '<label for="name">Name</label><input id="name" name="name"><button>Save</button>',
    "/inline-script": "<p>Hi</p><script>document.title = 'changed'</script>",
    "/inline-handler": '<button onclick="go()">Go</button>',
    "/unlabelled": '<input name="nickname"><select name="colour"><option>red</option></select>',
    "/unnamed-button": '<button type="submit"></button>',
    "/hidden-focus": '<style>a:focus { outline: none }</style><a href="/good">Somewhere</a>',
}


@pytest_asyncio.fixture
async def site() -> AsyncIterator[str]:
    """The pages above, served with the dashboard's Content-Security-Policy."""

    async def serve(request: web.Request) -> web.Response:
        body = f"<!doctype html><html lang=en><title>t</title>{PAGES[request.path]}</html>"
        # The style block of /hidden-focus needs 'unsafe-inline' for styles only.
        policy = CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        return web.Response(text=body, content_type="text/html", headers={"Content-Security-Policy": policy})

    app = web.Application()
    app.router.add_get("/{page}", serve)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_a_clean_page_passes_and_its_screenshot_is_kept(browser_page: BrowserPage, site: str) -> None:
    await browser_page.page.goto(site + "/good")
    shot = await browser_page.visited("Good page")
    assert shot.name == "01-good-page.png" and shot.read_bytes().startswith(b"\x89PNG")


PROBLEMS = {
    "/inline-script": ["inline <script>", "violates the following Content Security Policy directive"],
    "/inline-handler": ["inline handler onclick on <button>", "violates the following Content Security Policy"],
    "/unlabelled": ['<input name="nickname"> has no label', '<select name="colour"> has no label'],
    "/unnamed-button": ["button without a name"],
}


async def test_a_page_with_a_problem_fails_naming_it(browser_page: BrowserPage, site: str) -> None:
    """One browser page for all (a context per case would double the time for nothing)."""
    for number, (path, problems) in enumerate(PROBLEMS.items(), start=1):
        browser_page.console_errors.clear()
        await browser_page.page.goto(site + path)
        if path == "/inline-handler":
            await browser_page.page.get_by_role("button", name="Go").click()
        with pytest.raises(AssertionError) as failure:
            await browser_page.visited(path)
        for problem in problems:
            assert problem in str(failure.value), path
        assert len(browser_page.kept) == number  # the screenshot is kept to look at


async def test_a_focus_nobody_can_see_fails_the_keyboard_check(browser_page: BrowserPage, site: str) -> None:
    await browser_page.page.goto(site + "/hidden-focus")
    with pytest.raises(AssertionError, match="is not visible"):
        await browser_page.tab_to(browser_page.page.get_by_role("link", name="Somewhere"))


def test_find_chromium_takes_the_configured_binary_or_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-chromium"))
    assert find_chromium() is None
    monkeypatch.setenv(CHROMIUM_ENV, sys.executable)
    assert find_chromium() == sys.executable


def test_without_chromium_the_browser_tests_skip_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, CHROMIUM_ENV: str(tmp_path / "no-chromium")}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "tests/browser/test_dashboard_in_chromium.py"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    skipped = [line for line in run.stdout.splitlines() if line.startswith("SKIPPED")]
    assert skipped and all(NO_CHROMIUM in line for line in skipped), run.stdout
    tests = (REPO / "tests/browser/test_dashboard_in_chromium.py").read_text().count("\nasync def test_")
    assert f"{tests} skipped" in run.stdout


def test_screenshots_go_under_alphapy_screenshots_when_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCREENSHOTS_ENV, raising=False)
    assert screenshot_folder("test_x[a/b]", tmp_path) == tmp_path / "screenshots"
    monkeypatch.setenv(SCREENSHOTS_ENV, str(tmp_path / "kept"))
    assert screenshot_folder("test_x[a/b]", tmp_path) == tmp_path / "kept" / "test_x-a-b-"

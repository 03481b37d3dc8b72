"""A plugin's own CSS and JavaScript (``pages.static``): served from the dashboard's origin
under ``/static/plugins/<plugin>/``, linked by ``static_url``, cached by fingerprint, and
nothing outside the plugin's folder (or of a kind a page does not load) ever served."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict

from alphapy import DashboardPages, PageRegistrationError
from alphapy.dashboard.plugin_static import CACHED_FOR_A_YEAR, REVALIDATE
from alphapy.testing import DashboardBrowser
from tests.conftest import test_plugin

PAGES_STATIC = Path(__file__).parent / "plugins" / "alphapy_pages" / "alphapy_pages" / "static"


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("pages", test_plugin("pages")), ("hello", test_plugin("hello"))]


async def fetch(browser: DashboardBrowser, path: str, **headers: str) -> tuple[int, CIMultiDict[str], bytes]:
    async with browser.http.get(browser.base_url + path, headers=headers, allow_redirects=False) as resp:
        return resp.status, resp.headers.copy(), await resp.read()


async def test_a_page_links_its_plugins_files_and_they_are_served_with_cache_headers(
        dashboard_url, guild, host) -> None:
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        page = await browser.get(f"/guilds/{guild.id}/pages/member")
        links = re.findall(r'(?:href|src)="(/static/plugins/pages/[^"]+)"', page.text)
        assert [link.split("?")[0] for link in links] == ["/static/plugins/pages/board.css",
                                                          "/static/plugins/pages/deeper/board.js"]
        assert "<script>" not in page.text  # still no inline script
    async with DashboardBrowser(dashboard_url) as anonymous:  # static files need no login
        for link, name, kind in zip(links, ("board.css", "deeper/board.js"), ("text/css", "text/javascript"),
                                    strict=True):
            status, headers, body = await fetch(anonymous, link)
            assert (status, body) == (200, (PAGES_STATIC / name).read_bytes())
            assert headers["Content-Type"].startswith(kind)
            assert headers["Cache-Control"] == CACHED_FOR_A_YEAR
            assert headers["X-Content-Type-Options"] == "nosniff"
            again, _, _ = await fetch(anonymous, link, **{"If-None-Match": headers["ETag"]})
            assert again == 304
        status, headers, _ = await fetch(anonymous, "/static/plugins/pages/board.css?v=stale")
        assert (status, headers["Cache-Control"]) == (200, REVALIDATE)  # an old address is revalidated
        status, _, _ = await fetch(anonymous, "/static/style.css")
        assert status == 200  # the core's own files are untouched


@pytest.mark.parametrize("path", [
    "/static/plugins/pages/../plugin.py",
    "/static/plugins/pages/%2e%2e/plugin.py",
    "/static/plugins/pages/%2E%2E%2Fplugin.py",
    "/static/plugins/pages/deeper/%2e%2e/%2e%2e/plugin.py",
    "/static/plugins/pages/..%5Cplugin.py",
    "/static/plugins/pages/%2Fetc%2Fpasswd",
    "/static/plugins/pages//etc/passwd",
    "/static/plugins/pages/notes.txt",
    "/static/plugins/pages/.hidden.css",
    "/static/plugins/pages/missing.css",
    "/static/plugins/hello/board.css",
    "/static/plugins/nobody/board.css",
    "/static/plugins/pages/board.css%00.js",
])
async def test_nothing_outside_the_folder_or_of_another_kind_is_served(dashboard_url, path) -> None:
    async with DashboardBrowser(dashboard_url) as anonymous:
        status, _, body = await fetch(anonymous, path)
    assert status == 404
    assert b"hookimpl" not in body and b"root:" not in body and b"not a kind" not in body


def test_a_static_folder_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PageRegistrationError, match="static folder .* does not exist"):
        DashboardPages("pages").static(tmp_path / "nowhere")

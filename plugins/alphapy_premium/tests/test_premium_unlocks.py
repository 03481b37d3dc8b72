""""What premium unlocks" on the hosts' Premium page: the features plugins declare with the
``premium_features`` hook (reminders' image and higher limit), only for plugins switched on."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest

from alphapy import hookimpl
from alphapy.testing import DashboardBrowser


class Crashes:
    """A plugin whose declaration fails: the others' features still show."""

    @hookimpl
    def premium_features(self) -> list[str]:
        raise RuntimeError("broken")


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_premium import plugin as premium
    from alphapy_reminders import plugin as reminders

    return [("premium", premium), ("reminders", reminders), ("crashes", Crashes())]


def unlocks_of(page_text: str) -> dict[str, list[str]]:
    section = page_text.split('<h2 id="unlocks">', 1)[1]
    found: dict[str, list[str]] = {}
    for plugin, items in re.findall(r'<h3 id="unlocks-([a-z_]+)">[^<]*</h3>\s*<ul[^>]*>(.*?)</ul>', section, re.S):
        found[plugin] = [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", items)]
    return found


async def test_the_hosts_page_lists_what_plugins_unlock_with_premium(dashboard_url, emulator, bot, guild,
                                                                    host) -> None:
    page = f"/guilds/{guild.id}/premium"
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        shown = await browser.get(page)
        assert shown.status == 200
        unlocks = unlocks_of(shown.text)
        assert list(unlocks) == ["reminders"]
        assert unlocks["reminders"][0].startswith("Images on reminders: a member with premium may add an image")
        assert "until the server holds 500 instead of 50" in unlocks["reminders"][1]
        assert "No plugin switched on here offers anything with premium yet." not in shown.text

        await emulator.slash(host, "plugins disable", plugin="reminders")
        without = await browser.get(page)
    assert unlocks_of(without.text) == {}
    assert "No plugin switched on here offers anything with premium yet." in without.text

"""The FAQ pages in Chromium: the host writes an entry with a preview, and ``/faq search`` in
Discord finds it.

The browser kit (``browser_page``, ``DashboardFlow``) comes from a branch merged beside this
one; until then this file skips.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("alphapy.testing.dashboard_flows", reason="the browser kit is not on this branch")


async def test_the_host_writes_an_entry_from_the_browser(browser_page: Any, dashboard_url: str, bot: Any,
                                                         emulator: Any, guild: Any, host: Any, member: Any) -> None:
    from alphapy.testing import DashboardFlow

    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(host)
    await flow.open_server("Test Guild")
    await flow.open("FAQ")
    await flow.follow("Write a new entry", page_name="new entry")
    await flow.fill("Title", "Opening hours")
    await flow.fill("Keywords (comma-separated, at most 20)", "hours, open")
    await flow.fill("Answer", "We are open from 9 to 5.\nClosed on Sundays.")
    await flow.press("Preview", page_name="preview")
    assert await browser_page.page.get_by_role("region", name="Preview in Discord").is_visible()
    await flow.press("Add entry", page_name="added")
    entry_id = await bot.db.fetchval("SELECT id FROM faq_entries WHERE guild_id = $1", guild.id)
    assert await flow.notice() == f"Added FAQ #{entry_id}."
    found = await emulator.slash(member, "faq search", query="when are you open")
    assert [f["name"] for f in found.embed["fields"]] == [f"#{entry_id} · Opening hours"]
    await flow.open("FAQ searches")

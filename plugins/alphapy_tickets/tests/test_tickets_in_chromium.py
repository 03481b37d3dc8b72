"""The tickets pages in Chromium: the host finds the Tickets page in the server's menu, opens a
ticket from the list, claims it, and the ticket's channel in Discord says so.

The browser kit (``browser_page``, ``DashboardFlow``) comes from a branch merged beside this
one; until then this file skips.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_tickets_lifecycle import open_ticket
from tickets_helpers import Desk

pytest.importorskip("alphapy.testing.dashboard_flows", reason="the browser kit is not on this branch")


async def test_the_host_claims_a_ticket_from_the_browser(browser_page: Any, dashboard_url: str, bot: Any,
                                                         emulator: Any, desk: Desk, host: Any, member: Any) -> None:
    from alphapy.testing import DashboardFlow

    ticket_id, channel, control = await open_ticket(emulator, member, "The printer is on fire")
    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(host)
    await flow.open_server("Test Guild")
    await flow.open("Tickets")
    await flow.fill("Status", "open")
    await flow.press("Filter", page_name="open tickets")
    await flow.follow(f"#{ticket_id}", page_name="the ticket")
    await flow.press("Claim", page_name="claimed")
    assert await flow.notice() == f"You claimed ticket #{ticket_id}."
    await emulator.settle()
    assert channel.messages[-1].content == f"🙋 <@{host.id}> claimed this ticket and will help you."
    assert control.button_labels == ["Ask member", "Escalate", "Close"]
    await flow.follow("All tickets", page_name="the list")
    await flow.open("Ticket statistics")
    await flow.press("Count again", page_name="statistics")
    assert await flow.notice() == "Counted again: last 7 days."

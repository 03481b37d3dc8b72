"""The verification queue in Chromium: two members' verifications wait for staff; a staff
member rejects one with a reason and approves the other on the Verification page, and
Discord (through the emulator) shows both: the rejected member is told the reason, the
approved one has the verified role.

Fields and buttons are found by the stable names of ``docs/dashboard.md``.
"""

from __future__ import annotations

from typing import Any

from verification_helpers import answer, receipt

from alphapy.testing import DashboardFlow


async def waiting_for_staff(world: Any, who: Any, seed: int) -> tuple[Any, Any]:
    """``who``'s verification, which the model was unsure of, waiting for staff; (its row, its
    channel, kept after the bot deletes it).

    Each member sends a different screenshot (``seed``): the same one twice is flagged as reused.
    """
    row, channel = await world.open(who)
    world.fake_ai.reply(answer(False, True, "The date is not visible."))
    await world.upload(channel, receipt(seed), who=who)
    return await world.settled_status(row["id"]), channel


async def decide_in_row(flow: DashboardFlow, ticket_id: int, button: str, *, page_name: str) -> None:
    """Press ``button`` ("Approve" or "Reject") of the queue's row for verification ``ticket_id``."""
    line = flow.page.locator(f"#verification-{ticket_id}")
    async with flow.page.expect_navigation():
        await line.get_by_role("button", name=f"{button} verification {ticket_id}", exact=True).click()
    await flow.browser.visited(page_name)


async def test_staff_reject_one_and_approve_another_in_the_browser(
        browser_page: Any, dashboard_url: str, world: Any) -> None:
    await world.configure(mode="assist")
    rejected, rejected_channel = await waiting_for_staff(world, world.member, seed=7)
    nina = world.guild.add_member("nina")
    await world.emulator.settle()
    approved, _ = await waiting_for_staff(world, nina, seed=42)
    assert (rejected["status"], approved["status"]) == ("manual_review", "manual_review")

    page = browser_page.page
    flow = DashboardFlow(browser_page, dashboard_url)
    await flow.log_in(world.staff)
    # the servers list shows the servers a person manages; the plugin's staff member follows a
    # link to the server's own page, whose menu has the Verification page
    await page.goto(f"{dashboard_url.rstrip('/')}/guilds/{world.guild.id}")
    await browser_page.visited("overview")
    await flow.open("Verification")
    assert await page.get_by_role("heading", name="Waiting for staff: 2", exact=True).is_visible()

    await page.locator(f"#verification-{rejected['id']}").get_by_label("Reason", exact=True).fill(
        "the receipt is for another product")
    await decide_in_row(flow, rejected["id"], "Reject", page_name="rejected")
    assert await flow.notice() == f"Rejected verification #{rejected['id']}."
    await decide_in_row(flow, approved["id"], "Approve", page_name="approved")
    assert await flow.notice() == f"Approved verification #{approved['id']}: member {nina.id} has the verified role."
    assert await page.get_by_role("heading", name="Waiting for staff: 0", exact=True).is_visible()

    await world.settled_status(rejected["id"], leaving="manual_review")
    await world.settled_status(approved["id"], leaving="manual_review")
    told = [m.content for m in rejected_channel.messages if m.content.startswith("❌")]
    assert told and "your verification was not accepted: the receipt is for another product." in told[0]
    assert any("another product" in m.content for m in world.emulator.dms(world.member))
    assert not world.member.has_role("Verified")
    assert nina.has_role("Verified")
    assert (await world.ticket(approved["id"]))["decided_by"] == world.staff.id

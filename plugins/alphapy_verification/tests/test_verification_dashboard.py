"""The verification page on the dashboard: the review queue with the model's answer, and the
statistics of ``/verification stats``, for the plugin's staff only; against the running bot,
the emulator's OAuth2, PostgreSQL and the fake AI."""

from __future__ import annotations

from typing import Any

import pytest
from alphapy_verification.dashboard import BAD_REASON, NO_SUCH
from verification_helpers import answer, receipt

from alphapy.testing import DashboardBrowser, running_dashboard


@pytest.fixture
def elsewhere(emulator: Any, guild: Any) -> Any:
    """Another server with the bot, whose owner is not in the test's server (made before the bot starts)."""
    return emulator.add_guild("Elsewhere", owner_name="else-owner")



def page_of(world: Any) -> str:
    return f"/guilds/{world.guild.id}/verification"


async def waiting_for_staff(world: Any, reason: str = "The date is not visible.") -> tuple[Any, Any]:
    """A verification the model was unsure of, waiting for staff; (its row, its channel)."""
    await world.configure(mode="assist")
    row, channel = await world.open()
    world.fake_ai.reply(answer(False, True, reason))
    await world.upload(channel, receipt(7))
    return await world.settled_status(row["id"]), channel


async def test_the_plugins_staff_and_hosts_see_the_queue_members_and_strangers_do_not(
        elsewhere, dashboard_url, world) -> None:
    row, _ = await waiting_for_staff(world)
    async with DashboardBrowser(dashboard_url) as browser:
        async with browser.http.get(dashboard_url + page_of(world), allow_redirects=False) as resp:
            assert (resp.status, resp.headers["Location"]) == (302, "/login")
    for person, status in ((world.host, 200), (world.staff, 200), (world.member, 403), (elsewhere.owner, 403)):
        async with DashboardBrowser(dashboard_url) as browser:
            await browser.log_in(person)
            page = await browser.get(page_of(world))
            assert page.status == status, person.name
            assert (f'id="verification-{row["id"]}"' in page.text) == (status == 200), person.name
            if status == 200:
                overview = await browser.get(f"/guilds/{world.guild.id}")
                assert f'href="{page_of(world)}">Verification</a>' in overview.text


async def test_the_queue_shows_the_models_answer_and_a_decision_in_discord_empties_it(
        dashboard_url, world) -> None:
    row, channel = await waiting_for_staff(world, "The date is <not> visible.")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(world.staff)
        page = await browser.get(page_of(world))
        assert "<h2>Waiting for staff: 1</h2>" in page.text
        line = page.text[page.text.index(f'<tr id="verification-{row["id"]}">'):]
        line = line[:line.index("</tr>")]
        assert f"<td>{world.member.name} ({world.member.id})</td>" in line and "<td>Waiting for staff</td>" in line
        assert "can verify: no · asks for review: yes<br>The date is &lt;not&gt; visible." in line
        assert f'href="https://discord.com/channels/{world.guild.id}/{channel.id}"' in line

        await world.emulator.click(world.review_message(channel), "Approve", by=world.staff)
        await world.settled_status(row["id"], leaving="manual_review")
        after = await browser.get(page_of(world))
        assert f'href="{page_of(world)}/stats">Statistics</a>' in after.text
        statistics = await browser.get(f"{page_of(world)}/stats")
    assert "<h2>Waiting for staff: 0</h2>" in after.text and "No verification is waiting for staff." in after.text
    seven_days = statistics.text[statistics.text.index('aria-label="Statistics, 7 days"'):]
    assert "<h3>7 days: 1</h3>" in seven_days and "<dt>Verified</dt><dd>1</dd>" in seven_days
    assert "<dt>Verified automatically</dt><dd>0 of 1 (0%)</dd>" in seven_days
    stats = await world.emulator.slash(world.staff, "verification stats", days=7)
    assert stats.embed["fields"][0]["value"] == "0 of 1 (0%)"  # the same figure as the slash command's


async def test_switched_off_the_page_is_gone(dashboard_url, world) -> None:
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(world.host)
        assert (await browser.get(page_of(world))).status == 200
        await world.emulator.slash(world.host, "plugins disable", plugin="verification")
        assert (await browser.get(page_of(world))).status == 404


async def test_approve_on_the_page_gives_the_role_in_discord(dashboard_url, world) -> None:
    row, channel = await waiting_for_staff(world)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(world.staff)
        done = await browser.post(f"{page_of(world)}/{row['id']}/approve")
        assert done.url.endswith(page_of(world))
        assert done.sentence == f"Approved verification #{row['id']}: member {world.member.id} has the verified role."
    decided = await world.settled_status(row["id"], leaving="manual_review")
    assert decided["status"] == "verified" and decided["decision"] == "approved"
    assert decided["decided_by"] == world.staff.id  # as the button records it
    assert world.member.has_role("Verified")
    review = channel.message(row["review_message_id"])
    assert review is None or (review.embeds[0]["title"].endswith("Approved") and not review.button_labels)


async def test_reject_on_the_page_tells_the_member_as_the_button_does(dashboard_url, world) -> None:
    row, channel = await waiting_for_staff(world)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(world.staff)
        done = await browser.post(f"{page_of(world)}/{row['id']}/reject",
                                  {"reason": "the receipt is for\nanother product"})
        assert done.sentence == f"Rejected verification #{row['id']}."
    await world.settled_status(row["id"], leaving="manual_review")  # the member is told before closing is set
    decided = await world.ticket(row["id"])
    assert decided["status"] == "closed_manual" and decided["decision"] == "rejected"
    assert decided["decided_by"] == world.staff.id
    assert decided["staff_reason"] == "the receipt is for another product"  # on one line, as from the form
    told = [m.content for m in channel.messages if m.content.startswith("❌")]
    assert told and "your verification was not accepted: the receipt is for another product." in told[0]
    assert any("another product" in m.content for m in world.emulator.dms(world.member))
    assert not world.member.has_role("Verified")


async def test_refusals_are_the_buttons_sentences_and_change_nothing(
        elsewhere, dashboard_url, dashboard_clock, world) -> None:
    row, channel = await waiting_for_staff(world)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(world.staff)
        for reason in ("", "no", "x" * 501):
            refused = await browser.post(f"{page_of(world)}/{row['id']}/reject", {"reason": reason})
            assert refused.sentence == BAD_REASON
        for junk in ("abc", "9" * 5000, "0", str(row["id"] + 1000)):
            refused = await browser.post(f"{page_of(world)}/{junk}/approve")
            assert refused.status == 200 and refused.sentence == NO_SUCH
        dashboard_clock.advance(61)  # the write rate limit's bucket is full again
        await world.emulator.click(world.review_message(channel), "Approve", by=world.staff)
        await world.settled_status(row["id"], leaving="manual_review")
        late = await browser.post(f"{page_of(world)}/{row['id']}/reject", {"reason": "too late now"})
        assert late.sentence == f"Verification #{row['id']} is already decided (verified)."
        forged = await browser.post(f"{page_of(world)}/{row['id']}/reject", {"reason": "forged"}, csrf="guessed")
        assert forged.status == 403
    assert (await world.ticket(row["id"]))["decision"] == "approved"


async def test_nobody_decides_their_own_verification_on_the_page_either(dashboard_url, world) -> None:
    world.member = world.guild.add_member("newstaff", roles=[world.staff_role])
    await world.emulator.settle()
    row, _ = await waiting_for_staff(world)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(world.member)
        refused = await browser.post(f"{page_of(world)}/{row['id']}/approve")
    assert refused.sentence == "You cannot decide your own verification; another staff member has to."
    assert (await world.ticket(row["id"]))["status"] == "manual_review"


async def test_without_the_bot_beside_it_the_page_shows_the_queue_and_sends_decisions_to_discord(
        bot_runner, emulator, tmp_path, world) -> None:
    """``alphapy dashboard`` alone has no bot to give a role with: the queue shows, deciding is refused."""
    from alphapy_verification.dashboard import NO_BOT

    row, _ = await waiting_for_staff(world)
    async with running_dashboard(bot_runner, emulator, tmp_path / "alone", with_bot=False) as alone_url, \
            DashboardBrowser(alone_url) as browser:
        await browser.log_in(world.staff)
        page = await browser.get(page_of(world))
        assert f"<td>member {world.member.id}</td>" in page.text
        refused = await browser.post(f"{page_of(world)}/{row['id']}/approve")
    assert refused.sentence == NO_BOT
    assert (await world.ticket(row["id"]))["status"] == "manual_review" and not world.member.has_role("Verified")

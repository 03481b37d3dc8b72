"""The verification page on the dashboard: the review queue with the model's answer, and the
statistics of ``/verification stats``, for the plugin's staff only; against the running bot,
the emulator's OAuth2, PostgreSQL and the fake AI."""

from __future__ import annotations

from typing import Any

import pytest
from verification_helpers import answer, receipt

from alphapy.testing import DashboardBrowser


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
        assert f"<td>member {world.member.id}</td>" in line and "<td>Waiting for staff</td>" in line
        assert "can verify: no · asks for review: yes<br>The date is &lt;not&gt; visible." in line
        assert f'href="https://discord.com/channels/{world.guild.id}/{channel.id}"' in line

        await world.emulator.click(world.review_message(channel), "Approve", by=world.staff)
        await world.settled_status(row["id"], leaving="manual_review")
        after = await browser.get(page_of(world))
    assert "<h2>Waiting for staff: 0</h2>" in after.text and "No verification is waiting for staff." in after.text
    seven_days = after.text[after.text.index('aria-label="Statistics, 7 days"'):]
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

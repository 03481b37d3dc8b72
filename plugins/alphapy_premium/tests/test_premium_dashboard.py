"""The premium pages on the dashboard: "Your premium" with its move, and a host's "Premium"
page, against the running bot, the emulator's OAuth2 and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from alphapy_premium import ledger, store
from alphapy_premium.dashboard import NOT_SHARED, SWITCHED_OFF
from alphapy_premium.moves import NO_SUBSCRIPTION

from alphapy import configure_logging
from alphapy.testing import DashboardBrowser

YOURS = "/me/premium"


@pytest.fixture
def elsewhere(emulator: Any, guild: Any, member: Any) -> Any:
    """A second server the member is also in (made before the bot starts)."""
    other = emulator.add_guild("Elsewhere", owner_name="else-owner")
    other.add_member(member.name, user=member.user)
    return other


async def grant(bot: Any, member: Any, guild: Any, tier: str = "yearly") -> Any:
    return await ledger.grant(bot.db, user_id=member.id, guild_id=guild.id, tier=tier)



def as_on_the_web(slash_text: str) -> str:
    """The slash command's sentence as a page writes it: no bold, no Discord timestamp."""
    return re.sub(r" \(<t:\d+:R>\)", "", slash_text).replace("**", "")


async def test_your_premium_shows_the_subscription_and_moves_it_after_confirmation(
        elsewhere, dashboard_url, bot, emulator, guild, member) -> None:
    sub = await grant(bot, member, guild)
    async with DashboardBrowser(dashboard_url) as browser:
        picker = await browser.log_in(member)
        assert f'href="{YOURS}">Your premium</a>' in picker.text
        yours = await browser.get(YOURS)
        assert "<dd>yearly</dd>" in yours.text and "<dd>Test Guild</dd>" in yours.text
        assert '<label for="to_guild">Move to</label>' in yours.text
        assert f'<option value="{elsewhere.id}">Elsewhere</option>' in yours.text
        assert f'<option value="{guild.id}">' not in yours.text  # where it already is
        assert ">Move premium</button>" in yours.text
        asked = await browser.post(f"{YOURS}/move", {"to_guild": str(elsewhere.id)})
        assert "Move your <strong>yearly</strong> premium from <strong>Test Guild</strong> to " \
               "<strong>Elsewhere</strong>?" in asked.text and ">Confirm move</button>" in asked.text
        assert (await store.get(bot.db, sub.id))["guild_id"] == guild.id  # nothing moved before the confirmation
        form = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', asked.text))
        stream = io.StringIO()
        configure_logging("info", "json", stream=stream)
        try:
            moved = await browser.post(f"{YOURS}/confirm", {"subscription": form["subscription"],
                                                            "to_guild": form["to_guild"]})
        finally:
            configure_logging("warning", "json")
    assert moved.url.endswith(YOURS)
    assert moved.sentence == ("Your yearly premium now applies to Elsewhere. Premium features in Test Guild "
                                  "are off from now on; nothing there was deleted.")
    logged = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    audit = next(e for e in logged if e["event"] == "premium.transferred")  # as for /premium_transfer
    assert (audit["subscription_id"], audit["user_id"], audit["from_guild_id"], audit["to_guild_id"]) == (
        sub.id, member.id, guild.id, elsewhere.id)
    row = await store.get(bot.db, sub.id)
    assert row["guild_id"] == elsewhere.id and row["last_transferred_at"] is not None
    there = await emulator.slash(elsewhere.member(member.name), "premium")
    assert there.content.startswith("✨ You have **Premium** (yearly) in this server")


async def test_refusals_use_the_slash_commands_sentences(elsewhere, dashboard_url, bot, emulator, guild,
                                                        member) -> None:
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(member)
        nothing = await browser.post(f"{YOURS}/move", {"to_guild": str(elsewhere.id)})
        assert nothing.url.endswith(YOURS) and nothing.sentence == NO_SUBSCRIPTION
        assert (await emulator.slash(elsewhere.member(member.name), "premium_transfer")).content == NO_SUBSCRIPTION

        sub = await grant(bot, member, guild)
        await ledger.transfer(bot.db, sub_id=sub.id, user_id=member.id, guild_id=elsewhere.id,
                              cooldown=timedelta(days=7), grace=timedelta(0))
        await ledger.transfer(bot.db, sub_id=sub.id, user_id=member.id, guild_id=guild.id,
                              cooldown=timedelta(0), grace=timedelta(0))
        waiting = await browser.post(f"{YOURS}/move", {"to_guild": str(elsewhere.id)})
        slash = await emulator.slash(elsewhere.member(member.name), "premium_transfer")
        assert waiting.sentence.startswith("You moved your subscription ")
        assert waiting.sentence == as_on_the_web(slash.content)

        stranger_server = emulator.add_guild("Not Yours", owner_name="nobody")
        for target in (str(stranger_server.id), "not-a-number", ""):
            refused = await browser.post(f"{YOURS}/move", {"to_guild": target})
            assert refused.sentence == NOT_SHARED
        forged = await browser.post(f"{YOURS}/confirm", {"subscription": str(sub.id),
                                                         "to_guild": str(stranger_server.id)})
        assert forged.sentence == NOT_SHARED
    assert (await store.get(bot.db, sub.id))["guild_id"] == guild.id


async def test_an_old_confirmation_is_checked_again(elsewhere, dashboard_url, bot, guild, member) -> None:
    sub = await grant(bot, member, guild)
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(member)
        await browser.post(f"{YOURS}/move", {"to_guild": str(elsewhere.id)})
        await ledger.revoke(bot.db, sub_id=sub.id)  # ended while the confirmation page was open
        late = await browser.post(f"{YOURS}/confirm", {"subscription": str(sub.id), "to_guild": str(elsewhere.id)})
        assert late.sentence == NO_SUBSCRIPTION
        forged = await browser.post(f"{YOURS}/confirm", {"subscription": "1", "to_guild": str(elsewhere.id)},
                                    csrf="guessed")
        assert forged.status == 403
    assert (await store.get(bot.db, sub.id))["guild_id"] == guild.id


async def test_the_hosts_premium_page(dashboard_url, bot, guild, host, member) -> None:
    await grant(bot, member, guild, tier="monthly")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        overview = await browser.get(f"/guilds/{guild.id}")
        assert f'href="/guilds/{guild.id}/premium">Premium</a>' in overview.text
        page = await browser.get(f"/guilds/{guild.id}/premium")
    assert page.status == 200
    assert "<dt>Subscriptions here</dt><dd>1 (1 monthly)</dd>" in page.text
    assert "<dt>Your premium here</dt><dd>No</dd>" in page.text
    assert str(member.id) not in page.text  # counted, not named
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(member)
        assert (await browser.get(f"/guilds/{guild.id}/premium")).status == 403


async def test_moving_away_from_a_server_where_premium_is_switched_off_still_works(
        elsewhere, dashboard_url, bot, emulator, guild, host, member) -> None:
    """"Your premium" is the member's, not a server's: switching the plugin off in one server
    hides that server's Premium page, not the member's own."""
    await grant(bot, member, guild)
    await emulator.slash(host, "plugins disable", plugin="premium")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        assert (await browser.get(f"/guilds/{guild.id}/premium")).status == 404
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(member)
        assert (await browser.get(YOURS)).status == 200



async def test_the_pages_work_without_the_bots_premium_service(elsewhere, dashboard_url, bot, guild, member) -> None:
    """``alphapy dashboard`` alone starts no bot, so no premium service: the pages make their own."""
    from alphapy_premium.cog import PremiumCog

    sub = await grant(bot, member, guild)
    cog = PremiumCog.of(bot)
    service, cog.running_service = cog.running_service, None
    assert service is not None
    await service.close()
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(member)
        assert "<dd>yearly</dd>" in (await browser.get(YOURS)).text
        moved = await browser.post(f"{YOURS}/confirm", {"subscription": str(sub.id), "to_guild": str(elsewhere.id)})
    assert moved.sentence.startswith("Your yearly premium now applies to Elsewhere.")
    assert (await store.get(bot.db, sub.id))["guild_id"] == elsewhere.id


async def test_no_move_to_a_server_where_premium_is_switched_off(elsewhere, dashboard_url, bot, emulator, guild,
                                                                 member) -> None:
    sub = await grant(bot, member, guild)
    await emulator.slash(elsewhere.owner, "plugins disable", plugin="premium")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(member)
        yours = await browser.get(YOURS)
        assert f'<option value="{elsewhere.id}">' not in yours.text
        refused = await browser.post(f"{YOURS}/confirm", {"subscription": str(sub.id), "to_guild": str(elsewhere.id)})
    assert refused.sentence == SWITCHED_OFF.format(server="Elsewhere")
    assert (await store.get(bot.db, sub.id))["guild_id"] == guild.id


async def test_the_hosts_premium_page_is_for_hosts_of_that_server_only(dashboard_url, emulator, bot, guild,
                                                                      member) -> None:
    """Issue 17's premium line is for hosts: staff (``core.staff_role``) and another server's host
    are refused, and nobody signed out gets in."""
    helpers = guild.add_role("Helpers")
    staff = guild.add_member("stella", roles=[helpers])
    other = emulator.add_guild("Other Place", owner_name="otto")
    await emulator.settle()
    await bot.settings.set(guild.id, "core", "staff_role", helpers.id)
    page = f"/guilds/{guild.id}/premium"
    async with DashboardBrowser(dashboard_url) as anonymous:
        assert "Who are you?" in (await anonymous.get(page)).text  # sent to the login
    for person, status in ((guild.owner, 200), (staff, 403), (member, 403), (other.owner, 403)):
        async with DashboardBrowser(dashboard_url) as browser:
            await browser.log_in(person)
            assert (await browser.get(page)).status == status, person.name

"""The worked example's tests: a real database, the emulator, the running bot."""

from alphapy import export_user


async def test_greet(bot, emulator, host, member):
    reply = await emulator.slash(host, "greet", member=member)
    assert reply.content == f"Welcome, <@{member.id}>!"
    assert not reply.ephemeral


async def test_a_new_member_is_greeted_in_the_chosen_channel(bot, emulator, guild, host, channel):
    await emulator.slash(host, "settings set", setting="greeter.channel", value=f"<#{channel.id}>")
    await emulator.slash(host, "settings set", setting="greeter.text", value="Hi {member}, read #rules")
    newcomer = await emulator.member_join(guild, "newcomer")
    assert channel.messages[-1].content == f"Hi <@{newcomer.id}>, read #rules"
    stats = await emulator.slash(host, "greeter_stats")
    assert stats.ephemeral and stats.content == "1 member(s) greeted so far."
    assert (await export_user(bot.db, bot.plugins, newcomer.id))["greeter"]["welcomed"]


async def test_switched_off_it_does_nothing(bot, emulator, guild, host, channel):
    await bot.settings.set(guild.id, "greeter", "channel", channel.id)
    await emulator.slash(host, "plugins disable", plugin="greeter")
    before = len(channel.messages)
    await emulator.member_join(guild, "quiet")
    assert len(channel.messages) == before
    refused = await emulator.slash(host, "greet", member=guild.member("quiet"))
    assert refused.content == "The greeter plugin is disabled in this server."


async def test_members_cannot_see_the_stats(bot, emulator, member):
    reply = await emulator.slash(member, "greeter_stats", check_permissions=False)
    assert reply.content == "Only server managers (Manage Server) can use this command."


async def test_bots_need_no_greeting(bot, emulator, host, guild):
    robot = guild.add_member("robot", bot=True)
    await emulator.settle()
    reply = await emulator.slash(host, "greet", member=robot)
    assert reply.ephemeral and reply.content == "Bots do not need greetings."


async def test_the_dashboard_page_counts_the_greetings(bot, emulator, guild, host, member, channel, dashboard_url):
    from alphapy.testing import DashboardBrowser

    await bot.settings.set(guild.id, "greeter", "channel", channel.id)
    await emulator.member_join(guild, "newcomer")
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(host)
        overview = await browser.get(f"/guilds/{guild.id}")
        assert f'href="/guilds/{guild.id}/greeter">Greeter</a>' in overview.text
        page = await browser.get(f"/guilds/{guild.id}/greeter")
    assert page.status == 200 and "<dt>Members greeted</dt><dd>1</dd>" in page.text
    async with DashboardBrowser(dashboard_url) as browser:
        await browser.log_in(member)  # not staff: the core refuses before the page runs
        assert (await browser.get(f"/guilds/{guild.id}/greeter")).status == 403

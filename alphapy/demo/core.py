"""The core's chapter of the tour: a host configures the server, a member is refused."""

from __future__ import annotations

from alphapy.demo.tour import TourContext


async def core_chapter(t: TourContext) -> None:
    t.say("The host looks at the plugins and sets the server's timezone.")
    listing = await t.slash(t.host, "plugins list")
    t.expect(listing.embed and "Plugins" in (listing.embed.get("title") or ""), "the host sees the plugin list")
    changed = await t.slash(t.host, "settings set", setting="core.timezone", value="Europe/Amsterdam")
    t.expect("Europe/Amsterdam" in changed.content, "the timezone is stored")
    refused = await t.slash(t.host, "settings set", setting="core.timezone", value="Mars/Olympus")
    t.expect(refused.content == "core.timezone must be an IANA timezone such as Europe/Amsterdam",
             "a wrong timezone is refused with a clear sentence")
    history = await t.slash(t.host, "settings history", setting="core.timezone")
    t.expect(history.embed and "#1" in history.embed.get("description", ""), "the change is in the history")

    t.say("A member without Manage Server tries the same (Discord would hide it; the core refuses anyway).")
    member_try = await t._act(t.member, "/settings set setting:core.timezone value:UTC",
                              t.emulator.slash(t.member, "settings set", setting="core.timezone", value="UTC",
                                               check_permissions=False))
    t.expect(member_try.content.startswith("Only server managers"), "the member is refused")
    ping = await t.slash(t.member, "ping")
    t.expect(ping.content.startswith("Pong"), "the bot answers a member's /ping")
    stats = await t.slash(t.host, "command_stats", period="24h")
    t.expect(stats.embed is not None, "the host sees command statistics")

"""``/reminder add|list|edit|delete|pause|resume|test`` end to end: the real bot, the emulator,
PostgreSQL. Hostile input, permissions, premium images and guild isolation included."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from reminders_helpers import PNG, row


async def add(emulator: Any, who: Any, channel: Any, **options: Any) -> Any:
    options = {"name": "Raid night", "days": "mon,wed", "time": "19:00", "message": "Bring snacks", **options}
    return await emulator.slash(who, "reminder add", channel=channel, **options)


async def test_add_then_list_shows_the_next_fire_time(bot, emulator, host, guild, channel) -> None:
    await bot.settings.set(guild.id, "core", "timezone", "Europe/Amsterdam")
    reply = await add(emulator, host, channel, call_time="19:30")
    assert reply.ephemeral and reply.content.startswith("Saved reminder `#1` **Raid night**: Mon, Wed at 19:00 "
                                                        "(call 19:30) (Europe/Amsterdam) in <#")
    stored = await row(bot.db, 1)
    assert stored["days"] == ["0", "2"] and stored["time"] == time(19) and stored["call_time"] == time(19, 30)
    assert stored["created_by"] == host.id and stored["event_time"] is None and stored["last_sent_at"] is None
    fires = stored["next_fire_at"]
    assert fires > datetime.now(UTC) and fires.weekday() in (0, 2)
    assert fires.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Amsterdam")).time() == time(19)
    assert f"<t:{int(fires.timestamp())}:F>" in reply.content

    listing = await emulator.slash(host, "reminder list")
    assert listing.ephemeral and listing.embed["title"] == "Reminders"
    assert f"`#1` **Raid night** — Mon, Wed at 19:00 (call 19:30) in <#{channel.id}> · next <t:" \
           f"{int(fires.timestamp())}:R>" in listing.embed["description"]
    assert listing.embed["footer"]["text"] == "Page 1 of 1 · 1 reminder · times in Europe/Amsterdam"


async def test_list_pages_with_buttons(bot, emulator, host, channel) -> None:
    for n in range(23):
        await add(emulator, host, channel, name=f"R{n:02}")
    first = await emulator.slash(host, "reminder list")
    assert first.embed["description"].count("\n") == 9 and "R00" in first.embed["description"]
    assert first.response.button_labels == ["◀ Previous", "Next ▶"]
    second = await emulator.click(first, "Next ▶", by=host)
    assert "R10" in first.response.embed["description"] and "R00" not in first.response.embed["description"]
    assert second.response_type == 7
    third = await emulator.click(first, "Next ▶", by=host)
    assert "R22" in first.response.embed["description"]
    assert first.response.embed["footer"]["text"].startswith("Page 3 of 3")
    assert third.response_type == 7
    assert (await emulator.slash(host, "reminder list", page=99)).embed["footer"]["text"].startswith("Page 3 of 3")


async def test_edit_changes_what_was_given_and_reschedules(bot, emulator, host, guild, channel) -> None:
    await add(emulator, host, channel)
    before = await row(bot.db, 1)
    other = guild.channel("staff-room")
    reply = await emulator.slash(host, "reminder edit", reminder=1, days="fri", time="08:15", channel=other,
                                 message="New text\\nsecond line")
    assert reply.ephemeral and reply.content.startswith("Updated reminder `#1` **Raid night**. Next: <t:")
    after = await row(bot.db, 1)
    assert after["days"] == ["4"] and after["time"] == time(8, 15) and after["channel_id"] == other.id
    assert after["message"] == "New text\nsecond line" and after["name"] == "Raid night"
    assert after["call_time"] == before["call_time"]  # not given: unchanged
    assert after["next_fire_at"].weekday() == 4 and after["next_fire_at"] != before["next_fire_at"]
    nothing = await emulator.slash(host, "reminder edit", reminder=1)
    assert nothing.content == "Nothing to change: give at least one option besides the reminder."


async def test_pause_resume_delete(bot, emulator, host, channel) -> None:
    await add(emulator, host, channel)
    paused = await emulator.slash(host, "reminder pause", reminder=1)
    assert paused.content.startswith("Paused reminder `#1`")
    assert (await row(bot.db, 1))["next_fire_at"] is None and (await row(bot.db, 1))["paused"]
    assert (await emulator.slash(host, "reminder pause", reminder=1)).content == "Reminder `#1` is already paused."
    assert "⏸️ paused" in (await emulator.slash(host, "reminder list")).embed["description"]
    resumed = await emulator.slash(host, "reminder resume", reminder=1)
    assert resumed.content.startswith("Resumed reminder `#1`") and (await row(bot.db, 1))["next_fire_at"] is not None
    assert (await emulator.slash(host, "reminder resume", reminder=1)).content == "Reminder `#1` is not paused."
    deleted = await emulator.slash(host, "reminder delete", reminder=1)
    assert deleted.content == "Deleted reminder `#1` **Raid night**."
    assert await bot.db.fetchval("SELECT count(*) FROM reminders") == 0
    assert (await emulator.slash(host, "reminder delete", reminder=1)).content == "There is no reminder #1 in this server."


async def test_test_previews_only_to_the_caller(bot, emulator, host, guild, channel) -> None:
    role = guild.add_role("Raiders", mentionable=True)
    await emulator.settle()
    await add(emulator, host, channel, mention=role, call_time="19:30")
    before = len(channel.messages)
    preview = await emulator.slash(host, "reminder test", reminder=1)
    assert preview.ephemeral and preview.content == f"Preview (only you see this): it will mention <@&{role.id}>"
    assert preview.embed["title"] == "⏰ Raid night" and preview.embed["description"] == "Bring snacks"
    assert preview.embed["fields"][0]["name"] == "When" and preview.embed["fields"][0]["value"].startswith("<t:")
    assert len(channel.messages) == before  # nothing posted for everyone
    callback = emulator.requests.matching("POST", "/interactions/{interaction_id}/{interaction_token}/callback")[-1]
    allowed = callback.json["data"]["allowed_mentions"]
    assert allowed["parse"] == [] and not allowed.get("roles")  # a preview pings nobody


async def test_autocomplete_offers_this_servers_reminders_only(bot, emulator, host, channel) -> None:
    await add(emulator, host, channel, name="Raid night")
    await add(emulator, host, channel, name="Quiz")
    other = emulator.add_guild("Elsewhere", owner_name="else-owner", text_channels=("theirs",))
    else_host = other.add_member("else-host", permissions=["manage_guild"])
    await emulator.settle()
    await add(emulator, else_host, other.channel("theirs"), name="Raid elsewhere")
    choices = await emulator.autocomplete(host, "reminder delete", focused="reminder", value="raid")
    assert [(c.name, c.value) for c in choices] == [("#1 Raid night", 1)]
    assert [c.value for c in await emulator.autocomplete(else_host, "reminder edit", focused="reminder",
                                                         value="")] == [3]


# --- hostile input -----------------------------------------------------------------------

HOSTILE_OPTIONS = [
    ({"name": "x" * 101}, "A reminder's name can be at most 100 characters (this one has 101)."),
    ({"name": "   "}, "Give the reminder a name."),
    ({"name": "bell\x07"}, "The name contains control characters; please type it again."),
    ({"message": "m" * 2001}, "A reminder's message can be at most 2,000 characters (this one has 2,001)."),
    ({"message": "x" * 6000}, "A reminder's message can be at most 2,000 characters (this one has 6,000)."),
    ({"days": ""}, "Name at least one day, like `mon,wed,fri`, `daily` or `weekdays`."),
    ({"days": ", ,"}, "Name at least one day, like `mon,wed,fri`, `daily` or `weekdays`."),
    ({"days": "funday"}, ("I do not know the day 'funday'. Write days like `mon,wed,fri`, `ma,wo,vr`, `daily`, "
                          "`weekdays` or `weekend`.")),
    ({"time": "25:00"}, "25:00 is not a time of day: the time runs from 00:00 to 23:59."),
    ({"time": "19:60"}, "19:60 is not a time of day: the time runs from 00:00 to 23:59."),
    ({"time": "7pm"}, "Write the time as HH:MM (24-hour), like `19:30`."),
    ({"call_time": "'; DROP TABLE reminders; --"}, "Write the call time as HH:MM, like `19:30`."),
    ({"image_url": "https://example.com/a.png"}, ("Images on reminders are a premium feature. Your reminder was not "
                                                  "saved; add it again without an image, or get premium first.")),
]


async def test_hostile_options_are_refused_politely_and_store_nothing(bot, emulator, host, channel) -> None:
    for options, refusal in HOSTILE_OPTIONS:  # one bot for all cases: each refusal stores nothing
        reply = await add(emulator, host, channel, **options)
        assert reply.ephemeral and reply.content == refusal, options
    assert await bot.db.fetchval("SELECT count(*) FROM reminders") == 0


async def test_markdown_and_mentions_in_user_text_ping_nobody(bot, emulator, host, channel) -> None:
    name = "**@everyone** <@&1> `x`"
    reply = await add(emulator, host, channel, name=name, message="@everyone @here <@&123> ||hi||")
    assert reply.ephemeral and "@\u200beveryone" in reply.content and "\\*\\*" in reply.content
    assert reply.response.mention_everyone is False
    stored = await row(bot.db, 1)
    assert stored["name"] == name and stored["message"] == "@everyone @here <@&123> ||hi||"  # kept as written
    listing = await emulator.slash(host, "reminder list")
    assert "@\u200beveryone" in listing.embed["description"]


async def test_edit_refuses_bad_values_and_keeps_the_reminder(bot, emulator, host, channel) -> None:
    await add(emulator, host, channel)
    before = dict(await row(bot.db, 1))
    for options, refusal in [
        ({"name": "y" * 101}, "A reminder's name can be at most 100 characters (this one has 101)."),
        ({"days": "someday"}, "I do not know the day 'someday'."),
        ({"time": "24:00"}, "24:00 is not a time of day"),
        ({"mention": None, "no_mention": True, "remove_image": True, "image_url": "https://x.test/a.png"},
         "Choose a new image or remove_image, not both."),
    ]:
        options = {k: v for k, v in options.items() if v is not None}
        reply = await emulator.slash(host, "reminder edit", reminder=1, **options)
        assert reply.ephemeral and reply.content.startswith(refusal), reply.content
    assert dict(await row(bot.db, 1)) == before
    unknown = await emulator.slash(host, "reminder edit", reminder=2_147_483_647, name="x")
    assert unknown.content == "There is no reminder #2147483647 in this server."


async def test_another_servers_channel_and_role_are_refused(bot, emulator, host, guild, channel) -> None:
    other = emulator.add_guild("Elsewhere", owner_name="else-owner", text_channels=("theirs",))
    theirs_role = other.add_role("Theirs", mentionable=True)
    await emulator.settle()
    # discord.py itself refuses to resolve another guild's channel or role; the core words it
    reply = await add(emulator, host, other.channel("theirs"), check_permissions=False)
    assert reply.ephemeral and reply.content == "That value is not valid for this option: 'theirs'."
    role_reply = await add(emulator, host, channel, mention=theirs_role)
    assert role_reply.ephemeral and role_reply.content == "Pick a role of this server."
    assert await bot.db.fetchval("SELECT count(*) FROM reminders") == 0


# --- permissions ---------------------------------------------------------------------------

async def test_members_are_refused_staff_are_not(bot, emulator, host, member, guild, channel) -> None:
    for command, options in [("reminder add", {"name": "x", "channel": channel, "days": "mon", "time": "10:00",
                                               "message": "m"}),
                             ("reminder list", {}), ("reminder delete", {"reminder": 1}),
                             ("reminder test", {"reminder": 1}), ("reminder pause", {"reminder": 1})]:
        refused = await emulator.slash(member, command, **options)
        assert refused.ephemeral and refused.content == "Only staff can use this command.", command
    helpers = guild.add_role("Helpers")
    await emulator.give_role(member, helpers)
    await bot.settings.set(guild.id, "reminders", "staff_role", helpers.id)
    assert (await add(emulator, member, channel)).content.startswith("Saved reminder `#1`")


async def test_list_buttons_refuse_non_staff(bot, emulator, host, member, channel) -> None:
    for n in range(11):
        await add(emulator, host, channel, name=f"R{n}")
    listing = await emulator.slash(host, "reminder list")
    # an ephemeral list is only clickable by its owner; a hand-made custom id must not help either
    listing.response.interaction_user_id = member.id
    listing.response.flags &= ~64
    refused = await emulator.click(listing, "Next ▶", by=member)
    assert refused.ephemeral and refused.content == "Only staff can manage reminders."


async def test_channel_rules_are_checked_for_creator_and_bot(bot, emulator, host, guild) -> None:
    hidden = guild.add_text_channel("bots-only", overwrites={guild.everyone: {"deny": "view_channel"},
                                                             guild.me: {"allow": "view_channel"}})
    mute = guild.add_text_channel("no-bot", overwrites={guild.me: {"deny": "send_messages"}})
    no_pings = guild.add_text_channel("no-pings", overwrites={guild.everyone: {"deny": "mention_everyone"}})
    await emulator.settle()
    reply = await add(emulator, host, hidden, check_permissions=False)
    assert reply.content == f"You cannot post in <#{hidden.id}> yourself, so you cannot schedule reminders there."
    reply = await add(emulator, host, mute)
    assert reply.content == f"I cannot post reminders in <#{mute.id}>: I am missing Send Messages, Embed Links."
    reply = await add(emulator, host, no_pings, mention=guild.everyone)
    assert reply.content == "@everyone can never be chosen as a role for me to ping."
    assert await bot.db.fetchval("SELECT count(*) FROM reminders") == 0


async def test_the_server_limit(bot, emulator, host, guild, channel, premium) -> None:
    await bot.settings.set(guild.id, "reminders", "max_per_guild", 2)
    await bot.settings.set(guild.id, "reminders", "premium_max_per_guild", 3)
    for n in range(2):
        assert (await add(emulator, host, channel, name=f"R{n}")).content.startswith("Saved")
    full = await add(emulator, host, channel, name="R2")
    assert full.content == ("This server has reached its limit of 2 reminders. Delete one first "
                            "(`/reminder list`, `/reminder delete`).")
    premium.users.add(host.id)
    assert (await add(emulator, host, channel, name="R2")).content.startswith("Saved")
    assert (await add(emulator, host, channel, name="R3")).content.startswith("This server has reached its limit of 3")


# --- premium images --------------------------------------------------------------------------

async def test_images_need_premium_and_are_kept_as_bytes(bot, emulator, host, channel, premium) -> None:
    refused = await add(emulator, host, channel, image=("poster.png", PNG, "image/png"))
    assert refused.content.startswith("Images on reminders are a premium feature.")
    premium.users.add(host.id)
    saved = await add(emulator, host, channel, image=("My Poster!.png", PNG, "image/png"))
    assert saved.content.startswith("Saved reminder `#1`")
    kept = await bot.db.fetchrow("SELECT filename, content_type, data FROM reminder_images WHERE reminder_id = 1")
    assert kept["filename"] == "My_Poster.png" and kept["content_type"] == "image/png" and bytes(kept["data"]) == PNG
    preview = await emulator.slash(host, "reminder test", reminder=1)
    assert preview.embed["image"]["url"] == "attachment://My_Poster.png"
    assert preview.response.attachments[0].data == PNG
    linked = await emulator.slash(host, "reminder edit", reminder=1, image_url="https://cdn.example.org/banner.webp")
    assert linked.content.startswith("Updated")
    assert (await row(bot.db, 1))["image_url"] == "https://cdn.example.org/banner.webp"
    assert await bot.db.fetchval("SELECT count(*) FROM reminder_images") == 0  # the link replaced the file
    premium.users.discard(host.id)
    plain = await emulator.slash(host, "reminder test", reminder=1)
    assert "image" not in plain.embed  # kept, but shown only while the creator has premium


BAD_IMAGES = [
    (("notes.txt", b"hello", "text/plain"), None, "The image must be a PNG, JPEG, GIF or WebP file of at most 8 MB."),
    (("fake.png", b"RIFF\x00\x00\x00\x00WAVE", "image/png"), None,
     "The image must be a PNG, JPEG, GIF or WebP file of at most 8 MB."),
    (None, "http://example.com/a.png", "The image URL must be an https:// link of at most 500 characters."),
    (None, "javascript:alert(1)", "The image URL must be an https:// link of at most 500 characters."),
    (None, "https://user:pw@example.com/a.png", "The image URL must be an https:// link of at most 500 characters."),
    (None, "https://" + "a" * 600 + ".com", "The image URL must be an https:// link of at most 500 characters."),
    (None, "https://exa mple.com/a.png", "The image URL must be an https:// link of at most 500 characters."),
    (("a.png", PNG, "image/png"), "https://example.com/a.png", "Give either an image file or an image URL, not both."),
]


async def test_bad_images_are_refused(bot, emulator, host, channel, premium) -> None:
    premium.users.add(host.id)
    for image, image_url, refusal in BAD_IMAGES:
        options = {k: v for k, v in {"image": image, "image_url": image_url}.items() if v is not None}
        reply = await add(emulator, host, channel, **options)
        assert reply.ephemeral and reply.content == refusal, options
    assert await bot.db.fetchval("SELECT count(*) FROM reminders") == 0
    # the bytes decide, not the name: a GIF called .png is kept as a GIF
    gif = await add(emulator, host, channel, image=("fake.png", b"GIF89a" + b"\x00" * 10, "image/png"))
    assert gif.content.startswith("Saved")
    assert await bot.db.fetchval("SELECT filename FROM reminder_images") == "fake.gif"


# --- guild isolation -------------------------------------------------------------------------

async def test_guild_b_cannot_list_edit_or_delete_guild_a_reminders(bot, emulator, host, channel) -> None:
    await add(emulator, host, channel, name="A's raid")
    before = dict(await row(bot.db, 1))
    other = emulator.add_guild("Guild B", owner_name="b-owner", text_channels=("b-general",))
    b_host = other.add_member("b-host", permissions=["manage_guild"])
    await emulator.settle()
    listing = await emulator.slash(b_host, "reminder list")
    assert listing.embed["description"] == "No reminders yet. Add one with `/reminder add`."
    for command, options in [("reminder edit", {"name": "stolen"}), ("reminder delete", {}),
                             ("reminder pause", {}), ("reminder resume", {}), ("reminder test", {})]:
        reply = await emulator.slash(b_host, command, reminder=1, **options)
        assert reply.ephemeral and reply.content == "There is no reminder #1 in this server.", command
    assert dict(await row(bot.db, 1)) == before

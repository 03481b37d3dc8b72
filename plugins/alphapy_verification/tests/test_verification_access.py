"""Who may do what: staff-only buttons and commands, limits, bad input, guild isolation."""

from __future__ import annotations

from typing import Any

from alphapy_verification.views import review_view
from verification_helpers import answer, receipt


async def to_review(world: Any, who: Any = None, seed: int = 80) -> tuple[Any, Any]:
    who = who or world.member
    row, channel = await world.open(who)
    world.fake_ai.reply(answer(False, True, "Unclear."))
    await world.upload(channel, receipt(seed), who=who)
    return await world.settled_status(row["id"]), channel


async def test_staff_buttons_are_refused_to_the_member(world: Any) -> None:
    row, channel = await to_review(world)
    review = world.review_message(channel)
    approve = await world.emulator.click(review, "Approve", by=world.member)
    assert approve.ephemeral and approve.content == "Only staff can approve verifications."
    reject = await world.emulator.click(review, "Reject", by=world.member)
    assert reject.ephemeral and reject.content == "Only staff can reject verifications." and reject.modal is None
    after = await world.ticket(row["id"])
    assert after["status"] == "manual_review" and not world.member.has_role("Verified")

    # A staff member cannot decide their own verification either.
    await world.emulator.give_role(world.member, world.staff_role)
    own = await world.emulator.click(review, "Approve", by=world.member)
    assert own.content == "You cannot decide your own verification; another staff member has to."
    assert (await world.ticket(row["id"]))["status"] == "manual_review"

    # Server managers count as staff (in a server where they can see the channel).
    await world.emulator.click(review, "Approve", by=world.guild.owner)
    assert (await world.settled_status(row["id"], leaving="manual_review"))["decided_by"] == world.guild.owner.id


async def test_a_decision_is_made_once(world: Any) -> None:
    row, channel = await to_review(world)
    review = world.review_message(channel)
    form = await world.emulator.click(review, "Reject", by=world.staff)  # the form is open ...
    await world.emulator.click(review, "Approve", by=world.staff)  # ... when a colleague approves
    await world.settled_status(row["id"], leaving="manual_review")
    late = await world.emulator.submit_modal(form, {"reason": "too late"})
    assert late.ephemeral and late.content == f"Verification #{row['id']} is already decided (verified)."
    done = await world.ticket(row["id"])
    assert done["status"] == "verified" and done["staff_reason"] is None


async def test_one_open_verification_per_member_and_attempt_limit(world: Any) -> None:
    await world.configure(max_attempts=2, cooldown_minutes=0)
    row, channel = await world.open()
    again = await world.emulator.slash(world.member, "verify")
    assert again.ephemeral and again.content == f"You already have a verification open: <#{row['channel_id']}>."
    assert len([c for c in world.guild.channels.values() if c.name.startswith("verify-")]) == 1

    await world.emulator.click(channel.messages[0], "Cancel verification", by=world.member)
    _second, channel2 = await world.open()
    await world.emulator.click(channel2.messages[0], "Cancel verification", by=world.member)
    await world.emulator.settle()
    refused = await world.emulator.slash(world.member, "verify")
    assert refused.content == ("You have used all 2 verification attempts in this server. "
                               "Please ask a staff member, who can open one for you.")

    # Staff can open one anyway (no limit, no cooldown), and it does not count as an attempt.
    opened = await world.emulator.slash(world.staff, "verification open", member=world.member)
    assert opened.content.startswith(f"Opened a verification for <@{world.member.id}>: <#")
    third = await world.ticket_of(world.member)
    assert third["status"] == "pending" and third["opened_by"] == world.staff.id


async def test_cooldown_after_rejection_only(world: Any) -> None:
    await world.configure(cooldown_minutes=30)
    row, channel = await to_review(world)
    form = await world.emulator.click(world.review_message(channel), "Reject", by=world.staff)
    await world.emulator.submit_modal(form, {"reason": "Not a receipt"})
    await world.settled_status(row["id"], leaving="manual_review")  # the member is told before closing is set
    assert "You can try again in 30 min." in channel.messages[-1].content
    refused = await world.emulator.slash(world.member, "verify")
    assert refused.content.startswith("Your last verification was rejected. You can try again <t:")
    await world.configure(cooldown_minutes=0)
    assert (await world.emulator.slash(world.member, "verify")).content.startswith("Your verification channel")


async def test_staff_commands_are_staff_only(world: Any) -> None:
    for command, options in [("verification pending", {}), ("verification stats", {}),
                             ("verification open", {"member": world.member})]:
        refused = await world.emulator.slash(world.member, command, **options)
        assert refused.ephemeral and refused.content == "Only staff can use this command.", command
    panel = await world.emulator.slash(world.member, "verification panel", check_permissions=False)
    assert panel.content == "Only server managers (Manage Server) can use this command."
    assert await world.ticket_of(world.member) is None


async def test_open_refuses_bots_and_verified_members(world: Any) -> None:
    other_bot = world.guild.add_member("helperbot", bot=True)
    world.guild.add_member("vera", roles=[world.verified_role])
    await world.emulator.settle()
    bot_reply = await world.emulator.slash(world.staff, "verification open", member=other_bot)
    assert bot_reply.content == "Bots do not need verifying."
    vera = await world.emulator.slash(world.staff, "verification open", member=world.guild.member("vera"))
    assert vera.content == "vera is already verified here."
    own = await world.emulator.slash(world.guild.member("vera"), "verify")
    assert own.content == "You are already verified here."


async def test_hostile_names_are_shown_harmlessly(world: Any) -> None:
    evil = world.guild.add_member("@everyone **boss** <@&1>")
    await world.emulator.settle()
    _row, channel = await world.open(evil)
    assert channel.name.startswith("verify-everyone-boss") and len(channel.name) <= 100
    opened = await world.emulator.slash(world.staff, "verification open", member=world.member)
    assert "@everyone" not in opened.content
    intro = world.emulator.requests.matching("POST", "/channels/{channel_id}/messages")[0]
    assert intro.json["allowed_mentions"]["parse"] == []
    assert [str(u) for u in intro.json["allowed_mentions"]["users"]] == [str(evil.id)]


async def test_pending_and_stats(world: Any) -> None:
    waiting, _ = await to_review(world)
    verified = world.guild.add_member("quick")
    await world.emulator.settle()
    row, channel = await world.open(verified)
    world.fake_ai.reply(answer(True, False))
    await world.upload(channel, receipt(81), who=verified)
    await world.settled_status(row["id"])

    pending = await world.emulator.slash(world.staff, "verification pending")
    assert pending.ephemeral and pending.embed["title"] == "Waiting for staff: 1"
    line = pending.embed["description"]
    assert f"`#{waiting['id']}` <@{world.member.id}> in <#{waiting['channel_id']}>" in line
    assert "The AI asked for a human review." in line

    stats = await world.emulator.slash(world.staff, "verification stats")
    text = stats.embed["description"]
    assert "Waiting for staff: **1**" in text and "Verified: **1**" in text
    assert "Waiting for a screenshot: **0**" in text
    fields = {f["name"]: f["value"] for f in stats.embed["fields"]}
    assert fields["Verified automatically"] == "1 of 1 (100%)"
    assert fields["Median time to a decision"].endswith(" s")
    recent = await world.emulator.slash(world.staff, "verification stats", days=7)
    assert recent.embed["title"] == "Verifications — last 7 days: 2"
    (health,) = [r for r in await world.bot.plugins.call_async("health", bot=world.bot) if r.plugin == "verification"]
    assert health.value == {"status": "ok", "waiting_for_staff": 1}


async def test_stats_median_and_share(world: Any) -> None:
    """Figures computed in SQL over rows with known times."""
    guild_id = world.guild.id
    await world.bot.db.execute(
        """INSERT INTO verification_tickets (guild_id, user_id, channel_id, status, decision, created_at, resolved_at)
           SELECT guild, n, 10 + n, status, decision, opened, opened + took
             FROM (VALUES ($1::bigint, 1, 'verified', 'auto', interval '10 seconds'),
                          ($1, 2, 'verified', 'approved', interval '30 minutes'),
                          ($1, 3, 'closed_manual', 'rejected', interval '2 hours'),
                          ($1, 4, 'closed_manual', 'cancelled', interval '1 hour'),
                          ($1, 5, 'pending', NULL, NULL),
                          ($2, 6, 'verified', 'auto', interval '1 second'))
                  AS t(guild, n, status, decision, took),
                  LATERAL (SELECT now() - interval '3 hours' AS opened) o""",
        guild_id, guild_id + 1)
    stats = await world.emulator.slash(world.staff, "verification stats")
    fields = {f["name"]: f["value"] for f in stats.embed["fields"]}
    assert fields["Verified automatically"] == "1 of 2 (50%)"
    assert fields["Median time to a decision"] == "30 min"  # of 10 s, 30 min, 2 h (cancelled ones left out)
    assert stats.embed["title"] == "Verifications — all time: 5"  # the other guild's row is not counted


async def test_another_guilds_ticket_cannot_be_touched(world: Any) -> None:
    row, _channel = await to_review(world)
    other = world.emulator.add_guild("Other Guild", owner_name="intruder", text_channels=("lobby",))
    await world.emulator.settle()
    intruder = other.owner  # every permission there
    # The bot itself posts a button with this guild's ticket id in the other guild.
    lobby = world.bot.get_channel(other.channel("lobby").id)
    await lobby.send("look", view=review_view(row["id"]))
    await world.emulator.settle()
    button = other.channel("lobby").messages[-1]
    for label in ("Approve", "Reject"):
        refused = await world.emulator.click(button, label, by=intruder)
        assert refused.ephemeral and refused.content == "That verification does not exist in this server.", label
    assert (await world.ticket(row["id"]))["status"] == "manual_review"
    pending = await world.emulator.slash(intruder, "verification pending")
    assert pending.content == "No verification is waiting for staff."
    stats = await world.emulator.slash(intruder, "verification stats")
    assert stats.embed["title"] == "Verifications — all time: 0"
    # And a member of the other guild uploading there is no screenshot of ours.
    await world.emulator.post(other.channel("lobby"), "", author=intruder,
                              attachments=[("r.png", receipt(82), "image/png")])
    assert len(world.fake_ai.requests) == 1


async def test_a_disabled_plugin_ignores_uploads(world: Any) -> None:
    row, channel = await world.open()
    await world.bot.settings.set_enabled(world.guild.id, "verification", False)
    await world.upload(channel, receipt(83))
    await world.emulator.settle()
    assert (await world.ticket(row["id"]))["status"] == "pending" and world.fake_ai.requests == []
    refused = await world.emulator.click(channel.messages[0], "Cancel verification", by=world.member)
    assert refused.content == "The verification plugin is disabled in this server."


async def test_when_the_channel_cannot_be_made(world: Any) -> None:
    from alphapy.testing import P

    full = world.guild.add_category("Verifications")
    for number in range(50):
        world.guild.add_text_channel(f"old-{number}", category=full)
    await world.emulator.settle()
    await world.configure(category=full.id)
    refused = await world.emulator.slash(world.member, "verify")
    assert refused.ephemeral and refused.content.startswith("I could not create your private channel just now")
    assert await world.ticket_of(world.member) is None

    await world.bot.settings.reset(world.guild.id, "verification", "category")
    world.guild.bot_role.permissions &= ~P.MANAGE_CHANNELS
    refused = await world.emulator.slash(world.member, "verify")
    assert refused.content.startswith("I cannot create the private channel: I need the Manage Channels")
    assert await world.ticket_of(world.member) is None

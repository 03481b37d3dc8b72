"""Delivery end to end: on time, late, skipped, exactly once with two processes and across a
crash between send and record; refusals disable a reminder and tell its creator once."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alphapy_reminders import plugin, store
from alphapy_reminders.cog import RemindersCog
from reminders_helpers import PNG, bot_messages, make_due, row

from alphapy import Database, shard_of
from alphapy.testing import P, running_alphapy

WORKER = Path(__file__).resolve().parent / "reminders_worker.py"


async def add(emulator: Any, who: Any, channel: Any, **options: Any) -> Any:
    options = {"name": "Raid night", "days": "mon,wed", "time": "19:00", "message": "Bring snacks", **options}
    reply = await emulator.slash(who, "reminder add", channel=channel, **options)
    assert reply.content.startswith("Saved"), reply.content
    return reply


def reminders_in(emulator: Any, channel: Any) -> list[Any]:
    return [m for m in bot_messages(emulator, channel) if m.embeds and m.embeds[0]["title"].startswith("⏰")]


async def wait_recorded(bot: Any, emulator: Any, reminder_id: int, since: datetime) -> Any:
    async def recorded() -> Any:
        current = await row(bot.db, reminder_id)
        return current if current["claimed_at"] is None and (current["next_fire_at"] or since) > since else None

    return await emulator.wait_until(recorded, message=f"reminder {reminder_id} handled")


async def test_a_due_reminder_is_sent_once_with_its_embed_and_only_the_chosen_mention(
        bot, emulator, host, guild, channel) -> None:
    await bot.settings.set(guild.id, "core", "timezone", "Europe/Amsterdam")
    raiders = guild.add_role("Raiders", mentionable=True)
    await emulator.settle()
    await add(emulator, host, channel, mention=raiders, call_time="19:30",
              message="@everyone bring <@&1> snacks")
    due = await make_due(bot.db, 1)
    [sent] = await emulator.wait_until(lambda: reminders_in(emulator, channel))
    assert sent.content == f"<@&{raiders.id}>" and not sent.mention_everyone
    embed = sent.embeds[0]
    assert embed["title"] == "⏰ Raid night" and embed["description"] == "@everyone bring <@&1> snacks"
    assert embed["fields"][0]["name"] == "When"
    post = emulator.requests.matching("POST", "/channels/{channel_id}/messages")[-1]
    assert post.json["allowed_mentions"] == {"parse": [], "roles": [raiders.id]}
    assert post.json["nonce"] == f"r1:{int(due.timestamp())}" and post.json["enforce_nonce"] is True
    recorded = await wait_recorded(bot, emulator, 1, due)
    assert recorded["last_sent_at"] >= due and recorded["claimed_at"] is None
    following = recorded["next_fire_at"].astimezone(ZoneInfo("Europe/Amsterdam"))
    assert following.time() == time(19) and following.weekday() in (0, 2) and following > datetime.now(UTC)
    await emulator.settle()
    assert len(reminders_in(emulator, channel)) == 1


async def test_the_call_time_is_shown_as_discord_timestamp_markup(bot, emulator, host, guild, channel) -> None:
    ams = ZoneInfo("Europe/Amsterdam")
    await bot.settings.set(guild.id, "core", "timezone", "Europe/Amsterdam")
    await add(emulator, host, channel, days="daily", time="19:00", call_time="19:30")
    due = await make_due(bot.db, 1)
    [sent] = await emulator.wait_until(lambda: reminders_in(emulator, channel))
    call = datetime.combine(due.astimezone(ams).date(), time(19, 30), tzinfo=ams)
    if call < due:  # fired after 19:30 local: the call it announces is the next day's
        call = datetime.combine(due.astimezone(ams).date() + timedelta(days=1), time(19, 30), tzinfo=ams)
    stamp = int(call.timestamp())
    assert sent.embeds[0]["fields"][0] == {"name": "When", "value": f"<t:{stamp}:F> (<t:{stamp}:R>)", "inline": False}


async def test_late_within_grace_is_sent_marked_late_and_stale_is_skipped(bot, emulator, host, channel) -> None:
    await add(emulator, host, channel, name="Late one")
    await add(emulator, host, channel, name="Stale one")
    now = datetime.now(UTC).replace(microsecond=0)
    await make_due(bot.db, 1, now - timedelta(minutes=5))   # grace is 10 minutes
    await make_due(bot.db, 2, now - timedelta(minutes=30))
    await wait_recorded(bot, emulator, 1, now)
    await wait_recorded(bot, emulator, 2, now)
    [late] = reminders_in(emulator, channel)
    assert late.embeds[0]["title"] == "⏰ Late one"
    assert late.embeds[0]["fields"][-1]["name"] == "Sent late"
    stale = await row(bot.db, 2)
    assert stale["last_sent_at"] is None and stale["next_fire_at"] > now  # moved on without a burst
    stats = RemindersCog.of(bot).delivery.stats
    assert (stats.sent, stats.late, stats.skipped) == (1, 1, 1)


async def test_downtime_sends_nothing_stale_after_a_restart(emulator, guild, host, channel, migrated_database_url,
                                                           alphapy_plugins) -> None:
    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins):
        for name in ("A", "B", "C"):
            await add(emulator, host, channel, name=name, days="daily")
    # the bot is down; meanwhile the occurrences pass (A two days ago, B 3 minutes ago, C is a one-off long gone)
    now = datetime.now(UTC).replace(microsecond=0)
    async with Database(migrated_database_url, min_size=1, max_size=1) as db:
        await make_due(db, 1, now - timedelta(days=2))
        await make_due(db, 2, now - timedelta(minutes=3))
        await db.execute("UPDATE reminders SET days = '{}', event_time = $2::timestamptz, "
                         "next_fire_at = $2::timestamptz - interval '1 hour' WHERE id = $1", 3, now - timedelta(hours=5))
    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins) as back:
        for reminder_id in (1, 2, 3):
            await emulator.wait_until(lambda i=reminder_id: _claimed_off(back.bot, i))
        await emulator.settle()
        sent = reminders_in(emulator, channel)
        assert [m.embeds[0]["title"] for m in sent] == ["⏰ B"]
        assert sent[0].embeds[0]["fields"][-1]["name"] == "Sent late"
        a, c = await row(back.bot.db, 1), await row(back.bot.db, 3)
        assert a["next_fire_at"] > now and a["last_sent_at"] is None
        assert c["next_fire_at"] is None and c["last_sent_at"] is None


async def _claimed_off(bot: Any, reminder_id: int) -> bool:
    current = await row(bot.db, reminder_id)
    return current["claimed_at"] is None and (current["next_fire_at"] is None
                                              or current["next_fire_at"] > datetime.now(UTC))


async def test_a_deleted_channel_disables_the_reminder_and_tells_the_creator_once(
        bot, emulator, host, guild) -> None:
    doomed = guild.add_text_channel("doomed")
    await emulator.settle()
    await add(emulator, host, doomed)
    await emulator.delete_channel(doomed)
    await make_due(bot.db, 1)
    disabled = await emulator.wait_until(lambda: _disabled(bot, 1))
    assert disabled["disabled_reason"] == "its channel no longer exists" and disabled["next_fire_at"] is None
    [dm] = await emulator.wait_until(lambda: emulator.dms(host))
    assert "Your reminder **Raid night** (#1) in **Test Guild** is paused: its channel no longer exists." in dm.content
    await make_due(bot.db, 1)  # even forced due again, a disabled row is dropped again, and nobody is told twice
    await emulator.wait_until(lambda: _unscheduled(bot, 1))
    await emulator.settle()
    assert len(emulator.dms(host)) == 1 and (await row(bot.db, 1))["disabled_reason"] == "its channel no longer exists"
    listing = await emulator.slash(host, "reminder list")
    assert "⚠️ stopped: its channel no longer exists" in listing.embed["description"]
    refused = await emulator.slash(host, "reminder resume", reminder=1)
    assert refused.content.startswith("The channel of reminder `#1` no longer exists")


async def _unscheduled(bot: Any, reminder_id: int) -> bool:
    current = await row(bot.db, reminder_id)
    return current["next_fire_at"] is None and current["claimed_at"] is None


async def _disabled(bot: Any, reminder_id: int) -> Any:
    current = await row(bot.db, reminder_id)
    return current if current["disabled_reason"] else None


async def test_missing_permission_disables_and_falls_back_to_the_log_channel(bot, emulator, guild) -> None:
    closed = guild.add_member("closed", permissions=["manage_guild"], dms_open=False)
    quiet = guild.add_text_channel("quiet")
    log_channel = guild.channel("staff-room")
    await emulator.settle()
    await bot.settings.set(guild.id, "reminders", "log_channel", log_channel.id)
    await add(emulator, closed, quiet)
    quiet.set_overwrite(guild.me, deny=P.SEND_MESSAGES)  # someone took the bot's right to post there
    await make_due(bot.db, 1)
    await emulator.wait_until(lambda: _disabled(bot, 1))
    [notice] = await emulator.wait_until(lambda: bot_messages(emulator, log_channel))
    assert notice.content.startswith(f"<@{closed.id}> Your reminder **Raid night** (#1)")
    assert f"I am not allowed to post in <#{quiet.id}> any more" in notice.content
    notice_post = [r for r in emulator.requests.matching("POST", "/channels/{channel_id}/messages")
                   if r.path == f"/channels/{log_channel.id}/messages"][-1]
    assert notice_post.json["allowed_mentions"]["parse"] == []  # names the creator without pinging
    assert emulator.dms(closed) == [] and reminders_in(emulator, quiet) == []
    # fixed: resume starts it again
    quiet.set_overwrite(guild.me, allow=P.SEND_MESSAGES)
    resumed = await emulator.slash(closed, "reminder resume", reminder=1)
    assert resumed.content.startswith("Resumed reminder `#1`") and (await row(bot.db, 1))["disabled_reason"] is None


async def test_rate_limits_are_waited_out(bot, emulator, host, channel) -> None:
    await add(emulator, host, channel)
    emulator.rate_limit("POST", "/channels/{channel_id}/messages", times=2, retry_after=0.2)
    await make_due(bot.db, 1)
    await emulator.wait_until(lambda: reminders_in(emulator, channel))
    posts = [r.status for r in emulator.requests.matching("POST", "/channels/{channel_id}/messages")]
    assert posts[-3:] == [429, 429, 200] and len(reminders_in(emulator, channel)) == 1


async def test_premium_images_are_uploaded_with_each_reminder(bot, emulator, host, channel, premium) -> None:
    premium.users.add(host.id)
    await add(emulator, host, channel, image=("poster.png", PNG, "image/png"))
    await make_due(bot.db, 1, datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=30))  # two occurrences,
    [sent] = await emulator.wait_until(lambda: reminders_in(emulator, channel))
    assert sent.attachments[0].data == PNG and sent.embeds[0]["image"]["url"].endswith("poster.png")
    await wait_recorded(bot, emulator, 1, datetime.now(UTC) - timedelta(seconds=5))
    premium.users.discard(host.id)  # premium ended: the image stays stored but is not shown
    await make_due(bot.db, 1)  # a different second from the first: a nonce of its own
    await emulator.wait_until(lambda: len(reminders_in(emulator, channel)) == 2)
    plain = reminders_in(emulator, channel)[-1]
    assert plain.attachments == [] and "image" not in plain.embeds[0]
    assert await bot.db.fetchval("SELECT count(*) FROM reminder_images") == 1


async def test_a_plugin_switched_off_sends_nothing_and_keeps_the_schedule(bot, emulator, host, guild,
                                                                          channel) -> None:
    await add(emulator, host, channel)
    await bot.settings.set_enabled(guild.id, "reminders", False)
    due = await make_due(bot.db, 1)
    recorded = await wait_recorded(bot, emulator, 1, due)
    assert recorded["last_sent_at"] is None and reminders_in(emulator, channel) == []


# --- exactly once ----------------------------------------------------------------------------

async def test_two_bot_processes_send_each_occurrence_once(bot, emulator, guild, host, migrated_database_url,
                                                           alphapy_plugins) -> None:
    channels = [guild.add_text_channel(f"room-{n}") for n in range(20)]
    await emulator.settle()
    now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    async with bot.db.transaction() as conn:
        for n in range(200):
            await store.add_recurring(conn, guild_id=guild.id, name=f"R{n}", channel_id=channels[n % 20].id,
                                      at=time(19), call_time=time(19), days=["0"], message="m",
                                      created_by=host.id, mention_role_id=None, image_url=None, next_fire_at=now)
    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins) as second:
        first_stats = RemindersCog.of(bot).delivery.stats
        second_stats = RemindersCog.of(second.bot).delivery.stats
        await emulator.wait_until(lambda: sum(len(reminders_in(emulator, c)) for c in channels) >= 200, timeout=30)
        await emulator.wait_until(lambda: _count(bot, "last_sent_at IS NULL", 0))  # and every one recorded
        await emulator.settle()
    titles = [m.embeds[0]["title"] for c in channels for m in reminders_in(emulator, c)]
    assert len(titles) == 200 and len(set(titles)) == 200  # every reminder, none twice
    assert first_stats.sent + second_stats.sent == 200, (first_stats, second_stats)


async def _count(bot: Any, where: str, expected: int) -> bool:
    return await bot.db.fetchval(f"SELECT count(*) FROM reminders WHERE {where}") == expected


async def test_a_crash_between_send_and_record_does_not_send_twice(bot_runner, emulator, guild, host, channel,
                                                                   migrated_database_url) -> None:
    await add(emulator, host, channel)
    await bot_runner.stop()  # this process's bot leaves; a separate OS process takes over the reminders
    async with Database(migrated_database_url, min_size=1, max_size=2) as db:
        due = await crash_after_send(emulator, db, migrated_database_url)
        assert len(reminders_in(emulator, channel)) == 1
        stuck = await row(db, 1)
        assert stuck["last_sent_at"] is None and stuck["claimed_at"] is not None and stuck["next_fire_at"] == due

        # the lease runs out (as it would 60 s later), and a new process claims the same occurrence
        await db.execute("UPDATE reminders SET claimed_at = claimed_at - $1::interval WHERE id = 1", store.LEASE)
        async with running_alphapy(emulator, migrated_database_url, plugins=[("reminders", plugin)]) as again:
            recorded = await wait_recorded(again.bot, emulator, 1, due)
            assert recorded["last_sent_at"] is not None
    posts = [r for r in emulator.requests.matching("POST", "/channels/{channel_id}/messages")
             if (r.json or {}).get("nonce", "").startswith("r1:")]
    assert len(posts) == 2 and posts[0].json["nonce"] == posts[1].json["nonce"]
    assert int(posts[1].response["id"]) == reminders_in(emulator, channel)[0].id  # Discord answered with the first
    assert len(reminders_in(emulator, channel)) == 1  # sent once, although sending happened twice


async def crash_after_send(emulator: Any, db: Any, database_url: str) -> datetime:
    """Run the bot in a separate OS process, make reminder 1 due, and SIGKILL that process the
    moment Discord (the emulator) has accepted the message, before the answer reaches it."""
    worker = await asyncio.create_subprocess_exec(
        sys.executable, str(WORKER), database_url, emulator.api_base, emulator.gateway_url, emulator.token,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    original = emulator.state.dispatch

    def crash_after_discord_accepts(event: str, data: Any, guild_id: Any) -> Any:
        payload = data() if callable(data) else data  # the emulator builds payloads lazily
        if event == "MESSAGE_CREATE" and str(payload.get("nonce", "")).startswith("r1:"):
            os.kill(worker.pid, signal.SIGKILL)
        return original(event, data, guild_id)

    try:
        assert await asyncio.wait_for(worker.stdout.readline(), 60) == b"ready\n"  # type: ignore[union-attr]
        emulator.state.dispatch = crash_after_discord_accepts
        due = await make_due(db, 1)
        assert await asyncio.wait_for(worker.wait(), 30) == -signal.SIGKILL
        return due
    finally:
        emulator.state.dispatch = original
        if worker.returncode is None:
            worker.kill()
            await worker.wait()


@pytest.mark.parametrize("shard_of_guild", [0, 1])
async def test_each_shard_process_delivers_only_its_own_guilds(emulator, migrated_database_url, alphapy_plugins,
                                                               shard_of_guild) -> None:
    guilds = []
    while len(guilds) < 2:  # one guild on each of two shards
        candidate = emulator.add_guild(f"G{len(emulator.state.guilds)}", owner_name="o", text_channels=("general",))
        if shard_of(candidate.id, 2) == len(guilds):
            guilds.append(candidate)
    now = datetime.now(UTC)
    async with Database(migrated_database_url, min_size=1, max_size=2) as db, db.transaction() as conn:
        for g in guilds:
            for n in range(5):
                await store.add_recurring(conn, guild_id=g.id, name=f"{g.name}-{n}", channel_id=g.channel("general").id,
                                          at=time(19), call_time=time(19), days=["0"], message=None,
                                          created_by=None, mention_role_id=None, image_url=None, next_fire_at=now)
    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins, shard_count=2,
                               shard_ids=[shard_of_guild]) as runner:
        mine, theirs = guilds[shard_of_guild], guilds[1 - shard_of_guild]
        await emulator.wait_until(lambda: len(reminders_in(emulator, mine.channel("general"))) == 5)
        await emulator.wait_until(lambda: _count(runner.bot, f"guild_id = {mine.id} AND last_sent_at IS NULL", 0))
        await emulator.settle()
        assert reminders_in(emulator, theirs.channel("general")) == []
        assert RemindersCog.of(runner.bot).delivery.stats.sent == 5
        assert await _count(runner.bot, f"guild_id = {theirs.id} AND last_sent_at IS NULL", 5)  # left for shard 1

"""The plugin's other faces: health, a person's data (export and erasure), the operator's CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from typing import Any

from reminders_helpers import PNG, make_due


async def add(emulator: Any, who: Any, channel: Any, name: str) -> None:
    reply = await emulator.slash(who, "reminder add", name=name, channel=channel, days="mon", time="19:00",
                                 message="m")
    assert reply.content.startswith("Saved")


async def plugin_answers(running: Any, hook: str, **kwargs: Any) -> Any:
    [answer] = [r for r in await running.plugins.call_async(hook, **kwargs) if r.plugin == "reminders"]
    assert answer.error is None, answer.error
    return answer.value


async def test_health_reports_scheduled_and_overdue(bot, emulator, host, channel) -> None:
    await add(emulator, host, channel, "Raid")
    healthy = await plugin_answers(bot, "health", bot=bot)
    assert healthy["status"] == "ok" and healthy["scheduled"] == 1 and healthy["overdue"] == 0
    await emulator.wait_until(lambda: bot.scheduler.stats()["due_work"]["reminders"]["state"] == "sleeping")
    # behind the loop's back (no NOTIFY; it sleeps until Monday): due an hour ago and unsent
    await bot.db.execute("UPDATE reminders SET next_fire_at = now() - interval '1 hour'")
    degraded = await plugin_answers(bot, "health", bot=bot)
    assert degraded["status"] == "degraded" and degraded["overdue"] == 1


async def test_a_persons_data_is_exported_and_erased(bot, emulator, host, member, guild, channel,
                                                     premium) -> None:
    premium.users.add(host.id)
    reply = await emulator.slash(host, "reminder add", name="Raid", channel=channel, days="mon", time="19:00",
                                 message="m", image=("me.png", PNG, "image/png"))
    assert reply.content.startswith("Saved")
    exported = await plugin_answers(bot, "user_data", user_id=host.id, db=bot.db)
    [item] = exported["reminders_created"]
    assert item["name"] == "Raid" and item["guild_id"] == guild.id and json.dumps(exported)
    assert await plugin_answers(bot, "user_data", user_id=member.id, db=bot.db) is None
    assert await plugin_answers(bot, "forget_user", user_id=host.id, guild_id=guild.id + 1, db=bot.db) == 0
    assert await plugin_answers(bot, "forget_user", user_id=host.id, guild_id=guild.id, db=bot.db) == 2
    assert await bot.db.fetchval("SELECT created_by FROM reminders") is None  # the guild keeps its reminder
    assert await bot.db.fetchval("SELECT count(*) FROM reminder_images") == 0  # but not their picture
    await make_due(bot.db, 1)  # an anonymous reminder is still delivered (without premium extras)
    await emulator.wait_until(lambda: any(m.embeds and m.embeds[0]["title"] == "⏰ Raid" for m in channel.messages))


async def alphapy_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """``python -m alphapy ...`` in a worker thread, so that the bot keeps serving meanwhile."""
    return await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "alphapy", *args], env=env,
                                   capture_output=True, text=True, timeout=60, check=False)


async def test_the_operator_lists_a_servers_reminders(bot, emulator, host, guild, channel,
                                                      migrated_database_url) -> None:
    await add(emulator, host, channel, "Raid night")
    env = {**os.environ, "DATABASE_URL": migrated_database_url, "ALPHAPY_PLUGINS": "reminders"}
    env.pop("LOG_LEVEL", None)
    listed = await alphapy_cli(env, "reminders", "list", "--guild", str(guild.id))
    assert listed.returncode == 0, listed.stderr
    header, row = listed.stdout.splitlines()
    assert header.split() == ["ID", "NAME", "CHANNEL", "DAYS", "TIME", "EVENT", "NEXT", "(UTC)", "STATE"]
    assert row.split()[:5] == ["1", "Raid", "night", str(channel.id), "Mon"]
    as_json = await alphapy_cli(env, "reminders", "list", "--guild", "1", "--json")
    assert json.loads(as_json.stdout) == []  # another guild: nothing

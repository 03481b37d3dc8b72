"""The bot end to end through the emulator: core commands, the gate, errors, tracking."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from alphapy.log import configure_logging
from tests.conftest import test_plugin


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("hello", test_plugin("hello"))]


async def audit_rows(bot: Any) -> list[dict[str, Any]]:
    await bot.tracker.flush()
    rows = await bot.db.fetch("SELECT guild_id, user_id, command_name, command_type, success, error_message "
                              "FROM audit_logs ORDER BY id")
    return [dict(r) for r in rows]


# --- core commands ---------------------------------------------------------------------

async def test_ping_slash_and_text(bot, emulator, member, channel) -> None:
    reply = await emulator.slash(member, "ping")
    assert reply.ephemeral and reply.content.startswith("Pong")
    await emulator.post(channel, "!ping", author=member)
    assert channel.messages[-1].content == "Pong."
    rows = await audit_rows(bot)
    assert [(r["command_name"], r["command_type"], r["success"]) for r in rows] == [
        ("ping", "slash", True), ("ping", "text", True)]
    assert rows[0]["guild_id"] == channel.guild.id and rows[0]["user_id"] == member.id


async def test_plugins_list_enable_disable(bot, emulator, host) -> None:
    listing = await emulator.slash(host, "plugins list")
    assert listing.ephemeral and "🟢 **hello**" in listing.embed["description"]
    off = await emulator.slash(host, "plugins disable", plugin="hello")
    assert off.content.startswith("**hello** is now off in this server")
    again = await emulator.slash(host, "plugins disable", plugin="hello")
    assert again.content == "**hello** is already off here."
    assert "⚪ **hello**" in (await emulator.slash(host, "plugins list")).embed["description"]
    on = await emulator.slash(host, "plugins enable", plugin="hello")
    assert on.content.startswith("**hello** is now on in this server")
    unknown = await emulator.slash(host, "plugins enable", plugin="nope")
    assert unknown.content == "There is no plugin called nope. Installed: hello."


async def test_settings_show_set_reset_history_rollback(bot, emulator, host, guild) -> None:
    shown = await emulator.slash(host, "settings show", scope="core")
    assert "**core.timezone** = UTC *(default)*" in shown.embed["description"]

    changed = await emulator.slash(host, "settings set", setting="core.timezone", value="Europe/Amsterdam")
    assert changed.content == "**core.timezone** = Europe/Amsterdam (history #1)"
    assert await bot.settings.get(guild.id, "core", "timezone") == "Europe/Amsterdam"
    await emulator.slash(host, "settings set", setting="hello.greeting", value="Hoi")

    history = await emulator.slash(host, "settings history")
    lines = history.embed["description"].splitlines()
    assert lines[0].startswith("`#2`") and "hello.greeting" in lines[0] and f"<@{host.id}>" in lines[0]

    rolled = await emulator.slash(host, "settings reset", setting="core.timezone")
    assert rolled.content == "**core.timezone** is back to its default UTC (history #3)."
    back = await emulator.slash(host, "settings rollback", history_id=1)
    assert back.content.startswith("**core.timezone** rolled back to #1: now Europe/Amsterdam")
    assert await bot.settings.get(guild.id, "core", "timezone") == "Europe/Amsterdam"

    channel_id = guild.channel("staff-room").id
    role = guild.add_role("Helpers")
    await emulator.settle()
    await emulator.slash(host, "settings set", setting="hello.staff_role", value=f"<@&{role.id}>")
    assert await bot.settings.get(guild.id, "hello", "staff_role") == role.id
    assert channel_id  # a real channel exists for the refusal test below


async def test_settings_autocomplete(bot, emulator, host) -> None:
    choices = await emulator.autocomplete(host, "settings set", focused="setting", value="time")
    assert [c.value for c in choices] == ["core.timezone"]


async def test_command_stats(bot, emulator, host, member) -> None:
    await emulator.slash(member, "hello")
    await emulator.slash(member, "hello")
    await emulator.slash(member, "hello_fail")
    stats = await emulator.slash(host, "command_stats", period="24h")
    text = stats.embed["description"]
    assert "`/hello` — 2 uses, 100% ok" in text
    assert "`/hello_fail` — 1 use, 0% ok" in text


# --- the gate ---------------------------------------------------------------------------

async def test_disabled_plugin_does_nothing_in_that_guild(bot, emulator, host, member, channel, guild) -> None:
    button = await emulator.slash(member, "hello_button")
    await bot.settings.set_enabled(guild.id, "hello", False)

    refused = await emulator.slash(member, "hello")
    assert refused.ephemeral and refused.content == "The hello plugin is disabled in this server."
    clicked = await emulator.click(button.response, "Wave", by=member)
    assert clicked.ephemeral and clicked.content == "The hello plugin is disabled in this server."
    before = len(channel.messages)
    await emulator.post(channel, "hello bot", author=member)
    assert len(channel.messages) == before + 1  # only the member's own message: the listener stayed quiet

    other = emulator.add_guild("Other Guild", owner_name="other-owner")
    stranger = other.add_member("stranger")
    await emulator.settle()
    assert (await emulator.slash(stranger, "hello")).content == "Hello, stranger!"  # still on elsewhere

    await bot.settings.set_enabled(guild.id, "hello", True)
    assert (await emulator.click(button.response, "Wave", by=member)).content == "👋 #7"
    await emulator.post(channel, "hello bot", author=member)
    assert channel.messages[-1].content == "hi member"


async def test_access_is_enforced_by_the_core(bot, emulator, host, member, guild) -> None:
    # Discord hides Manage Server commands from members; the core refuses them anyway.
    refused = await emulator.slash(member, "settings set", setting="core.timezone", value="Asia/Tokyo",
                                   check_permissions=False)
    assert refused.ephemeral and refused.content == "Only server managers (Manage Server) can use this command."
    assert await bot.settings.get(guild.id, "core", "timezone") == "UTC"
    assert (await emulator.slash(member, "hello_admin", check_permissions=False)).content.startswith("Only server")
    assert (await emulator.slash(host, "hello_admin")).content == "admin ok"

    assert (await emulator.slash(member, "hello_staff")).content == "Only staff can use this command."
    helpers = guild.add_role("Helpers")
    await emulator.give_role(member, helpers)
    await bot.settings.set(guild.id, "hello", "staff_role", helpers.id)
    assert (await emulator.slash(member, "hello_staff")).content == "staff ok"
    rows = await audit_rows(bot)
    refusals = [r for r in rows if not r["success"]]
    assert refusals[0]["error_message"] == "Only server managers (Manage Server) can use this command."


# --- errors -----------------------------------------------------------------------------

async def test_a_bug_gets_an_error_id_and_a_logged_traceback(bot, emulator, member) -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    try:
        reply = await emulator.slash(member, "hello_fail")
    finally:
        configure_logging("warning", "json")
    assert reply.ephemeral and reply.content.startswith("Sorry, something went wrong on my side (error id `")
    error_id = reply.content.split("`")[1]
    events = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    failure = next(e for e in events if e.get("event") == "interaction.failed")
    assert failure["error_id"] == error_id
    assert failure["command"] == "hello_fail" and failure["plugin"] == "hello"
    assert failure["guild_id"] == member.guild.id
    assert "RuntimeError: the hello plugin has a bug" in failure["traceback"]
    rows = await audit_rows(bot)
    assert rows[-1]["success"] is False and rows[-1]["error_message"] == "RuntimeError: the hello plugin has a bug"


async def test_a_failing_listener_is_logged_with_an_error_id(bot, emulator, member, channel) -> None:
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    try:
        await emulator.post(channel, "hello crash", author=member)
        # the listener runs as its own task: wait for its log line, not for the post
        await emulator.wait_until(lambda: '"event.failed"' in stream.getvalue(), timeout=10)
    finally:
        configure_logging("warning", "json")
    events = [json.loads(line) for line in stream.getvalue().splitlines() if line.startswith("{")]
    failure = next(e for e in events if e.get("event") == "event.failed")
    assert failure["handler"] == "on_message" and failure["error_id"]
    assert "RuntimeError: the hello listener has a bug" in failure["traceback"]


async def test_component_failures_are_answered_like_commands(bot, emulator, member) -> None:
    posted = await emulator.slash(member, "hello_trouble")
    refused = await emulator.click(posted.response, "Refuse", by=member)
    assert refused.ephemeral and refused.content == "You cannot wave twice."
    bug = await emulator.click(posted.response, "Bug", by=member)
    assert bug.ephemeral and bug.content.startswith("Sorry, something went wrong on my side (error id `")


async def test_a_refusal_is_shown_as_written(bot, emulator, member) -> None:
    reply = await emulator.slash(member, "hello_refuse")
    assert reply.ephemeral and reply.content == "That greeting does not exist in this server."


# --- hostile input ----------------------------------------------------------------------

HOSTILE = [
    "",
    "x" * 6000,
    "line\nbreak\x00\x07\x1b[31m",
    "'; DROP TABLE bot_settings; --",
    "**bold** @everyone <@&1> `code` ||spoiler||",
    "../../etc/passwd",
]


@pytest.mark.parametrize("value", HOSTILE)
async def test_hostile_setting_names_and_values(bot, emulator, host, guild, value) -> None:
    name = await emulator.slash(host, "settings set", setting=value, value="UTC")
    assert name.ephemeral and (name.content.startswith("Write the setting as scope.key")
                               or name.content.startswith("There is no setting"))
    bad = await emulator.slash(host, "settings set", setting="core.timezone", value=value)
    assert bad.ephemeral and bad.content == "core.timezone must be an IANA timezone such as Europe/Amsterdam"
    greeting = await emulator.slash(host, "settings set", setting="hello.greeting", value=value)
    assert greeting.ephemeral
    if 0 < len(value) <= 100 and "\x00" not in value and "\x07" not in value:
        assert await bot.settings.get(guild.id, "hello", "greeting") == value
        assert "@everyone" not in greeting.content or "`" in greeting.content  # shown inside a code span
    else:
        assert greeting.content.startswith("hello.greeting must be text of 1 to 100 characters")
    for command, options in [("settings reset", {"setting": value}), ("settings history", {"setting": value}),
                             ("settings show", {"scope": value}), ("plugins enable", {"plugin": value}),
                             ("plugins disable", {"plugin": value})]:
        reply = await emulator.slash(host, command, **options)
        assert reply.ephemeral, (command, reply)
        assert "error id" not in reply.content and len(reply.content) < 500
    count = await bot.db.fetchval("SELECT count(*) FROM bot_settings WHERE scope = 'core'")
    assert count == 0  # nothing hostile was stored in core


async def test_ids_of_another_guild_are_refused(bot, emulator, host, guild) -> None:
    other = emulator.add_guild("Elsewhere", owner_name="else-owner", text_channels=("theirs",))
    await emulator.settle()
    elsewhere = other.channel("theirs")
    theirs = await bot.settings.set(other.id, "core", "timezone", "Asia/Tokyo")
    reply = await emulator.slash(host, "settings set", setting="hello.staff_role", value=str(other.bot_role.id))
    assert reply.content.startswith("hello.staff_role must be a role of this server")
    rollback = await emulator.slash(host, "settings rollback", history_id=theirs.id)
    assert rollback.content == f"there is no settings history entry #{theirs.id} in this server"
    assert await bot.settings.get(guild.id, "core", "timezone") == "UTC"
    assert elsewhere.id != 0
    assert await bot.db.fetchval("SELECT count(*) FROM bot_settings WHERE guild_id = $1", guild.id) == 0


async def test_out_of_range_numbers(bot, emulator, host) -> None:
    with pytest.raises(ValueError, match="outside 1..2147483647"):  # Discord itself refuses these
        await emulator.slash(host, "settings rollback", history_id=0)
    reply = await emulator.slash(host, "settings rollback", history_id=2_147_483_647)
    assert reply.ephemeral and reply.content == "there is no settings history entry #2147483647 in this server"


def ignore_ranges(emulator: Any, command: str) -> None:
    """A modified client: it no longer keeps the number options of ``/<command>`` in range."""
    top, *path = command.split()
    [node] = [c.data for c in emulator.commands() if c.name == top]
    for part in path:
        node = next(o for o in node["options"] if o["name"] == part)
    for option in node["options"]:
        option.pop("min_value", None)
        option.pop("max_value", None)


async def test_declared_ranges_hold_even_for_a_modified_client(bot, emulator, host) -> None:
    ignore_ranges(emulator, "settings rollback")
    for number in (0, 2**31, 2**63):
        reply = await emulator.slash(host, "settings rollback", history_id=number)
        assert reply.ephemeral and reply.content == "The history_id must be a whole number from 1 to 2,147,483,647."
    rows = await audit_rows(bot)
    assert [(r["command_name"], r["success"]) for r in rows] == [("settings rollback", False)] * 3


# --- connection -------------------------------------------------------------------------

async def test_reconnect_resumes_and_commands_still_work(bot, emulator, member) -> None:
    resumes = emulator.gateway.resumes
    await emulator.drop_gateway()
    await emulator.wait_until(lambda: emulator.gateway.resumes > resumes, timeout=10)
    reply = await emulator.slash(member, "hello")
    assert reply.content == "Hello, member!"


async def test_graceful_shutdown_flushes_tracking(emulator, guild, member, migrated_database_url, alphapy_plugins):
    from alphapy.db import Database
    from alphapy.testing.bot import running_alphapy

    async with running_alphapy(emulator, migrated_database_url, plugins=alphapy_plugins,
                               tracker_flush_interval=3600) as runner:
        for _ in range(5):
            await emulator.slash(member, "hello")
        assert runner.services is not None
        tracker = runner.services.tracker
        await emulator.wait_until(lambda: tracker.queued == 5)  # recorded, not written yet
    assert runner.services is None  # stopped: pools closed
    async with Database(migrated_database_url, min_size=1, max_size=1) as db:
        assert await db.fetchval("SELECT count(*) FROM audit_logs") == 5

"""Guild settings: typed values, history and rollback, the cache across processes."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from alphapy.db import Database
from alphapy.settings import (
    HistoryNotFound,
    InvalidSetting,
    PremiumRequired,
    SettingsError,
    SettingsRegistry,
    SettingsService,
    UnknownSettingError,
    declare_core_settings,
)

GUILD_A = 1_111_111_111_111_111_111
GUILD_B = 2_222_222_222_222_222_222
HOST = 42


def make_registry() -> SettingsRegistry:
    registry = SettingsRegistry()
    declare_core_settings(registry)
    register = registry.registrar("demo")
    register("enabled", "bool", default=False, help="a switch")
    register("lead_minutes", "int", default=60, min=0, max=1440)
    register("greeting", "str", default="hello", max_length=50)
    register("language", "choice", default="english", choices=["english", "dutch", "simple"])
    register("channel", "channel")
    register("watch", "channels", default=[])
    register("staff", "role")
    register("at", "time", default="19:00")
    register("rules", "json", default={"max": 3}, max_bytes=200)
    register("banner", "str", premium=True, max_length=200)
    registry.declare_plugin_switch("demo", True)
    return registry


async def wait_for(predicate, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


@pytest_asyncio.fixture
async def settings(db: Database) -> AsyncIterator[SettingsService]:
    async def premium_check(guild_id: int, user_id: int) -> bool:
        return user_id == 7  # user 7 has premium

    async def reference_check(guild_id: int, kind: str, item: int) -> bool:
        own = {GUILD_A: {"channel": {10, 11}, "role": {20}}, GUILD_B: {"channel": {30}, "role": {40}}}
        return item in own.get(guild_id, {}).get(kind, set())

    service = SettingsService(db, make_registry(), premium_check=premium_check, reference_check=reference_check)
    await service.start()
    yield service
    await service.stop()


async def rows(db: Database, table: str) -> int:
    return await db.fetchval(f"SELECT count(*) FROM {table}")  # table names are literals of this test


async def test_defaults_and_unknown_keys(settings: SettingsService) -> None:
    assert await settings.get(GUILD_A, "core", "timezone") == "UTC"
    assert await settings.get(GUILD_A, "demo", "lead_minutes") == 60
    assert await settings.get(GUILD_A, "demo", "channel") is None
    with pytest.raises(UnknownSettingError, match="unknown setting demo.nope; demo has: at, banner, channel"):
        await settings.get(GUILD_A, "demo", "nope")
    with pytest.raises(UnknownSettingError, match="unknown setting ghost.key; known scopes: core, demo, plugins"):
        await settings.get(GUILD_A, "ghost", "key")


async def test_history_and_rollback_round_trip(settings: SettingsService, db: Database) -> None:
    created = await settings.set(GUILD_A, "core", "timezone", "Europe/Amsterdam", changed_by=HOST)
    updated = await settings.set(GUILD_A, "core", "timezone", "America/New_York", changed_by=HOST + 1)
    assert (created.change_type, created.old_value, created.new_value) == ("created", None, "Europe/Amsterdam")
    assert (updated.change_type, updated.old_value, updated.new_value) == ("updated", "Europe/Amsterdam", "America/New_York")
    assert await settings.get(GUILD_A, "core", "timezone") == "America/New_York"

    back = await settings.rollback(GUILD_A, created.id, changed_by=HOST)
    assert (back.change_type, back.old_value, back.new_value) == ("rollback", "America/New_York", "Europe/Amsterdam")
    assert await settings.get(GUILD_A, "core", "timezone") == "Europe/Amsterdam"

    deleted = await settings.reset(GUILD_A, "core", "timezone", changed_by=HOST)
    assert deleted is not None and deleted.change_type == "deleted" and deleted.old_value == "Europe/Amsterdam"
    assert await settings.get(GUILD_A, "core", "timezone") == "UTC"
    assert await settings.reset(GUILD_A, "core", "timezone") is None  # nothing stored: nothing recorded

    again = await settings.rollback(GUILD_A, updated.id)
    assert again.new_value == "America/New_York"
    to_default = await settings.rollback(GUILD_A, deleted.id)
    assert to_default.change_type == "rollback" and await settings.get(GUILD_A, "core", "timezone") == "UTC"

    stored = await db.fetchrow("SELECT value_type, updated_by FROM bot_settings WHERE guild_id = $1", GUILD_A)
    assert stored is None  # back to default: no row
    history = await settings.history(GUILD_A, "core", "timezone")
    assert [h.change_type for h in history] == ["rollback", "rollback", "deleted", "rollback", "updated", "created"]
    assert [h.changed_by for h in history][-2:] == [HOST + 1, HOST]
    assert all(h.value_type in ("timezone", None) for h in history)


async def test_history_pages_and_filters(settings: SettingsService) -> None:
    for minutes in range(25):
        await settings.set(GUILD_A, "demo", "lead_minutes", minutes)
    await settings.set(GUILD_A, "demo", "greeting", "hi")
    first = await settings.history(GUILD_A, limit=10)
    assert len(first) == 10 and first[0].key == "greeting"
    second = await settings.history(GUILD_A, before_id=first[-1].id, limit=10)
    assert second[0].id < first[-1].id
    only = await settings.history(GUILD_A, "demo", "lead_minutes", limit=100)
    assert len(only) == 25 and {h.key for h in only} == {"lead_minutes"}
    assert await settings.history(GUILD_B) == []


async def test_rollback_of_another_guilds_entry_is_refused(settings: SettingsService) -> None:
    theirs = await settings.set(GUILD_B, "core", "timezone", "Asia/Tokyo")
    with pytest.raises(HistoryNotFound, match=f"no settings history entry #{theirs.id} in this server"):
        await settings.rollback(GUILD_A, theirs.id)
    assert await settings.get(GUILD_A, "core", "timezone") == "UTC"


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("core.timezone", "Mars/Olympus", "core.timezone must be an IANA timezone such as Europe/Amsterdam"),
        ("core.timezone", "../../etc/passwd", "core.timezone must be an IANA timezone"),
        ("demo.enabled", "perhaps", "demo.enabled must be true or false"),
        ("demo.lead_minutes", "5000", "demo.lead_minutes must be a whole number from 0 to 1440"),
        ("demo.lead_minutes", "ten", "demo.lead_minutes must be a whole number from 0 to 1440"),
        ("demo.lead_minutes", "9" * 40, "demo.lead_minutes must be a whole number"),
        ("demo.greeting", "x" * 6000, "demo.greeting must be text of 1 to 50 characters"),
        ("demo.greeting", "nul\x00byte", "demo.greeting must be text of 1 to 50 characters, without control"),
        ("demo.language", "klingon", "demo.language must be one of: english, dutch, simple"),
        ("demo.channel", "general", "demo.channel must be a channel of this server"),
        ("demo.channel", "<#30>", "demo.channel must be a channel of this server"),  # guild B's channel
        ("demo.channel", "-5", "demo.channel must be a channel of this server"),
        ("demo.watch", "<#10>, <#30>", "demo.watch must be up to 25 channels of this server"),
        ("demo.staff", "<@&40>", "demo.staff must be a role of this server"),
        ("demo.at", "25:00", "demo.at must be a time as HH:MM, such as 19:30"),
        ("demo.at", "7pm", "demo.at must be a time as HH:MM"),
        ("demo.rules", "{not json", "demo.rules must be valid JSON of at most 200 bytes"),
        ("demo.rules", '{"a": "' + "x" * 300 + '"}', "demo.rules must be valid JSON of at most 200 bytes"),
        ("demo.rules", '"\\u0000"', "demo.rules must be valid JSON"),
        ("demo.rules", "[" * 40 + "]" * 40, "demo.rules must be valid JSON"),  # nested deeper than 32
        ("demo.rules", "[NaN]", "demo.rules must be valid JSON"),
    ],
)
async def test_bad_values_are_refused_and_nothing_is_written(
    settings: SettingsService, db: Database, key: str, text: str, message: str
) -> None:
    scope, name = key.split(".")
    with pytest.raises(InvalidSetting) as caught:
        await settings.set(GUILD_A, scope, name, text, changed_by=HOST, from_text=True)
    assert str(caught.value).startswith(message)
    assert await rows(db, "bot_settings") == 0
    assert await rows(db, "settings_history") == 0


async def test_values_are_parsed_and_normalised(settings: SettingsService) -> None:
    cases = {
        ("core", "timezone"): ("europe/amsterdam", "Europe/Amsterdam"),
        ("demo", "enabled"): ("Yes", True),
        ("demo", "lead_minutes"): (" 30 ", 30),
        ("demo", "language"): ("Dutch", "dutch"),
        ("demo", "channel"): ("<#10>", 10),
        ("demo", "watch"): ("<#10> 11, <#10>", [10, 11]),
        ("demo", "staff"): ("<@&20>", 20),
        ("demo", "at"): ("7.05", "07:05"),
        ("demo", "rules"): ('{"max": 5, "names": ["a"]}', {"max": 5, "names": ["a"]}),
        ("demo", "greeting"): ("**bold** '; DROP TABLE bot_settings; --", "**bold** '; DROP TABLE bot_settings; --"),
    }
    for (scope, key), (text, expected) in cases.items():
        await settings.set(GUILD_A, scope, key, text, from_text=True)
        assert await settings.get(GUILD_A, scope, key) == expected, (scope, key)
    shown = {v.spec.full_name: v.display for v in await settings.describe(GUILD_A, "demo")}
    assert shown["demo.channel"] == "<#10>" and shown["demo.enabled"] == "on"


async def test_wrong_python_types_are_refused(settings: SettingsService) -> None:
    for scope, key, value in [("demo", "enabled", 1), ("demo", "lead_minutes", True), ("demo", "lead_minutes", 1.5),
                              ("demo", "greeting", 5), ("demo", "rules", {1, 2}), ("core", "timezone", None)]:
        with pytest.raises(InvalidSetting):
            await settings.set(GUILD_A, scope, key, value)


async def test_premium_settings_need_premium(settings: SettingsService, db: Database) -> None:
    with pytest.raises(PremiumRequired, match="demo.banner is a premium setting"):
        await settings.set(GUILD_A, "demo", "banner", "https://example.org/b.png", changed_by=HOST)
    assert await rows(db, "settings_history") == 0
    await settings.set(GUILD_A, "demo", "banner", "https://example.org/b.png", changed_by=7)
    await settings.set(GUILD_A, "demo", "banner", "https://example.org/c.png")  # an operator, not gated
    assert await settings.get(GUILD_A, "demo", "banner") == "https://example.org/c.png"


async def test_plugin_switches(settings: SettingsService) -> None:
    assert await settings.is_enabled(GUILD_A, "demo") is True
    await settings.set_enabled(GUILD_A, "demo", False, changed_by=HOST)
    assert await settings.is_enabled(GUILD_A, "demo") is False
    assert await settings.is_enabled(GUILD_B, "demo") is True
    assert await settings.is_enabled(GUILD_A, "not_a_plugin") is True


async def test_concurrent_writers_keep_a_consistent_chain(settings: SettingsService) -> None:
    await asyncio.gather(*(settings.set(GUILD_A, "demo", "lead_minutes", n, changed_by=n) for n in range(30)))
    chain = list(reversed(await settings.history(GUILD_A, "demo", "lead_minutes", limit=100)))
    assert chain[0].change_type == "created" and chain[0].old_value is None
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.old_value == before.new_value and after.change_type == "updated"
    assert await settings.get(GUILD_A, "demo", "lead_minutes") == chain[-1].new_value


async def test_cache_serves_reads_and_another_connection_invalidates_it(db: Database) -> None:
    first = SettingsService(db, make_registry())
    second = SettingsService(db, make_registry())
    await first.start()
    await second.start()
    try:
        assert await first.get(GUILD_A, "demo", "greeting") == "hello"
        for _ in range(100):
            await first.get(GUILD_A, "demo", "greeting")
        assert first.misses == 1 and first.hits >= 100
        await second.set(GUILD_A, "demo", "greeting", "hoi")

        async def first_sees_it() -> bool:
            return await first.get(GUILD_A, "demo", "greeting") == "hoi"

        await wait_for(first_sees_it)
        assert first.invalidations >= 1
    finally:
        await first.stop()
        await second.stop()


async def test_a_write_in_another_process_is_seen(settings: SettingsService, db: Database) -> None:
    assert await settings.get(GUILD_A, "demo", "lead_minutes") == 60
    script = textwrap.dedent(f"""
        import asyncio
        from alphapy.db import Database
        from tests.test_settings import make_registry
        from alphapy.settings import SettingsService

        async def main():
            async with Database({db.url!r}, min_size=1, max_size=1) as database:
                await SettingsService(database, make_registry()).set({GUILD_A}, "demo", "lead_minutes", 15)

        asyncio.run(main())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

    async def seen() -> bool:
        return await settings.get(GUILD_A, "demo", "lead_minutes") == 15

    await wait_for(seen)


async def test_a_batch_written_in_another_process_is_seen_for_every_guild(settings: SettingsService, db: Database) -> None:
    """Another process's concurrent changes go out as one batch with one NOTIFY: every
    guild it changed is forgotten here, not just the first one named."""
    guilds = [GUILD_A, GUILD_B, GUILD_A + 1, GUILD_B + 1]
    untouched = GUILD_A + 2
    for guild in [*guilds, untouched]:
        assert await settings.get(guild, "demo", "lead_minutes") == 60  # cached now
    script = textwrap.dedent(f"""
        import asyncio
        from alphapy.db import Database
        from tests.test_settings import make_registry
        from alphapy.settings import SettingsService

        async def main():
            async with Database({db.url!r}, min_size=1, max_size=2) as database:
                service = SettingsService(database, make_registry())
                await asyncio.gather(*(service.set(guild, "demo", key, value)
                                       for guild in {guilds!r}
                                       for key, value in (("lead_minutes", 15), ("greeting", "hoi"))))
                print(service.stats()["write_batches"])

        asyncio.run(main())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.splitlines()[-1]) < 2 * len(guilds)  # the writes did share statements (and NOTIFYs)

    async def all_seen() -> bool:
        return all([await settings.get(guild, "demo", "lead_minutes") == 15 for guild in guilds])

    await wait_for(all_seen)
    assert [await settings.get(guild, "demo", "greeting") for guild in guilds] == ["hoi"] * len(guilds)
    misses = settings.misses
    assert await settings.get(untouched, "demo", "lead_minutes") == 60
    assert settings.misses == misses  # only the guilds named were forgotten, not the whole cache


async def test_listener_reconnects_and_empties_the_cache(settings: SettingsService, db: Database) -> None:
    assert await settings.get(GUILD_A, "demo", "greeting") == "hello"
    pid = settings._listener.get_server_pid()  # type: ignore[union-attr]
    await db.execute("SELECT pg_terminate_backend($1)", pid)
    # While the listener is away, a change lands without a notification reaching us.
    await db.execute(
        "INSERT INTO bot_settings (guild_id, scope, key, value, value_type) VALUES ($1, 'demo', 'greeting', $2, 'str')",
        GUILD_A, "changed behind our back",
    )

    async def reconnected() -> bool:
        return settings.reconnects >= 1 and settings.listening

    await wait_for(reconnected, timeout=15)
    assert await settings.get(GUILD_A, "demo", "greeting") == "changed behind our back"


async def test_settings_error_messages_are_user_facing(settings: SettingsService) -> None:
    with pytest.raises(SettingsError, match="give the scope of the key too"):
        await settings.history(GUILD_A, None, "timezone")

"""Database outage figures (issue: members get an answer while the database is away).
Prints ``name: value unit`` lines.

The bot with the FAQ plugin against the emulator and its own embedded PostgreSQL, which
is stopped under it; then 20 members at a time use ``/faq search`` (a plugin command:
the gate reads the plugin switch) and ``/settings show`` (a core command that reads the
database itself):

- answers given, and answered within Discord's 3 s (target: all);
- answer time p50/p95/max in ms while the server is down (target max < 3000 ms);
- the same with the server up but every pool connection busy (the read gives up);
- uses kept in ``audit_logs`` once the server is back, of those sent (target: all).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from alphapy.db.embedded import EmbeddedPostgres
from alphapy.errors import UNAVAILABLE_MESSAGE
from alphapy.log import configure_logging
from alphapy.testing.bot import running_alphapy
from alphapy.testing.emulator import DiscordEmulator

MEMBERS = 20
ROUNDS = 10  # each member uses both commands this many times
DISCORD_DEADLINE = 3.0
UNAVAILABLE = UNAVAILABLE_MESSAGE.split("(")[0]


async def use_all(emulator: DiscordEmulator, members: list[Any], host: Any, rounds: int) -> list[float]:
    """Every member, concurrently, ``rounds`` times: seconds per answer (all must be the apology)."""
    seconds: list[float] = []

    async def one(member: Any, command: str, **options: Any) -> None:
        started = time.perf_counter()
        reply = await emulator.slash(member, command, **options)
        seconds.append(time.perf_counter() - started)
        assert reply.content.startswith(UNAVAILABLE), reply.content

    async def member_uses(member: Any) -> None:
        for _ in range(rounds):
            await one(member, "faq search", query="vpn")
            await one(host, "settings show", scope="core")

    await asyncio.gather(*(member_uses(m) for m in members))
    return seconds


def report(name: str, seconds: list[float]) -> None:
    ms = sorted(s * 1000 for s in seconds)
    print(f"{name}_answers: {len(ms)} uses")
    print(f"{name}_within_3s: {sum(s < DISCORD_DEADLINE * 1000 for s in ms)} uses")
    print(f"{name}_p50: {statistics.median(ms):.1f} ms")
    print(f"{name}_p95: {ms[int(len(ms) * 0.95) - 1]:.1f} ms")
    print(f"{name}_max: {ms[-1]:.1f} ms")


async def run(folder: Path) -> None:
    from alphapy_faq import plugin as faq

    server = EmbeddedPostgres(folder)
    url = server.start()
    try:
        async with DiscordEmulator() as emulator:
            guild = emulator.add_guild("Outage", owner_name="owner")
            host = guild.add_member("host", permissions=["manage_guild"])
            members = [guild.add_member(f"member{i}") for i in range(MEMBERS)]
            async with running_alphapy(emulator, url, plugins=[("faq", faq)]) as runner:
                bot, services = runner.bot, runner.services
                assert bot is not None and services is not None
                await emulator.slash(members[0], "faq search", query="warm up")
                await services.tracker.flush()
                before = await bot.db.fetchval("SELECT count(*) FROM audit_logs")

                busy = [await bot.db.pool.acquire() for _ in range(bot.config.db_pool_max_size)]
                bot.settings.invalidate(guild.id)
                busy_uses = await use_all(emulator, members[:2], host, 1)
                report("busy", busy_uses)
                for conn in busy:
                    await bot.db.pool.release(conn)

                server.stop()
                await emulator.wait_until(lambda: not bot.settings.listening, timeout=30)
                down = await use_all(emulator, members, host, ROUNDS)
                report("down", down)

                restarted = time.perf_counter()
                server.start()
                await emulator.wait_until(lambda: bot.settings.listening, timeout=60)
                print(f"settings_listener_back_after: {(time.perf_counter() - restarted) * 1000:.0f} ms")
                assert await services.tracker.flush() == 0
                failed = await bot.db.fetchval(
                    "SELECT count(*) FROM audit_logs WHERE error_message = 'DatabaseUnavailable'")
                total = await bot.db.fetchval("SELECT count(*) FROM audit_logs")
                print(f"uses_sent_while_unavailable: {len(busy_uses) + len(down)} uses")
                print(f"uses_kept: {failed} uses ({total - before} new rows)")
    finally:
        server.stop()


def main() -> None:
    configure_logging("error", "json")
    with tempfile.TemporaryDirectory(prefix="alphapy-bench-outage-") as folder:
        asyncio.run(run(Path(folder)))


if __name__ == "__main__":
    main()

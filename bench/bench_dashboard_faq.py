"""The FAQ plugin's dashboard pages with 10,000 entries and 10,000 logged searches in the
server (issue 17). Prints ``name: value unit`` lines.

The real bot with the FAQ plugin against the emulator, the dashboard beside it, PostgreSQL
local: a staff member (``faq.staff_role``) opens the entries (the first 200, then a title
search), an entry's editor with its preview, the search analytics over 30 days and the
proposals, one request at a time. The baseline is the core's own server overview
(``/guilds/{id}``) opened by the host in the same run, so the ratio says what the plugin's
queries add. Target: p95 < 50 ms. Uses ``TEST_DATABASE_URL`` when set, else an embedded
PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from alphapy_faq import plugin as faq
from dashboard_bench import Samples, bot_and_dashboard, report, run, signed_in, timed

from alphapy.runner import BotRunner
from alphapy.testing.emulator import DiscordEmulator

ROWS = 10_000
PLUGINS = [("faq", faq)]


async def seed(db: Any, guild_id: int) -> None:
    """10,000 entries (the search vocabulary is not needed by these pages) and 10,000 searches
    over 30 days, one in five finding nothing."""
    await db.execute(
        """INSERT INTO faq_entries (guild_id, title, summary, keywords)
           SELECT $1, 'How do I fix problem number ' || n, 'Restart it, then try step ' || n || ' again.',
                  ARRAY['problem', 'fix' || n % 50]
             FROM generate_series(1, $2) AS n""", guild_id, ROWS)
    await db.execute(
        """INSERT INTO faq_search_logs (guild_id, user_id, query, results_count, searched_at)
           SELECT $1, 1000 + n % 300, 'question ' || n % 400, CASE WHEN n % 5 = 0 THEN 0 ELSE 3 END,
                  now() - (n % 30) * interval '1 day'
             FROM generate_series(1, $2) AS n""", guild_id, ROWS)
    await db.execute("VACUUM ANALYZE faq_entries")
    await db.execute("VACUUM ANALYZE faq_search_logs")


async def measure(url: str) -> Samples:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Bench", members=0)
    writers = guild.add_role("Writers")
    host, staff = guild.owner, guild.add_member("staff", roles=[writers])

    async def prepare(runner: BotRunner) -> None:
        await runner.bot.settings.set(guild.id, "faq", "staff_role", writers.id)
        await seed(runner.bot.db, guild.id)

    async with bot_and_dashboard(emulator, url, PLUGINS, prepare) as (runner, dashboard):
        last = await runner.bot.db.fetchval("SELECT max(id) FROM faq_entries WHERE guild_id = $1", guild.id)
        base = f"/guilds/{guild.id}"
        found = {}
        async with signed_in(dashboard, host) as browser:
            found["baseline_overview"] = await timed(browser, base, "Bench")
        async with signed_in(dashboard, staff) as browser:
            found["faq_entries"] = await timed(browser, f"{base}/faq", "How do I fix")
            found["faq_entries_search"] = await timed(browser, f"{base}/faq", "problem number 99", q="number 99")
            found["faq_editor"] = await timed(browser, f"{base}/faq/entry/{last}", "How it looks")
            found["faq_searches"] = await timed(browser, f"{base}/faq/searches", "found nothing", period="30d")
            found["faq_proposals"] = await timed(browser, f"{base}/faq/proposals", "Waiting")
        return found


async def main() -> None:
    report(await run(PLUGINS, measure), "baseline_overview", style="inline", baseline_label="the overview")
    print(f"dashboard_faq_rows: {ROWS} entries, {ROWS} searches")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

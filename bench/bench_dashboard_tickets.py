"""The tickets plugin's dashboard pages with 10,000 tickets in the server (issue 17). Prints
``name: value unit`` lines.

The real bot with the tickets plugin against the emulator, the dashboard beside it,
PostgreSQL local: a staff member (``tickets.staff_role``) opens the tickets list (default
filter, then claimed by nobody and older than 7 days), a ticket's page and the statistics,
one request at a time. The baseline is the core's own server overview (``/guilds/{id}``)
opened by the host in the same run, so the ratio says what the plugin's queries add.
Target: p95 < 50 ms. Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from alphapy_tickets import plugin as tickets
from alphapy_tickets.metrics import take_snapshot
from dashboard_bench import Samples, bot_and_dashboard, report, run, signed_in, timed

from alphapy.runner import BotRunner
from alphapy.testing.emulator import DiscordEmulator

TICKETS = 10_000
PLUGINS = [("tickets", tickets)]


async def seed(db: Any, guild_id: int, staff_id: int) -> None:
    """10,000 tickets over 90 days in every status, a third of them claimed by the staff member."""
    await db.execute(
        """INSERT INTO support_tickets (guild_id, user_id, username, description, status, created_at,
                                        updated_at, claimed_by, closed_at)
           SELECT $1, 1000 + n % 5000, 'member', 'a problem that needs a hand',
                  (ARRAY['open','claimed','waiting_for_user','escalated','closed','archived',
                         'closed','archived','archived'])[1 + n % 9],
                  now() - (n % 90) * interval '1 day' - (n % 1440) * interval '1 minute', now(),
                  CASE WHEN n % 3 = 0 THEN $3::bigint END,
                  CASE WHEN n % 9 IN (4, 5, 6, 7, 8) THEN now() - (n % 90) * interval '1 day' END
             FROM generate_series(1, $2) AS n""", guild_id, TICKETS, staff_id)
    await db.execute("VACUUM ANALYZE support_tickets")


async def measure(url: str) -> Samples:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Bench", members=0)
    support = guild.add_role("Support")
    host, staff = guild.owner, guild.add_member("staff", roles=[support])

    async def prepare(runner: BotRunner) -> None:
        db = runner.bot.db
        await runner.bot.settings.set(guild.id, "tickets", "staff_role", support.id)
        await seed(db, guild.id, staff.id)
        await take_snapshot(db, guild_id=guild.id, scope="30d", timezone="UTC", triggered_by=staff.id)

    async with bot_and_dashboard(emulator, url, PLUGINS, prepare) as (runner, dashboard):
        oldest = await runner.bot.db.fetchval("SELECT min(id) FROM support_tickets WHERE guild_id = $1", guild.id)
        base = f"/guilds/{guild.id}"
        found = {}
        async with signed_in(dashboard, host) as browser:
            found["baseline_overview"] = await timed(browser, base, "Bench")
        async with signed_in(dashboard, staff) as browser:
            found["tickets_list"] = await timed(browser, f"{base}/tickets", "ticket")
            found["tickets_list_filtered"] = await timed(browser, f"{base}/tickets", "ticket",
                                                         claimed="none", older="7", status="all")
            found["ticket_page"] = await timed(browser, f"{base}/tickets/ticket/{oldest}", f"Ticket #{oldest}")
            found["ticket_stats"] = await timed(browser, f"{base}/tickets/stats", "Opened", period="30d")
        return found


async def main() -> None:
    report(await run(PLUGINS, measure), "baseline_overview", style="inline", baseline_label="the overview")
    print(f"dashboard_tickets_rows: {TICKETS} tickets")


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

"""``alphapy reminders list --guild ID``: what a server has scheduled, for operators."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(commands: Any) -> None:
    parser = commands.add_parser("reminders", help="the reminders plugin's operator commands")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    listing = sub.add_parser("list", help="a server's reminders with their next fire time (UTC)")
    listing.add_argument("--guild", type=int, required=True, help="the server's id")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_list)
    parser.set_defaults(handler=lambda _args: parser.print_help() or 2)


def _list(args: argparse.Namespace) -> int:
    from alphapy.cli import print_json, print_table, run_with_services
    from alphapy_reminders import store
    from alphapy_reminders.days import format_days, from_db

    async def body(services: Any) -> list[Any]:
        async with services.db.acquire() as conn:
            return await store.all_for_guild(conn, args.guild)

    rows = run_with_services(body)
    if args.json:
        print_json([{k: v for k, v in dict(r).items()} for r in rows])
        return 0
    print_table(
        ["id", "name", "channel", "days", "time", "event", "next (utc)", "state"],
        [[r["id"], r["name"][:40], r["channel_id"], format_days(from_db(r["days"])), r["time"], r["event_time"],
          r["next_fire_at"], r["disabled_reason"] or ("paused" if r["paused"] else "")] for r in rows],
    )
    return 0

"""``alphapy tickets stats``: the operator's ticket numbers across every guild.

Like ``/ticket stats`` it stores a ``ticket_metrics`` snapshot, with ``guild_id`` NULL
(all guilds) and no ``triggered_by`` (an operator on the command line is no Discord user).
"""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(commands: Any) -> None:
    tickets = commands.add_parser("tickets", help="support tickets: numbers across all guilds",
                                  description="Operator commands of the tickets plugin.")
    sub = tickets.add_subparsers(title="tickets commands", metavar="COMMAND", required=True)
    stats = sub.add_parser("stats", help="counts per status, time to close, tickets per day (stores a snapshot)")
    stats.add_argument("period", nargs="?", choices=("7d", "30d", "all"), default="7d",
                       help="tickets opened in the last 7 or 30 days, or all (default 7d)")
    stats.add_argument("--json", action="store_true", help="print the snapshot as JSON")
    stats.set_defaults(handler=_stats)


def _stats(args: argparse.Namespace) -> int:
    from alphapy.cli import EXIT_OK, print_json, print_table, run_with_services
    from alphapy_tickets.embeds import duration
    from alphapy_tickets.metrics import take_snapshot

    snapshot = run_with_services(lambda services: take_snapshot(services.db, guild_id=None, scope=args.period,
                                                  timezone="UTC", triggered_by=None))
    if args.json:
        print_json({"id": snapshot.id, **snapshot.as_json()})
        return EXIT_OK
    print(f"Tickets opened {'in the last ' + args.period if args.period != 'all' else 'ever'}, all guilds "
          f"(snapshot #{snapshot.id})")
    print_table(["status", "tickets"], [[status, count] for status, count in snapshot.counts.items()])
    print(f"total {snapshot.total} · per day {snapshot.per_day:.1f} · "
          f"average open to close {duration(snapshot.average_cycle_time)} over {snapshot.closed} closed")
    return EXIT_OK

"""``alphapy premium grant|revoke|list|show``: operators' way to the local subscriptions.

Changes go through :mod:`alphapy_premium.ledger`, the same rules as the webhook and
``/premium_transfer`` (one active subscription per user, tiers, lifetime without expiry).
Arguments are checked by argparse before anything connects: ids must be Discord ids,
times ISO dates. Refusals exit 1 with one sentence; usage errors exit 2. Only argparse
is imported here: ``alphapy --help`` loads this module.
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alphapy import Database
    from alphapy_premium.config import PremiumConfig

#: one command's work, given the bot's database, the premium configuration and the arguments
CommandBody = Callable[["Database", "PremiumConfig", argparse.Namespace], Awaitable[int]]

MAX_SNOWFLAKE = (1 << 63) - 1
MAX_SERIAL = (1 << 31) - 1
TIERS = ("monthly", "yearly", "lifetime")
STATUSES = ("active", "cancelled", "expired")


def snowflake(text: str) -> int:
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_SNOWFLAKE:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a Discord id (a positive 64-bit number)")
    return int(text)


def subscription_id(text: str) -> int:
    text = text.strip().lstrip("#")
    if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_SERIAL:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a subscription number")
    return int(text)


def instant(text: str) -> datetime:
    """``2030-01-31`` (00:00 UTC that day) or an ISO 8601 time (UTC when it has no offset)."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a date such as 2030-01-31 or "
                                         "2030-01-31T18:00:00+01:00") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def limit(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError("the limit is a number from 1 to 1000")
    return int(text)


def external_id(text: str) -> str:
    if not 1 <= len(text) <= 200 or not all(33 <= ord(c) <= 126 for c in text):
        raise argparse.ArgumentTypeError("an external id is 1 to 200 visible ASCII characters")
    return text


def add_parser(commands: Any) -> None:
    premium = commands.add_parser(
        "premium", help="grant, revoke and inspect premium subscriptions",
        description="Premium subscriptions in the local table (one active subscription per user).",
    )
    sub = premium.add_subparsers(title="premium commands", metavar="COMMAND", required=True)

    grant = sub.add_parser("grant", help="give a user an active subscription in a guild")
    grant.add_argument("--user", type=snowflake, required=True, metavar="ID", help="the user's Discord id")
    grant.add_argument("--guild", type=snowflake, required=True, metavar="ID", help="the guild it applies to")
    grant.add_argument("--tier", choices=TIERS, required=True)
    grant.add_argument("--expires", type=instant, metavar="WHEN",
                       help="end (default: a calendar month or year from now; lifetime: never)")
    grant.add_argument("--external-id", type=external_id, metavar="ID", help="the billing system's subscription id")
    grant.add_argument("--json", action="store_true", help="print JSON")
    grant.set_defaults(handler=lambda args: _run(_grant, args))

    revoke = sub.add_parser("revoke", help="end a subscription now (by number, or all of a user's)")
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=subscription_id, metavar="N", help="the subscription number")
    which.add_argument("--user", type=snowflake, metavar="ID", help="every running subscription of this user")
    revoke.add_argument("--json", action="store_true")
    revoke.set_defaults(handler=lambda args: _run(_revoke, args))

    listing = sub.add_parser("list", help="subscriptions, newest first")
    listing.add_argument("--guild", type=snowflake, metavar="ID")
    listing.add_argument("--user", type=snowflake, metavar="ID")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--limit", type=limit, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=lambda args: _run(_list, args))

    show = sub.add_parser("show", help="a user's subscriptions and whether they have premium in a guild")
    show.add_argument("--user", type=snowflake, required=True, metavar="ID")
    show.add_argument("--guild", type=snowflake, metavar="ID", help="also say whether premium applies here now")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=lambda args: _run(_show, args))


def _run(body: CommandBody, args: argparse.Namespace) -> int:
    from alphapy.cli import EXIT_USAGE, fail, run_with_services
    from alphapy_premium.config import PremiumConfigError, load_premium_config
    from alphapy_premium.ledger import AlreadyActive, Refusal

    try:
        config = load_premium_config()
    except PremiumConfigError as exc:
        return fail(str(exc), EXIT_USAGE)
    try:
        return run_with_services(lambda services: body(services.db, config, args))
    except Refusal as exc:
        return fail(str(exc))
    except AlreadyActive as exc:
        existing = exc.existing
        hint = (f" (#{existing['id']} in guild {existing['guild_id']}); revoke it first with "
                f"`alphapy premium revoke --id {existing['id']}`" if existing is not None else "")
        return fail(f"user {exc.user_id} already has an active subscription{hint}")


def _rows(subs: list[Any]) -> list[tuple[Any, ...]]:
    return [(s.id, s.user_id, s.guild_id, s.tier, s.status, s.expires_at or "never", s.external_id,
             s.last_transferred_at) for s in subs]


HEADERS = ["id", "user", "guild", "tier", "status", "expires", "external id", "moved"]


async def _grant(db: Database, config: PremiumConfig, args: argparse.Namespace) -> int:
    from datetime import timedelta

    from alphapy.cli import print_json
    from alphapy_premium.ledger import grant

    sub = await grant(db, user_id=args.user, guild_id=args.guild, tier=args.tier, expires_at=args.expires,
                      external_id=args.external_id, grace=timedelta(hours=config.expiry_grace_hours))
    if args.json:
        print_json(sub.export())
    else:
        until = f"until {sub.expires_at.isoformat(timespec='seconds')}" if sub.expires_at else "with no end"
        print(f"granted #{sub.id}: user {sub.user_id} has {sub.tier} premium in guild {sub.guild_id} {until}")
    return 0


async def _revoke(db: Database, config: PremiumConfig, args: argparse.Namespace) -> int:
    from alphapy.cli import print_json
    from alphapy_premium.ledger import revoke

    ended = await revoke(db, sub_id=args.id, user_id=args.user)
    if args.json:
        print_json([s.export() for s in ended])
    elif not ended:
        print("nothing to revoke: no running subscription" + (f" #{args.id}" if args.id else f" of user {args.user}"))
    else:
        print("\n".join(f"revoked #{s.id} (user {s.user_id}, guild {s.guild_id}, {s.tier})" for s in ended))
    return 0


async def _list(db: Database, config: PremiumConfig, args: argparse.Namespace) -> int:
    from alphapy.cli import print_json, print_table
    from alphapy_premium import store
    from alphapy_premium.model import Subscription

    subs = [Subscription.from_row(r) for r in await store.search(
        db, guild_id=args.guild, user_id=args.user, status=args.status, limit=args.limit)]
    if args.json:
        print_json([s.export() for s in subs])
    else:
        print_table(HEADERS, _rows(subs))
    return 0


async def _show(db: Database, config: PremiumConfig, args: argparse.Namespace) -> int:
    from alphapy.cli import print_json, print_table
    from alphapy_premium import store
    from alphapy_premium.model import Subscription
    from alphapy_premium.service import PremiumService

    subs = [Subscription.from_row(r) for r in await store.of_user(db, args.user)]
    answer = None
    if args.guild is not None:
        service = PremiumService(db, config)  # billing (if configured), then the local table
        try:
            answer = await service.status(args.user, args.guild)
        finally:
            await service.close()
    if args.json:
        print_json({"user_id": str(args.user), "subscriptions": [s.export() for s in subs],
                    "premium": None if answer is None else {
                        "guild_id": str(args.guild), "active": answer.active, "tier": answer.tier,
                        "status": answer.status, "expires_at": answer.expires_at, "source": answer.source}})
        return 0
    if subs:
        print_table(HEADERS, _rows(subs))
    else:
        print(f"user {args.user} has no subscriptions")
    if answer is not None:
        verdict = "has" if answer.active else "does not have"
        print(f"user {args.user} {verdict} premium in guild {args.guild} now (source: {answer.source})")
    return 0

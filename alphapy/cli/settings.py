"""``alphapy settings``: guild settings for hosts and operators, from the command line.

Values are given as text and parsed by the setting's type, exactly as ``/settings set``
does; a refused value exits non-zero with the sentence that says what is expected. A
role the bot gives or pings is the operator's choice, but they are told what it can do
(``note: @Admins has Administrator; ...``, on stderr; see :mod:`alphapy.cli.roles`).
"""

from __future__ import annotations

import argparse
from typing import Any

from alphapy.cli import EXIT_OK


def _guild(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--guild", type=int, required=True, metavar="ID", help="the guild (server) id")
    parser.add_argument("--json", action="store_true", help="print JSON")


def add_parser(commands: Any) -> None:
    settings = commands.add_parser(
        "settings", help="show and change guild settings (with history and rollback)",
        description="Guild settings: every change is validated and recorded in the history.",
    )
    sub = settings.add_subparsers(title="settings commands", metavar="COMMAND", required=True)

    listing = sub.add_parser("list", help="every setting of a guild (or of one scope) with its value")
    _guild(listing)
    listing.add_argument("scope", nargs="?", help="only this scope (core, plugins, a plugin name)")
    listing.set_defaults(handler=lambda args: _run(_list, args))

    get = sub.add_parser("get", help="one setting's value")
    _guild(get)
    get.add_argument("scope")
    get.add_argument("key")
    get.set_defaults(handler=lambda args: _run(_get, args))

    put = sub.add_parser("set", help="change a setting (the value is parsed by its type)")
    _guild(put)
    put.add_argument("scope")
    put.add_argument("key")
    put.add_argument("value")
    put.add_argument("--by", type=int, metavar="USER_ID", help="record this user as the one who changed it")
    put.set_defaults(handler=lambda args: _run_as_operator(_set, args))

    reset = sub.add_parser("reset", help="remove a guild's value: back to the default")
    _guild(reset)
    reset.add_argument("scope")
    reset.add_argument("key")
    reset.add_argument("--by", type=int, metavar="USER_ID")
    reset.set_defaults(handler=lambda args: _run(_reset, args))

    history = sub.add_parser("history", help="changes, newest first")
    _guild(history)
    history.add_argument("scope", nargs="?")
    history.add_argument("key", nargs="?")
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--before", type=int, metavar="HISTORY_ID", help="the page before this entry")
    history.set_defaults(handler=lambda args: _run(_history, args))

    rollback = sub.add_parser("rollback", help="put a setting back to the value a history entry recorded")
    _guild(rollback)
    rollback.add_argument("history_id", type=int)
    rollback.add_argument("--by", type=int, metavar="USER_ID")
    rollback.set_defaults(handler=lambda args: _run_as_operator(_rollback, args))


def _run(body: Any, args: argparse.Namespace) -> int:
    from alphapy.cli.context import run

    return run(lambda services: body(services.settings, args))


def _run_as_operator(body: Any, args: argparse.Namespace) -> int:
    """Run a change as the operator, with the role rules' notes printed to stderr."""
    from alphapy.cli.context import run
    from alphapy.cli.roles import operator_role_check

    async def judged(services: Any) -> int:
        async with operator_role_check(services.settings, services.config) as notes:
            try:
                return await body(services.settings, args)
            finally:
                notes.print()

    return run(judged)


def _entry(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id, "setting": f"{entry.scope}.{entry.key}", "change": entry.change_type,
        "old_value": entry.old_value, "new_value": entry.new_value, "changed_by": entry.changed_by,
        "changed_at": entry.changed_at,
    }


async def _list(settings: Any, args: argparse.Namespace) -> int:
    from alphapy.cli.output import print_json, print_table

    values = await settings.describe(args.guild, args.scope)
    if args.json:
        print_json([{"setting": v.spec.full_name, "value": v.value, "default": v.is_default,
                     "type": v.spec.type.name, "help": v.spec.help} for v in values])
    else:
        print_table(["setting", "value", "type", "help"],
                    [(v.spec.full_name, v.display + (" (default)" if v.is_default else ""), v.spec.type.name,
                      v.spec.help) for v in values])
    return EXIT_OK


async def _get(settings: Any, args: argparse.Namespace) -> int:
    from alphapy.cli.output import print_json

    spec = settings.spec(args.scope, args.key)
    value = await settings.get(args.guild, args.scope, args.key)
    if args.json:
        print_json({"setting": spec.full_name, "value": value})
    else:
        print(spec.type.display(value))
    return EXIT_OK


async def _set(settings: Any, args: argparse.Namespace) -> int:
    from alphapy.authority import OPERATOR
    from alphapy.cli.output import print_json

    entry = await settings.set(args.guild, args.scope, args.key, args.value, changed_by=args.by, from_text=True,
                               actor=OPERATOR)
    if args.json:
        print_json(_entry(entry))
    else:
        shown = settings.spec(args.scope, args.key).type.display(entry.new_value)
        print(f"{args.scope}.{args.key} = {shown} ({entry.change_type}, history #{entry.id})")
    return EXIT_OK


async def _reset(settings: Any, args: argparse.Namespace) -> int:
    from alphapy.cli.output import print_json

    entry = await settings.reset(args.guild, args.scope, args.key, changed_by=args.by)
    spec = settings.spec(args.scope, args.key)
    if args.json:
        print_json(_entry(entry) if entry else None)
    elif entry is None:
        print(f"{spec.full_name} already had its default ({spec.type.display(spec.default)})")
    else:
        print(f"{spec.full_name} reset to its default {spec.type.display(spec.default)} (history #{entry.id})")
    return EXIT_OK


async def _history(settings: Any, args: argparse.Namespace) -> int:
    from alphapy.cli.output import print_json, print_table

    entries = await settings.history(args.guild, args.scope, args.key, before_id=args.before, limit=args.limit)
    if args.json:
        print_json([_entry(e) for e in entries])
    else:
        print_table(["id", "when", "setting", "change", "old", "new", "by"],
                    [(e.id, e.changed_at, f"{e.scope}.{e.key}", e.change_type, _short(e.old_value),
                      _short(e.new_value), e.changed_by) for e in entries])
    return EXIT_OK


async def _rollback(settings: Any, args: argparse.Namespace) -> int:
    from alphapy.authority import OPERATOR
    from alphapy.cli.output import print_json

    entry = await settings.rollback(args.guild, args.history_id, changed_by=args.by, actor=OPERATOR)
    if args.json:
        print_json(_entry(entry))
    else:
        print(f"{entry.scope}.{entry.key} rolled back to history #{args.history_id} (history #{entry.id})")
    return EXIT_OK


def _short(value: Any) -> str | None:
    if value is None:
        return None
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."

"""``alphapy faq``: the operators' door to the global entries every guild sees.

Guild staff write their own entries in Discord; global entries (``guild_id`` NULL)
belong to whoever runs the bot, so they are managed here, through the same validation
and vocabulary upkeep as ``/faq add``. Imports stay inside the handlers: ``alphapy
--help`` loads this module.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alphapy import Database

EXIT_OK = 0
EXIT_FAILURE = 1


def add_parser(commands: Any) -> None:
    faq = commands.add_parser("faq", help="manage the global FAQ entries (seen by every server)",
                              description="Global FAQ entries: every server's /faq search sees them; "
                                          "only operators change them.")
    sub = faq.add_subparsers(title="faq commands", metavar="COMMAND", required=True)

    listing = sub.add_parser("list", help="list global entries (or one server's own with --guild)")
    listing.add_argument("--guild", type=int, metavar="ID", help="list this server's own entries instead")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=lambda args: _run(_list, args))

    add = sub.add_parser("add", help="add a global entry")
    add.add_argument("--title", required=True)
    add.add_argument("--summary", required=True, help="the answer")
    add.add_argument("--keywords", default="", help="comma-separated")
    add.set_defaults(handler=lambda args: _run(_add, args))

    edit = sub.add_parser("edit", help="change a global entry (only the parts given)")
    edit.add_argument("id", type=int)
    edit.add_argument("--title")
    edit.add_argument("--summary")
    edit.add_argument("--keywords", help="comma-separated; replaces the keywords")
    edit.set_defaults(handler=lambda args: _run(_edit, args))

    remove = sub.add_parser("remove", help="remove a global entry")
    remove.add_argument("id", type=int)
    remove.set_defaults(handler=lambda args: _run(_remove, args))

    load = sub.add_parser("import", help="add or update global entries from a JSON file",
                          description="The file holds a list of {\"title\", \"summary\", \"keywords\"} objects "
                                      "(keywords a list or a comma-separated string). An entry whose title "
                                      "exists is updated; the file is checked whole before anything is written.")
    load.add_argument("file", help="a JSON file, or - for standard input")
    load.set_defaults(handler=lambda args: _run(_import, args))


def _run(body: Callable[[Database, argparse.Namespace], Awaitable[int]], args: argparse.Namespace) -> int:
    from alphapy.cli import run_with_services
    from alphapy_faq.entries import EntryError

    try:
        return run_with_services(lambda services: body(services.db, args))
    except EntryError as exc:
        print(f"alphapy: {exc}", file=sys.stderr)
        return EXIT_FAILURE


def _show(record: Any) -> dict[str, Any]:
    return {"id": record["id"], "guild_id": record["guild_id"], "title": record["title"],
            "summary": record["summary"], "keywords": list(record["keywords"] or []),
            "created_at": record["created_at"].isoformat() if record["created_at"] else None}


async def _list(db: Database, args: argparse.Namespace) -> int:
    from alphapy.cli import print_json, print_table
    from alphapy_faq import store

    async with db.acquire() as conn:
        records = await store.list_entries(conn, args.guild, limit=100_000)
    if args.json:
        print_json([_show(r) for r in records])
    else:
        print_table(["id", "title", "keywords"],
                    [(r["id"], r["title"], ", ".join(r["keywords"] or [])) for r in records])
    return EXIT_OK


async def _add(db: Database, args: argparse.Namespace) -> int:
    from alphapy_faq import entries

    draft = entries.Draft.parse(args.title, args.summary, args.keywords)
    async with db.acquire() as conn:
        record = await entries.add(conn, None, draft, None)
    print(f"added global FAQ entry #{record['id']}: {record['title']}")
    return EXIT_OK


async def _edit(db: Database, args: argparse.Namespace) -> int:
    from alphapy_faq import entries, store

    async with db.acquire() as conn:
        current = await store.entry_in_scope(conn, args.id, None)
        if current is None:
            raise entries.EntryError(f"there is no global FAQ entry #{args.id}")
        draft = entries.Draft.parse(
            args.title if args.title is not None else current["title"],
            args.summary if args.summary is not None else current["summary"],
            args.keywords if args.keywords is not None else list(current["keywords"] or []))
        record = await entries.edit(conn, args.id, None, draft, None)
    if record is None:
        raise entries.EntryError(f"there is no global FAQ entry #{args.id}")
    print(f"updated global FAQ entry #{record['id']}: {record['title']}")
    return EXIT_OK


async def _remove(db: Database, args: argparse.Namespace) -> int:
    from alphapy_faq import entries

    async with db.acquire() as conn:
        removed = await entries.remove(conn, args.id, None)
    if removed is None:
        raise entries.EntryError(f"there is no global FAQ entry #{args.id}")
    print(f"removed global FAQ entry #{removed['id']}: {removed['title']}")
    return EXIT_OK


def _read_drafts(source: str) -> list[Any]:
    from pathlib import Path

    from alphapy import JsonInputError, load_json_input
    from alphapy_faq.entries import Draft, EntryError

    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EntryError(f"cannot read {source}: {exc}") from None
    try:
        items = load_json_input(text)  # deep nesting or a huge number: a sentence, not a traceback
    except JsonInputError as exc:
        raise EntryError(f"cannot read {source}: it is {exc.problem}") from None
    if not isinstance(items, list):
        raise EntryError("the file must hold a JSON list of entries")
    drafts = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise EntryError(f"entry {number}: expected an object with title, summary and keywords")
        keywords = item.get("keywords") or []
        if not isinstance(keywords, (str, list)) or (isinstance(keywords, list)
                                                      and not all(isinstance(k, str) for k in keywords)):
            raise EntryError(f"entry {number}: keywords must be a list of strings or a comma-separated string")
        try:
            drafts.append(Draft.parse(str(item.get("title") or ""), str(item.get("summary") or ""), keywords))
        except EntryError as exc:
            raise EntryError(f"entry {number}: {exc}") from None
    titles = [d.title.lower() for d in drafts]
    duplicates = sorted({t for t in titles if titles.count(t) > 1})
    if duplicates:
        raise EntryError(f"the file has the same title more than once: {', '.join(duplicates[:3])}")
    return drafts


async def _import(db: Database, args: argparse.Namespace) -> int:
    from alphapy_faq import entries, store

    drafts = _read_drafts(args.file)
    new = []
    updated = 0
    async with db.transaction() as conn:
        for draft in drafts:
            existing = await store.entry_by_title(conn, None, draft.title)
            if existing is None:
                new.append((None, draft))
            else:
                await entries.edit(conn, existing["id"], None, draft, None)
                updated += 1
        added = await entries.add_many(conn, new)  # thousands of entries in seconds, not minutes
    print(f"imported {len(drafts)} global FAQ entries: {added} added, {updated} updated")
    return EXIT_OK

"""``alphapy faq``: the operators' global entries, through the real command line (in process,
with the installed plugin's entry point and a migrated database)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from alphapy_faq import search

from alphapy import Database
from alphapy.cli import main

GUILD = 333_333_333_333_333_333


@pytest.fixture
def cli(migrated_database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """Run ``alphapy ...``; returns (exit code, stdout, stderr)."""
    monkeypatch.setenv("DATABASE_URL", migrated_database_url)
    monkeypatch.setenv("ALPHAPY_PLUGINS", "faq")
    monkeypatch.delenv("LOG_LEVEL", raising=False)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def query(url: str, sql: str, *args: Any) -> list[Any]:
    async def go() -> list[Any]:
        async with Database(url, min_size=1, max_size=1, tracker_size=1) as db:
            return [dict(r) for r in await db.fetch(sql, *args)]

    return asyncio.run(go())


def found(url: str, text: str, guild: int = GUILD) -> list[str]:
    async def go() -> list[str]:
        async with Database(url, min_size=1, max_size=1, tracker_size=1) as db, db.acquire() as conn:
            return [h.title for h in (await search.search(conn, guild, text)).hits]

    return asyncio.run(go())


def test_add_list_edit_remove(cli, migrated_database_url) -> None:
    code, out, _ = cli("faq", "add", "--title", "How do I reset my password?", "--summary", "Settings, Account.",
                       "--keywords", "password, Login")
    assert code == 0 and out.startswith("added global FAQ entry #1")
    code, out, _ = cli("faq", "list", "--json")
    [entry] = json.loads(out)
    assert (entry["guild_id"], entry["keywords"]) == (None, ["password", "login"])
    assert found(migrated_database_url, "pasword") == ["How do I reset my password?"]  # vocabulary kept

    code, out, _ = cli("faq", "edit", "1", "--summary", "Settings, Account, Reset password.")
    assert code == 0 and out == "updated global FAQ entry #1: How do I reset my password?\n"
    rows = query(migrated_database_url, "SELECT title, summary, keywords FROM faq_entries")
    assert rows == [{"title": "How do I reset my password?", "summary": "Settings, Account, Reset password.",
                     "keywords": ["password", "login"]}]
    code, out, _ = cli("faq", "list")
    assert "How do I reset my password?" in out and "password, login" in out
    code, out, _ = cli("faq", "remove", "1")
    assert code == 0 and out.startswith("removed global FAQ entry #1")
    assert query(migrated_database_url, "SELECT count(*) AS n FROM faq_terms") == [{"n": 0}]


def test_operators_only_touch_global_entries(cli, migrated_database_url) -> None:
    query(migrated_database_url, "INSERT INTO faq_entries (guild_id, title, summary, keywords) "
                                 "VALUES ($1, 'Server rules', 'Be kind.', '{}')", GUILD)
    for argv in (("faq", "edit", "1", "--title", "Mine"), ("faq", "remove", "1"), ("faq", "edit", "99")):
        code, _, err = cli(*argv)
        assert code == 1 and err.strip() == f"alphapy: there is no global FAQ entry #{argv[2]}"
    code, out, _ = cli("faq", "list", "--guild", str(GUILD), "--json")
    assert [e["title"] for e in json.loads(out)] == ["Server rules"]
    code, out, _ = cli("faq", "list", "--json")
    assert json.loads(out) == []


def test_bad_input_is_refused_with_one_line(cli) -> None:
    code, _, err = cli("faq", "add", "--title", "x" * 101, "--summary", "text")
    assert code == 1 and err == "alphapy: A title can be at most 100 characters.\n"
    code, _, err = cli("faq", "add", "--title", "Title", "--summary", "  ")
    assert code == 1 and err == "alphapy: An FAQ entry needs an answer.\n"
    cli("faq", "add", "--title", "Refunds", "--summary", "Within 14 days.")
    code, _, err = cli("faq", "add", "--title", "REFUNDS", "--summary", "Again.")
    assert code == 1 and "already an entry titled" in err


def test_import_adds_and_updates_all_or_nothing(cli, migrated_database_url, tmp_path: Path) -> None:
    cli("faq", "add", "--title", "Refunds", "--summary", "Old text.")
    good = tmp_path / "faq.json"
    good.write_text(json.dumps([
        {"title": "Refunds", "summary": "Within 14 days.", "keywords": ["refund", "money back"]},
        {"title": "Opening hours", "summary": "From 9 to 5.", "keywords": "hours, open"},
    ]))
    code, out, _ = cli("faq", "import", str(good))
    assert code == 0 and out == "imported 2 global FAQ entries: 1 added, 1 updated\n"
    rows = query(migrated_database_url, "SELECT title, summary, keywords FROM faq_entries ORDER BY id")
    assert rows == [{"title": "Refunds", "summary": "Within 14 days.", "keywords": ["refund", "money back"]},
                    {"title": "Opening hours", "summary": "From 9 to 5.", "keywords": ["hours", "open"]}]

    for content, error in [
        ("not json", "cannot read"),
        ("[" * 5000 + "]" * 5000, "is nested too deeply (at most 32 levels"),
        ("[" + "9" * 5000 + "]", "a number in it has too many digits"),
        ('{"title": "x"}', "the file must hold a JSON list of entries"),
        ('[{"title": "New", "summary": "ok"}, {"title": "", "summary": "x"}]', "entry 2: An FAQ entry needs a title."),
        ('[{"title": "A", "summary": "x", "keywords": [1, 2]}]', "entry 1: keywords must be a list of strings"),
        ('[{"title": "Same", "summary": "x"}, {"title": "same", "summary": "y"}]', "the same title more than once"),
        ('["just a string"]', "entry 1: expected an object"),
    ]:
        bad = tmp_path / "bad.json"
        bad.write_text(content)
        code, _, err = cli("faq", "import", str(bad))
        assert code == 1 and error in err, (content, err)
    assert len(query(migrated_database_url, "SELECT id FROM faq_entries")) == 2  # nothing half-imported
    code, _, err = cli("faq", "import", str(tmp_path / "missing.json"))
    assert code == 1 and err.startswith("alphapy: cannot read")

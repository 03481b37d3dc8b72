"""The ``reminders`` table as the schema reference gives it, its rollback, and index-served due queries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import psycopg
from alphapy_reminders import store

from alphapy.testing import MigrationRunner, assert_tables_match_reference


def test_the_table_matches_the_schema_reference(migrated_database_url: str) -> None:
    assert_tables_match_reference(migrated_database_url, ["reminders"])


def test_rollback_removes_the_tables_and_apply_restores_them(database_url: str, plugin_manager: Any) -> None:
    runner = MigrationRunner(database_url, plugin_manager.migration_sources())
    runner.apply()
    assert runner.rollback("reminders") == ["reminders_0002_dashboard_order", "reminders_0001_init"]
    with psycopg.connect(database_url) as conn:
        left = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    assert not {"reminders", "reminder_images"} & left and "bot_settings" in left
    assert runner.apply() == ["reminders_0001_init", "reminders_0002_dashboard_order"]


def test_constraints_keep_bad_rows_out(migrated_database_url: str) -> None:
    bad = [
        "INSERT INTO reminders (guild_id, name, channel_id, days, time) VALUES (1, '', 2, '{0}', '19:00')",
        "INSERT INTO reminders (guild_id, name, channel_id, days, time) VALUES (1, 'x', 2, '{7}', '19:00')",
        "INSERT INTO reminders (guild_id, name, channel_id, days) VALUES (1, 'x', 2, '{}')",  # neither kind
        ("INSERT INTO reminders (guild_id, name, channel_id, days, time, image_url) "
         "VALUES (1, 'x', 2, '{0}', '19:00', 'http://insecure.example/a.png')"),
    ]
    for statement in bad:
        with psycopg.connect(migrated_database_url) as conn:
            try:
                conn.execute(statement)
            except psycopg.errors.CheckViolation:
                continue
            raise AssertionError(f"accepted: {statement}")


async def test_due_queries_are_index_scans(db: Any) -> None:
    """With many reminders and none due, the claim and next_due read an index, not the table."""
    async with db.acquire() as conn:
        await conn.execute(
            """INSERT INTO reminders (guild_id, name, channel_id, time, call_time, days, next_fire_at)
               SELECT (n % 500 + 1)::bigint << 22, 'r' || n, n, '19:00', '19:00', '{0}',
                      now() + (n || ' minutes')::interval
                 FROM generate_series(1, 20000) AS n""")
        await conn.execute("ANALYZE reminders")
        for query, args in [(store.CLAIM, (datetime.now(UTC), 1, [0], 50, "w", store.LEASE)),
                            (store.NEXT_DUE, (1, [0], store.LEASE))]:
            plan = await conn.fetchval("EXPLAIN (FORMAT JSON) " + query, *args)
            nodes = _nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"])
            assert not [n for n in nodes if n[0] == "Seq Scan" and n[1] == "reminders"], nodes
            assert "idx_reminders_next_fire" in {index for _, _, index in nodes}, nodes
        assert await store.claim_due(conn, datetime.now(UTC), 1, [0], 50) == []


def _nodes(node: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    """(node type, table, index) of every node of a JSON plan."""
    found = [(node["Node Type"], node.get("Relation Name"), node.get("Index Name"))]
    for child in node.get("Plans", []):
        found += _nodes(child)
    return found

"""The core's tables conform to the schema reference, checked through pg_catalog."""

from __future__ import annotations

import psycopg
import pytest

from alphapy.testing.schema import assert_tables_match_reference, compare_table, parse_reference

CORE_TABLES = ["bot_settings", "settings_history", "audit_logs", "health_check_history"]


def test_core_tables_match_the_reference(migrated_database_url: str) -> None:
    assert_tables_match_reference(migrated_database_url, CORE_TABLES)


def test_the_checker_catches_a_departure(migrated_database_url: str) -> None:
    """A check that cannot fail proves nothing: break a table and watch it complain."""
    with psycopg.connect(migrated_database_url, autocommit=True) as conn:
        conn.execute("DROP INDEX idx_health_check_history_service")
        conn.execute("ALTER TABLE audit_logs ALTER COLUMN success SET NOT NULL")
        conn.execute("ALTER TABLE bot_settings ALTER COLUMN value TYPE TEXT")
        problems = compare_table(conn, parse_reference()["health_check_history"])
        problems += compare_table(conn, parse_reference()["audit_logs"])
        problems += compare_table(conn, parse_reference()["bot_settings"])
    assert "health_check_history: missing index idx_health_check_history_service" in problems
    assert "audit_logs.success: must be nullable" in problems
    assert "bot_settings.value: type text, reference says jsonb" in problems
    with pytest.raises(AssertionError):
        assert_tables_match_reference(migrated_database_url, CORE_TABLES)


def test_reference_is_read_whole() -> None:
    tables = parse_reference()
    assert len(tables) == 15
    history = tables["health_check_history"]
    assert [i.columns for i in history.indexes] == [["checked_at DESC"], ["service", "checked_at DESC"]]
    premium = tables["premium_subs"].indexes[-1]
    assert premium.unique and premium.where == "status = 'active'"
    assert tables["bot_settings"].primary_key == ["guild_id", "scope", "key"]

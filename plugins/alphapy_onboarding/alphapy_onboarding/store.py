"""Every SQL statement of the onboarding plugin.

All statements are parameterised and every query of guild data filters by ``guild_id``,
so an id from another server finds nothing. Orders (``step_order``, ``rule_order``) are
kept 1..n without gaps; every change of order happens in one transaction under a
per-guild advisory lock, and goes through negative numbers first because the
``UNIQUE (guild_id, step_order)`` constraint is checked row by row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from alphapy_onboarding.flow import Flow
from alphapy_onboarding.questions import Question, Rule

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


@dataclass(frozen=True)
class OrderedTable:
    """One of the two ordered tables; the names are constants, never input."""

    table: str
    order: str

    def sql(self, template: str) -> str:
        return template.format(table=self.table, order=self.order)


QUESTIONS = OrderedTable("guild_onboarding_questions", "step_order")
RULES = OrderedTable("guild_rules", "rule_order")

QUESTION_COLUMNS = ("id, guild_id, step_order, question, question_type, options, followup, required, enabled, "
                    "min_values, max_values, max_length")
RULE_COLUMNS = "id, guild_id, rule_order, title, description, thumbnail_url, image_url, enabled"


# --- ordering ------------------------------------------------------------------------------------

async def lock_order(conn: Conn, kind: OrderedTable, guild_id: int) -> None:
    """Serialise changes to one guild's order (also against inserts, which row locks miss)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, $2))", kind.table, guild_id)


async def ordered_ids(conn: Conn, kind: OrderedTable, guild_id: int) -> list[int]:
    rows = await conn.fetch(kind.sql("SELECT id FROM {table} WHERE guild_id = $1 ORDER BY {order}, id"), guild_id)
    return [r["id"] for r in rows]


async def renumber(conn: Conn, kind: OrderedTable, guild_id: int, ids: Sequence[int]) -> None:
    """Give ``ids`` (every row of the guild) the orders 1..n, in that order."""
    await conn.execute(kind.sql(
        "UPDATE {table} AS t SET {order} = -u.pos, updated_at = now() AT TIME ZONE 'utc' "
        "FROM unnest($2::int[]) WITH ORDINALITY AS u(id, pos) "
        "WHERE t.guild_id = $1 AND t.id = u.id AND t.{order} IS DISTINCT FROM u.pos"), guild_id, list(ids))
    await conn.execute(kind.sql("UPDATE {table} SET {order} = -{order} WHERE guild_id = $1 AND {order} < 0"),
                       guild_id)


async def move(conn: Conn, kind: OrderedTable, guild_id: int, item_id: int, position: int) -> int | None:
    """Move one row to ``position`` (1-based, clamped); returns where it landed, None if unknown."""
    ids = await ordered_ids(conn, kind, guild_id)
    if item_id not in ids:
        return None
    ids.remove(item_id)
    index = max(0, min(position - 1, len(ids)))
    ids.insert(index, item_id)
    await renumber(conn, kind, guild_id, ids)
    return index + 1


async def remove(conn: Conn, kind: OrderedTable, guild_id: int, item_id: int) -> bool:
    deleted = await conn.fetchval(kind.sql("DELETE FROM {table} WHERE guild_id = $1 AND id = $2 RETURNING id"),
                                  guild_id, item_id)
    if deleted is None:
        return False
    await renumber(conn, kind, guild_id, await ordered_ids(conn, kind, guild_id))
    return True


async def count(conn: Conn, kind: OrderedTable, guild_id: int) -> int:
    value: int = await conn.fetchval(kind.sql("SELECT count(*) FROM {table} WHERE guild_id = $1"), guild_id)
    return value


# --- questions -----------------------------------------------------------------------------------

async def questions(conn: Conn, guild_id: int, *, enabled_only: bool = False) -> list[Question]:
    rows = await conn.fetch(
        f"SELECT {QUESTION_COLUMNS} FROM guild_onboarding_questions "
        "WHERE guild_id = $1 AND (NOT $2 OR enabled IS NOT FALSE) ORDER BY step_order", guild_id, enabled_only)
    return [Question.from_row(dict(r)) for r in rows]


async def question(conn: Conn, guild_id: int, question_id: int) -> Question | None:
    row = await conn.fetchrow(
        f"SELECT {QUESTION_COLUMNS} FROM guild_onboarding_questions WHERE guild_id = $1 AND id = $2",
        guild_id, question_id)
    return None if row is None else Question.from_row(dict(row))


async def insert_question(conn: Conn, guild_id: int, values: dict[str, Any]) -> int:
    """Append a question (the caller holds the order lock and moves it if asked)."""
    value: int = await conn.fetchval(
        "INSERT INTO guild_onboarding_questions (guild_id, step_order, question, question_type, options, followup, "
        "required, enabled, min_values, max_values, max_length) "
        "VALUES ($1, (SELECT coalesce(max(step_order), 0) + 1 FROM guild_onboarding_questions WHERE guild_id = $1), "
        "$2, $3, $4, $5, $6, TRUE, $7, $8, $9) RETURNING id",
        guild_id, values["question"], values["question_type"], values["options"], values["followup"],
        values["required"], values["min_values"], values["max_values"], values["max_length"])
    return value


async def update_question(conn: Conn, guild_id: int, question_id: int, values: dict[str, Any]) -> bool:
    done = await conn.fetchval(
        "UPDATE guild_onboarding_questions SET question = $3, question_type = $4, options = $5, followup = $6, "
        "required = $7, enabled = $8, min_values = $9, max_values = $10, max_length = $11, "
        "updated_at = now() AT TIME ZONE 'utc' WHERE guild_id = $1 AND id = $2 RETURNING id",
        guild_id, question_id, values["question"], values["question_type"], values["options"], values["followup"],
        values["required"], values["enabled"], values["min_values"], values["max_values"], values["max_length"])
    return done is not None


# --- rules ---------------------------------------------------------------------------------------

async def rules(conn: Conn, guild_id: int, *, enabled_only: bool = False) -> list[Rule]:
    rows = await conn.fetch(
        f"SELECT {RULE_COLUMNS} FROM guild_rules WHERE guild_id = $1 AND (NOT $2 OR enabled IS NOT FALSE) "
        "ORDER BY rule_order", guild_id, enabled_only)
    return [Rule.from_row(dict(r)) for r in rows]


async def rule(conn: Conn, guild_id: int, rule_id: int) -> Rule | None:
    row = await conn.fetchrow(f"SELECT {RULE_COLUMNS} FROM guild_rules WHERE guild_id = $1 AND id = $2",
                              guild_id, rule_id)
    return None if row is None else Rule.from_row(dict(row))


async def insert_rule(conn: Conn, guild_id: int, title: str, description: str, thumbnail_url: str | None,
                      image_url: str | None) -> int:
    value: int = await conn.fetchval(
        "INSERT INTO guild_rules (guild_id, rule_order, title, description, thumbnail_url, image_url, enabled) "
        "VALUES ($1, (SELECT coalesce(max(rule_order), 0) + 1 FROM guild_rules WHERE guild_id = $1), "
        "$2, $3, $4, $5, TRUE) RETURNING id",
        guild_id, title, description, thumbnail_url, image_url)
    return value


async def update_rule(conn: Conn, guild_id: int, rule: Rule) -> bool:
    done = await conn.fetchval(
        "UPDATE guild_rules SET title = $3, description = $4, thumbnail_url = $5, image_url = $6, enabled = $7, "
        "updated_at = now() AT TIME ZONE 'utc' WHERE guild_id = $1 AND id = $2 RETURNING id",
        guild_id, rule.id, rule.title, rule.description, rule.thumbnail_url, rule.image_url, rule.enabled)
    return done is not None


async def load_flow(conn: Conn, guild_id: int) -> Flow:
    """The guild's enabled rules and questions, in order."""
    return Flow(tuple(await rules(conn, guild_id, enabled_only=True)),
                tuple(await questions(conn, guild_id, enabled_only=True)))


# --- a member's run ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Progress:
    answers: dict[str, Any]
    rules_accepted: bool
    started_at: datetime


def _progress(row: asyncpg.Record | None) -> Progress | None:
    if row is None:
        return None
    return Progress(dict(row["answers"] or {}), row["rules_accepted_at"] is not None, row["started_at"])


async def progress(conn: Conn, guild_id: int, user_id: int, *, for_update: bool = False) -> Progress | None:
    """A run in flight; ``for_update`` locks it for the rest of the transaction (double clicks)."""
    row = await conn.fetchrow(
        "SELECT answers, rules_accepted_at, started_at FROM onboarding_progress WHERE guild_id = $1 AND user_id = $2"
        + (" FOR UPDATE" if for_update else ""), guild_id, user_id)
    return _progress(row)


async def begin(conn: Conn, guild_id: int, user_id: int, *, restart: bool) -> Progress:
    """Start a run (``restart``: throw away one in flight), or return the one in flight."""
    if restart:
        row = await conn.fetchrow(
            "INSERT INTO onboarding_progress (guild_id, user_id) VALUES ($1, $2) "
            "ON CONFLICT (guild_id, user_id) DO UPDATE SET answers = '{}'::jsonb, rules_accepted_at = NULL, "
            "started_at = now(), updated_at = now() RETURNING answers, rules_accepted_at, started_at",
            guild_id, user_id)
    else:
        row = await conn.fetchrow(
            "WITH new AS (INSERT INTO onboarding_progress (guild_id, user_id) VALUES ($1, $2) "
            "ON CONFLICT (guild_id, user_id) DO NOTHING RETURNING answers, rules_accepted_at, started_at) "
            "SELECT * FROM new UNION ALL SELECT answers, rules_accepted_at, started_at FROM onboarding_progress "
            "WHERE guild_id = $1 AND user_id = $2", guild_id, user_id)
    result = _progress(row)
    assert result is not None
    return result


async def save_progress(conn: Conn, guild_id: int, user_id: int, answers: dict[str, Any],
                        rules_accepted: bool) -> None:
    await conn.execute(
        "UPDATE onboarding_progress SET answers = $3, updated_at = now(), "
        "rules_accepted_at = CASE WHEN $4 THEN coalesce(rules_accepted_at, now()) END "
        "WHERE guild_id = $1 AND user_id = $2", guild_id, user_id, answers, rules_accepted)


async def finish(conn: Conn, guild_id: int, user_id: int, responses: dict[str, Any]) -> datetime:
    """Replace the member's responses with this run's and end the run, in one transaction."""
    async with conn.transaction():
        finished: datetime = await conn.fetchval(
            "INSERT INTO onboarding (guild_id, user_id, responses, timestamp) "
            "VALUES ($1, $2, $3, now() AT TIME ZONE 'utc') "
            "ON CONFLICT (guild_id, user_id) DO UPDATE SET responses = EXCLUDED.responses, "
            "timestamp = EXCLUDED.timestamp RETURNING timestamp", guild_id, user_id, responses)
        await conn.execute("DELETE FROM onboarding_progress WHERE guild_id = $1 AND user_id = $2", guild_id, user_id)
    return finished


async def completed_at(conn: Conn, guild_id: int, user_id: int) -> datetime | None:
    """When the member last finished (UTC, naive as the column is), or None."""
    value: datetime | None = await conn.fetchval("SELECT timestamp FROM onboarding WHERE guild_id = $1 AND user_id = $2",
                               guild_id, user_id)
    return value


async def reset_member(conn: Conn, guild_id: int, user_id: int) -> int:
    async with conn.transaction():
        done: int = await conn.fetchval("WITH d AS (DELETE FROM onboarding WHERE guild_id = $1 AND user_id = $2 "
                                   "RETURNING 1) SELECT count(*) FROM d", guild_id, user_id)
        done += await conn.fetchval("WITH d AS (DELETE FROM onboarding_progress WHERE guild_id = $1 "
                                    "AND user_id = $2 RETURNING 1) SELECT count(*) FROM d", guild_id, user_id)
    return done


async def all_responses(conn: Conn, guild_id: int) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT user_id, responses, timestamp FROM onboarding WHERE guild_id = $1 "
                            "ORDER BY timestamp, user_id", guild_id)


async def finished_page(conn: Conn, guild_id: int, limit: int, offset: int) -> list[asyncpg.Record]:
    """Who finished, newest first, one page of them (the dashboard's members table)."""
    return await conn.fetch("SELECT user_id, timestamp FROM onboarding WHERE guild_id = $1 "
                            "ORDER BY timestamp DESC NULLS LAST, user_id LIMIT $2 OFFSET $3", guild_id, limit, offset)


async def finished_count(conn: Conn, guild_id: int) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM onboarding WHERE guild_id = $1", guild_id)
    return count


async def in_progress_count(conn: Conn, guild_id: int) -> int:
    value: int = await conn.fetchval("SELECT count(*) FROM onboarding_progress WHERE guild_id = $1", guild_id)
    return value


async def purge_stale_progress(conn: Conn, days: int) -> int:
    """Runs nobody touched for ``days`` days (people who left halfway long ago)."""
    value: int = await conn.fetchval(
        "WITH d AS (DELETE FROM onboarding_progress WHERE updated_at < now() - make_interval(days => $1) "
        "RETURNING 1) SELECT count(*) FROM d", days)
    return value


# --- privacy -------------------------------------------------------------------------------------

async def user_rows(conn: Conn, user_id: int) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    finished = await conn.fetch("SELECT guild_id, responses, timestamp FROM onboarding WHERE user_id = $1 "
                                "ORDER BY guild_id", user_id)
    running = await conn.fetch("SELECT guild_id, answers, rules_accepted_at, started_at, updated_at "
                               "FROM onboarding_progress WHERE user_id = $1 ORDER BY guild_id", user_id)
    return finished, running


async def forget(conn: Conn, user_id: int, guild_id: int | None) -> int:
    async with conn.transaction():
        removed: int = await conn.fetchval(
            "WITH d AS (DELETE FROM onboarding WHERE user_id = $1 AND ($2::bigint IS NULL OR guild_id = $2) "
            "RETURNING 1) SELECT count(*) FROM d", user_id, guild_id)
        removed += await conn.fetchval(
            "WITH d AS (DELETE FROM onboarding_progress WHERE user_id = $1 AND ($2::bigint IS NULL OR guild_id = $2) "
            "RETURNING 1) SELECT count(*) FROM d", user_id, guild_id)
    return removed


# --- the Start panel -----------------------------------------------------------------------------

async def panel(conn: Conn, guild_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT channel_id, message_id FROM onboarding_panels WHERE guild_id = $1", guild_id)


async def save_panel(conn: Conn, guild_id: int, channel_id: int, message_id: int) -> None:
    await conn.execute(
        "INSERT INTO onboarding_panels (guild_id, channel_id, message_id) VALUES ($1, $2, $3) "
        "ON CONFLICT (guild_id) DO UPDATE SET channel_id = $2, message_id = $3, posted_at = now()",
        guild_id, channel_id, message_id)


# --- roles the bot could not grant ---------------------------------------------------------------

async def note_role_problem(conn: Conn, guild_id: int, role_id: int, problem: str) -> bool:
    """True the first time (report it); False while it is already reported."""
    inserted = await conn.fetchval(
        "INSERT INTO onboarding_role_problems (guild_id, role_id, problem) VALUES ($1, $2, $3) "
        "ON CONFLICT (guild_id, role_id) DO NOTHING RETURNING 1", guild_id, role_id, problem)
    return inserted is not None


async def clear_role_problems(conn: Conn, guild_id: int, role_ids: Sequence[int]) -> None:
    if role_ids:
        await conn.execute("DELETE FROM onboarding_role_problems WHERE guild_id = $1 AND role_id = ANY($2::bigint[])",
                           guild_id, list(role_ids))

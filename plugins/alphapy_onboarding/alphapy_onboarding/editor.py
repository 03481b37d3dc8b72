"""Changing a server's onboarding definitions: the one place the rules of an edit live.

``/onboarding question|rule ...`` and the dashboard's editor both call these functions, so
a change made in the browser meets exactly the checks, limits, locks and sentences of the
slash command. The caller says who is acting only through ``role_problem``: the slash
command judges roles by the member's standing in the gateway cache, the dashboard by the
web user's standing read from Discord; both apply the core's authority rule.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alphapy import Database, UserError
from alphapy_onboarding import questions as q, store
from alphapy_onboarding.questions import FollowUp, Question, QuestionDraft, QuestionSpec, Rule

RoleProblem = Callable[[int], str | None]
"""Why the acting person may not name this role for the bot to give, or None."""


def no_question(question_id: int) -> str:
    return f"There is no onboarding question #{question_id} in this server."


def no_rule(rule_id: int) -> str:
    return f"There is no onboarding rule #{rule_id} in this server."


TOO_MANY_QUESTIONS = f"A server can have at most {q.MAX_QUESTIONS} onboarding questions."
TOO_MANY_RULES = f"A server can have at most {q.MAX_RULES} onboarding rules."


@dataclass
class QuestionChanges:
    """What an edit changes; None leaves the stored value (as an empty slash option does)."""

    text: str | None = None
    type: str | None = None
    options: str | None = None
    followup: str | None = None
    required: bool | None = None
    enabled: bool | None = None
    min_values: int | None = None
    max_values: int | None = None
    max_length: int | None = None


def question_values(spec: QuestionSpec, followups: list[FollowUp]) -> dict[str, Any]:
    return {
        "question": spec.text, "question_type": spec.type,
        "options": [o.to_json() for o in spec.options] or None,
        "followup": [f.to_json() for f in followups] or None,
        "required": spec.required, "enabled": True,
        "min_values": spec.min_values, "max_values": spec.max_values, "max_length": spec.max_length,
    }


def options_json(question: Question) -> str:
    """A question's options as JSON an edit accepts back unchanged (roles as ``role`` ids)."""
    if not question.spec.options:
        return ""
    return json.dumps([_option_json(o.to_json()) for o in question.spec.options], ensure_ascii=False, indent=1)


def followups_json(question: Question) -> str:
    """A question's follow-ups as the JSON list an edit accepts back unchanged."""
    if not question.followups:
        return ""
    items = []
    for followup in question.followups:
        item = followup.to_json()
        if "options" in item:
            item["options"] = [_option_json(o) for o in item["options"]]
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=1)


def _option_json(stored: dict[str, Any]) -> dict[str, Any]:
    shown = {key: value for key, value in stored.items() if key != "role_id"}
    if stored.get("role_id"):
        shown["role"] = stored["role_id"]
    return shown


async def add_question(db: Database, guild_id: int, draft: QuestionDraft, role_problem: RoleProblem,
                       position: int | None = None) -> tuple[int, int]:
    """Check and append a question, then move it to ``position``; returns its id and place."""
    spec, followups = q.check_question(draft, role_problem)
    async with db.transaction() as conn:
        await store.lock_order(conn, store.QUESTIONS, guild_id)
        if await store.count(conn, store.QUESTIONS, guild_id) >= q.MAX_QUESTIONS:
            raise UserError(TOO_MANY_QUESTIONS)
        new_id = await store.insert_question(conn, guild_id, question_values(spec, followups))
        landed = await store.move(conn, store.QUESTIONS, guild_id, new_id, position or q.MAX_QUESTIONS)
    assert landed is not None
    return new_id, landed


async def edit_question(db: Database, guild_id: int, question_id: int, changes: QuestionChanges,
                        role_problem: RoleProblem) -> None:
    """Apply ``changes`` to a question and check the whole of it again before saving."""
    async with db.transaction() as conn:
        existing = await store.question(conn, guild_id, question_id)
        if existing is None:
            raise UserError(no_question(question_id))
        draft = QuestionDraft.of(existing)
        if changes.type is not None:
            draft = q.with_type(draft, changes.type)
        if changes.text is not None:
            draft.text = changes.text
        if changes.options is not None:
            draft.options = q.parse_options(changes.options)
        if changes.followup is not None:
            draft.followups = q.parse_followups(changes.followup)
        for name in ("required", "min_values", "max_values", "max_length"):
            if getattr(changes, name) is not None:
                setattr(draft, name, getattr(changes, name))
        if draft.type == "multiselect" and changes.options is not None and changes.max_values is None:
            draft.max_values = None  # new options: the default maximum follows them
        spec, followups = q.check_question(draft, role_problem)
        values = question_values(spec, followups)
        values["enabled"] = existing.enabled if changes.enabled is None else changes.enabled
        await store.update_question(conn, guild_id, question_id, values)


async def _remove(db: Database, table: store.OrderedTable, guild_id: int, item_id: int,
                  missing: Callable[[int], str]) -> None:
    """Remove a question or a rule, under the lock that keeps the order's positions whole."""
    async with db.transaction() as conn:
        await store.lock_order(conn, table, guild_id)
        if not await store.remove(conn, table, guild_id, item_id):
            raise UserError(missing(item_id))


async def _move(db: Database, table: store.OrderedTable, guild_id: int, item_id: int, position: int,
                missing: Callable[[int], str]) -> int:
    """Move a question or a rule to ``position``; the position it landed on."""
    async with db.transaction() as conn:
        await store.lock_order(conn, table, guild_id)
        landed = await store.move(conn, table, guild_id, item_id, position)
    if landed is None:
        raise UserError(missing(item_id))
    return landed


async def remove_question(db: Database, guild_id: int, question_id: int) -> None:
    await _remove(db, store.QUESTIONS, guild_id, question_id, no_question)


async def move_question(db: Database, guild_id: int, question_id: int, position: int) -> int:
    return await _move(db, store.QUESTIONS, guild_id, question_id, position, no_question)


async def add_rule(db: Database, guild_id: int, title: str, description: str, thumbnail_url: str | None,
                   image_url: str | None, position: int | None = None) -> tuple[int, int]:
    checked_title, checked_description = q.check_rule_text(title, description)
    assert checked_title is not None and checked_description is not None
    thumbnail = q.check_image_url(thumbnail_url, "thumbnail URL")
    image = q.check_image_url(image_url, "image URL")
    async with db.transaction() as conn:
        await store.lock_order(conn, store.RULES, guild_id)
        if await store.count(conn, store.RULES, guild_id) >= q.MAX_RULES:
            raise UserError(TOO_MANY_RULES)
        new_id = await store.insert_rule(conn, guild_id, checked_title, checked_description, thumbnail, image)
        landed = await store.move(conn, store.RULES, guild_id, new_id, position or q.MAX_RULES)
    assert landed is not None
    return new_id, landed


async def edit_rule(db: Database, guild_id: int, rule_id: int, *, title: str | None = None,
                    description: str | None = None, thumbnail_url: str | None = None,
                    image_url: str | None = None, enabled: bool | None = None) -> None:
    """Change what is given; ``"none"`` as an image link clears it (as in ``/onboarding rule edit``)."""
    checked_title, checked_description = q.check_rule_text(title, description)
    async with db.transaction() as conn:
        existing = await store.rule(conn, guild_id, rule_id)
        if existing is None:
            raise UserError(no_rule(rule_id))
        changed = Rule(
            existing.id, existing.rule_order, checked_title or existing.title,
            checked_description or existing.description,
            existing.thumbnail_url if thumbnail_url is None else q.check_image_url(thumbnail_url, "thumbnail URL"),
            existing.image_url if image_url is None else q.check_image_url(image_url, "image URL"),
            existing.enabled if enabled is None else enabled)
        await store.update_rule(conn, guild_id, changed)


async def remove_rule(db: Database, guild_id: int, rule_id: int) -> None:
    await _remove(db, store.RULES, guild_id, rule_id, no_rule)


async def move_rule(db: Database, guild_id: int, rule_id: int, position: int) -> int:
    return await _move(db, store.RULES, guild_id, rule_id, position, no_rule)


def no_answers(name: str) -> str:
    return f"{name} has no onboarding answers in this server."


async def reset_member(db: Database, guild_id: int, user_id: int, name: str) -> None:
    """Erase a member's answers and run in flight so they start afresh (their roles stay)."""
    async with db.acquire() as conn:
        removed = await store.reset_member(conn, guild_id, user_id)
    if not removed:
        raise UserError(no_answers(name))

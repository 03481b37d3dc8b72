"""Deciding FAQ proposals: the one place that checks a proposal may still be decided, adds its
entry or dismisses it, and shows the outcome on its message, whether staff decide with the
proposal's buttons in Discord or on the dashboard.
"""

from __future__ import annotations

from typing import Any

import discord

from alphapy import UserError, get_logger
from alphapy_faq import entries, store
from alphapy_faq.proposals import fallback_draft
from alphapy_faq.text import topic_key

log = get_logger("alphapy.plugins.faq")

async def open_proposal(conn: Any, guild_id: int, proposal_id: int, *, lock: bool = False) -> Any:
    """The proposal while staff may still decide it; otherwise the sentence saying why not."""
    record = await store.proposal(conn, proposal_id, guild_id, lock=lock)
    if record is None:
        raise UserError("That proposal does not exist in this server.")
    if record["status"] == "added":
        raise UserError(f"This proposal is already in the FAQ (#{record['entry_id']}).")
    if record["status"] == "dismissed":
        raise UserError("This proposal was dismissed.")
    if record["status"] != "open":
        raise UserError("This proposal is still being prepared; try again in a moment.")
    return record


async def draft_of(conn: Any, guild_id: int, record: Any) -> tuple[str, list[str], str]:
    """The entry staff start from: the stored draft, or one assembled from the summaries while
    the draft is still being written."""
    if record["draft_title"]:
        return record["draft_title"], list(record["draft_keywords"] or []), record["draft_summary"]
    summaries = await store.topic_summaries(conn, guild_id, record["similarity_key"])
    return fallback_draft(record["similarity_key"], [s["summary"] for s in summaries])


async def accept(db: Any, guild_id: int, proposal_id: int, draft: entries.Draft, user_id: int) -> tuple[Any, Any]:
    """Write the entry and mark the proposal added, in one transaction: (entry, proposal).
    Raises :class:`~alphapy_faq.entries.EntryError` for an entry that cannot be written."""
    async with db.transaction() as conn:
        record = await open_proposal(conn, guild_id, proposal_id, lock=True)
        entry = await entries.add(conn, guild_id, draft, user_id, topic_key=topic_key(record["similarity_key"]))
        await store.decide_proposal(conn, proposal_id, guild_id, "added", user_id, entry["id"])
    return entry, record


async def dismiss(db: Any, guild_id: int, proposal_id: int, user_id: int) -> Any:
    async with db.transaction() as conn:
        record = await open_proposal(conn, guild_id, proposal_id, lock=True)
        await store.decide_proposal(conn, proposal_id, guild_id, "dismissed", user_id)
    return record


async def outcome_embed(db: Any, guild_id: int, proposal_id: int, topic: str, outcome: str) -> discord.Embed:
    from alphapy_faq.views import proposal_embed

    async with db.acquire() as conn:
        summaries = await store.topic_summaries(conn, guild_id, topic)
        count = await store.count_topic(conn, guild_id, topic)
    return proposal_embed(proposal_id, topic, summaries, count, outcome)


async def show_outcome(bot: Any, guild_id: int, record: Any, outcome: str) -> None:
    """A decision made elsewhere than on the proposal's buttons: show it on the proposal's
    message and take its buttons away (best effort: the database already holds it)."""
    channel = bot.get_channel(record["channel_id"]) if record["channel_id"] else None
    if channel is None or record["message_id"] is None:
        return
    embed = await outcome_embed(bot.db, guild_id, record["id"], record["similarity_key"], outcome)
    try:
        await channel.get_partial_message(record["message_id"]).edit(embed=embed, view=None)
    except discord.HTTPException as exc:
        log.warning("faq.proposal_not_updated", guild_id=guild_id, proposal_id=record["id"], error=str(exc))

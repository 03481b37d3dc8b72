"""FAQ proposals from closed tickets.

The tickets plugin announces each summarised ticket (``ticket_summarized``). Each
summary is kept here under its topic (the similarity key); when a guild's topic reaches
``faq.proposal_threshold`` summaries, no entry covers it yet and it was never proposed,
staff get a proposal in ``faq.proposals_channel`` with the summaries, an "Add to FAQ"
button (a form prefilled with a draft: the AI's when configured, else one assembled
from the summaries) and "Dismiss". The unique (guild, topic) row is the proposal's
memory: a topic is proposed once, and a dismissed one stays dismissed.
"""

from __future__ import annotations

from typing import Any

import discord
import pydantic

from alphapy import AIError, get_logger
from alphapy_faq import store
from alphapy_faq.entries import SUMMARY_MAX, TITLE_MAX
from alphapy_faq.text import MAX_KEYWORDS, clean, parse_keywords, topic_key

log = get_logger("alphapy.plugins.faq")

SUMMARY_CHARS = 2000  # a ticket summary as kept; longer ones are cut
SHOWN_SUMMARIES = 5
AI_TIMEOUT = 8.0  # the hook has 10 s; the fallback draft is always there
STALE_POSTING = 600.0  # seconds after which a proposal still "posting" was left by a process that died

DRAFT_SYSTEM = (
    "You write entries for a Discord server's FAQ. You get summaries of support tickets that were "
    "about the same problem. Write one FAQ entry that answers it for the next person: a short "
    "question-like title, up to eight search keywords, and a clear answer of a few sentences or "
    "steps. Use only what the summaries say; do not invent links, names or prices. Write in the "
    "language of the summaries."
)


class DraftAnswer(pydantic.BaseModel):
    title: str = pydantic.Field(description="a short title, like the question people ask", max_length=TITLE_MAX)
    keywords: list[str] = pydantic.Field(description="search keywords, lower case", max_length=MAX_KEYWORDS)
    answer: str = pydantic.Field(description="the answer, a few sentences or numbered steps",
                                 max_length=SUMMARY_MAX)


def _as_int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None


async def on_ticket_summarized(bot: Any, ticket: Any, summary: Any) -> None:
    """Record the summary; propose an entry when its topic has come up often enough."""
    if not isinstance(ticket, dict) or not isinstance(summary, dict):
        log.warning("faq.summary_ignored", reason="ticket and summary must be dicts")
        return
    guild_id = _as_int(ticket.get("guild_id"))
    ticket_id = _as_int(summary.get("ticket_id") or ticket.get("id"))
    topic = topic_key(summary.get("similarity_key"))
    text = clean(str(summary.get("summary") or ""), SUMMARY_CHARS)
    if guild_id is None or ticket_id is None or not topic or not text:
        log.info("faq.summary_ignored", guild_id=guild_id, ticket_id=ticket_id,
                 reason="needs a guild, a ticket id, a similarity key and a summary")
        return
    if not await bot.settings.is_enabled(guild_id, "faq"):
        return
    async with bot.db.acquire() as conn:
        await store.record_summary(conn, guild_id, ticket_id, _as_int(ticket.get("user_id")), topic, text)
    await maybe_propose(bot, guild_id, topic)


async def maybe_propose(bot: Any, guild_id: int, topic: str) -> int | None:
    """Post a proposal for ``topic`` if it is due; returns its id when one was posted."""
    threshold = await bot.settings.get(guild_id, "faq", "proposal_threshold")
    channel_id = await bot.settings.get(guild_id, "faq", "proposals_channel")
    language = await bot.settings.get(guild_id, "faq", "language")
    async with bot.db.acquire() as conn:
        if await store.count_topic(conn, guild_id, topic) < threshold:
            return None
        await store.release_stale_proposal(conn, guild_id, topic, STALE_POSTING)
        if await store.proposal_for_topic(conn, guild_id, topic) is not None:
            return None  # proposed once, ever (open, added or dismissed)
        if await store.covering_entry(conn, language, guild_id, topic) is not None:
            return None
        if channel_id is None:
            log.info("faq.proposal_waiting", guild_id=guild_id, reason="faq.proposals_channel is not set")
            return None
        proposal_id = await store.claim_proposal(conn, guild_id, topic, channel_id)
        if proposal_id is None:
            return None  # another process got there first
        summaries = await store.topic_summaries(conn, guild_id, topic)
        count = await store.count_topic(conn, guild_id, topic)
    try:
        message = await _post(bot, channel_id, proposal_id, topic, summaries, count)
    except (discord.HTTPException, LookupError) as exc:
        async with bot.db.acquire() as conn:
            await store.release_proposal(conn, proposal_id, guild_id)
        log.warning("faq.proposal_not_posted", guild_id=guild_id, channel_id=channel_id, error=str(exc))
        return None
    async with bot.db.acquire() as conn:
        await store.proposal_posted(conn, proposal_id, guild_id, message.id)
    title, keywords, answer, source = await draft(bot, topic, [s["summary"] for s in summaries])
    async with bot.db.acquire() as conn:
        await store.save_draft(conn, proposal_id, guild_id, title, keywords, answer, source)
    log.info("faq.proposal_posted", guild_id=guild_id, proposal_id=proposal_id, draft=source)
    return proposal_id


async def _post(bot: Any, channel_id: int, proposal_id: int, topic: str, summaries: list[Any],
                count: int) -> discord.Message:
    from alphapy_faq.views import proposal_embed, proposal_view

    channel = bot.get_channel(channel_id)
    if channel is None:
        raise LookupError(f"channel {channel_id} is not visible to the bot")
    return await channel.send(embed=proposal_embed(proposal_id, topic, summaries, count),
                              view=proposal_view(proposal_id),
                              allowed_mentions=discord.AllowedMentions.none())


def fallback_draft(topic: str, summaries: list[str]) -> tuple[str, list[str], str]:
    """A draft from the summaries themselves: staff edit it in the form."""
    title = clean(topic, TITLE_MAX).capitalize() or "New FAQ entry"
    lines = ["What solved this in earlier tickets:"]
    for text in summaries[:SHOWN_SUMMARIES]:
        lines.append(f"- {clean(text, 600)}")
    return title, parse_keywords(topic.replace(" ", ","))[:MAX_KEYWORDS], "\n".join(lines)[:SUMMARY_MAX]


async def draft(bot: Any, topic: str, summaries: list[str]) -> tuple[str, list[str], str, str]:
    """(title, keywords, answer, "ai" or "summaries")."""
    if bot.ai.available():
        user = f"Topic: {topic}\n\n" + "\n\n".join(f"Ticket summary {i}:\n{s}"
                                                    for i, s in enumerate(summaries[:10], start=1))
        try:
            answer = await bot.ai.structured(DraftAnswer, system=DRAFT_SYSTEM, user=user, task="faq_draft",
                                             timeout=AI_TIMEOUT)
        except AIError as exc:
            log.info("faq.draft_fallback", reason=type(exc).__name__)
        else:
            title = clean(answer.title, TITLE_MAX)
            text = answer.answer.strip()[:SUMMARY_MAX]
            if title and text:
                return title, parse_keywords(",".join(answer.keywords))[:MAX_KEYWORDS], text, "ai"
    return (*fallback_draft(topic, summaries), "summaries")

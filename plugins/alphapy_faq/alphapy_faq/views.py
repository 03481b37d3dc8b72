"""What the FAQ plugin shows in Discord: embeds, proposal buttons and entry forms.

Every component carries what it needs in its custom id (``faq:proposal-add:12``), and
forms are answered from their custom id too (``faq:entry-edit:7``) by the cog's
interaction listener, never by an object kept in memory: a proposal posted last week
and a form opened just before a restart both still work.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from alphapy import MODAL_TITLE, escape, fit, fit_embed, safe as core_safe
from alphapy_faq.entries import SUMMARY_MAX, TITLE_MAX
from alphapy_faq.proposals import SHOWN_SUMMARIES
from alphapy_faq.text import MAX_KEYWORD_CHARS, MAX_KEYWORDS, clean

if TYPE_CHECKING:
    from alphapy_faq.cog import FaqCog
    from alphapy_faq.search import SearchResult

BLURPLE = 0x5865F2
GREEN = 0x57F287
GREY = 0x99AAB5

FIELD_TITLE = "title"
FIELD_KEYWORDS = "keywords"
FIELD_ANSWER = "answer"

ADD_FORM = "faq:entry-add"
EDIT_FORM = re.compile(r"faq:entry-edit:(?P<id>\d{1,10})")
PROPOSAL_FORM = re.compile(r"faq:proposal-save:(?P<id>\d{1,10})")
KEYWORDS_FIELD_MAX = MAX_KEYWORDS * (MAX_KEYWORD_CHARS + 2)
"""Room for every keyword an entry may have: a form cut shorter would drop some on save."""


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() or ch == "\n" else " " for ch in text)


def safe(text: str, limit: int) -> str:
    """People's text for a message, line breaks kept (the core's :func:`alphapy.safe`)."""
    return core_safe(text, limit, keep_newlines=True)


def formatted(text: str, limit: int) -> str:
    """Staff's own text (an entry's answer): their markdown stays, mentions never ping."""
    return fit(escape(_printable(text), markdown=False), limit)


def code(text: str, limit: int) -> str:
    """People's text inside a code span: shown literally, backticks swapped for a look-alike."""
    cleaned = clean(text, limit).replace("`", "ˋ")
    return f"`{escape(cleaned, markdown=False) or ' '}`"


def _cog(interaction: discord.Interaction) -> FaqCog:
    from alphapy_faq.cog import FaqCog

    return FaqCog.of(interaction.client)


# --- proposals ---------------------------------------------------------------------------

class ProposalAddButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"faq:proposal-add:(?P<id>\d{1,10})"):
    def __init__(self, proposal_id: int) -> None:
        super().__init__(discord.ui.Button(label="Add to FAQ", style=discord.ButtonStyle.success,
                                           custom_id=f"faq:proposal-add:{proposal_id}"))
        self.proposal_id = proposal_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ProposalAddButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).guarded(interaction, "proposal add", _cog(interaction).open_proposal_form,
                                        self.proposal_id)


class ProposalDismissButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                            template=r"faq:proposal-dismiss:(?P<id>\d{1,10})"):
    def __init__(self, proposal_id: int) -> None:
        super().__init__(discord.ui.Button(label="Dismiss", style=discord.ButtonStyle.secondary,
                                           custom_id=f"faq:proposal-dismiss:{proposal_id}"))
        self.proposal_id = proposal_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> ProposalDismissButton:
        return cls(int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _cog(interaction).guarded(interaction, "proposal dismiss", _cog(interaction).dismiss_proposal,
                                        self.proposal_id)


def proposal_view(proposal_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ProposalAddButton(proposal_id))
    view.add_item(ProposalDismissButton(proposal_id))
    return view


def proposal_embed(proposal_id: int, topic: str, summaries: list[Any], count: int,
                   outcome: str | None = None) -> discord.Embed:
    description = (f"{count} closed tickets were about **{safe(topic, 100)}**, and no FAQ entry covers it yet. "
                   "Add an entry so the next person finds the answer with `/faq search`.")
    embed = discord.Embed(title="FAQ proposal", description=description, colour=GREY if outcome else BLURPLE)
    for row in summaries[:SHOWN_SUMMARIES]:
        embed.add_field(name=f"Ticket #{row['ticket_id']}", value=safe(row["summary"], 300) or "—", inline=False)
    if outcome:
        embed.add_field(name="Outcome", value=outcome, inline=False)
    embed.set_footer(text=f"proposal #{proposal_id}")
    return fit_embed(embed)


# --- forms -------------------------------------------------------------------------------

def entry_form(custom_id: str, heading: str, *, title: str = "", keywords: str = "",
               answer: str = "") -> discord.ui.Modal:
    """A form whose answer the cog reads from its custom id (see the module docstring)."""
    modal = discord.ui.Modal(title=fit(heading, MODAL_TITLE), custom_id=custom_id, timeout=None)
    modal.add_item(discord.ui.TextInput(label="Title", custom_id=FIELD_TITLE, default=title[:TITLE_MAX] or None,
                                        max_length=TITLE_MAX, placeholder="How do I reset my password?"))
    modal.add_item(discord.ui.TextInput(label="Keywords (comma-separated)", custom_id=FIELD_KEYWORDS,
                                        default=keywords or None, required=False, max_length=KEYWORDS_FIELD_MAX,
                                        placeholder="password, login, 2fa"))
    modal.add_item(discord.ui.TextInput(label="Answer", custom_id=FIELD_ANSWER, default=answer[:SUMMARY_MAX] or None,
                                        style=discord.TextStyle.paragraph, max_length=SUMMARY_MAX))
    modal.stop()  # answered by custom id: discord.py need not (and must not) keep it in memory
    return modal


def form_values(data: dict[str, Any]) -> dict[str, str]:
    """Text fields of a submitted form by custom id (action rows and labels alike)."""
    values: dict[str, str] = {}

    def visit(component: dict[str, Any]) -> None:
        if component.get("custom_id") is not None and isinstance(component.get("value"), str):
            values[component["custom_id"]] = component["value"]
        for child in component.get("components") or []:
            visit(child)
        if isinstance(component.get("component"), dict):
            visit(component["component"])

    for component in data.get("components") or []:
        visit(component)
    return values


# --- entries and results -----------------------------------------------------------------

def _scope_label(record: Any) -> str:
    return "global entry" if record["guild_id"] is None else "this server's entry"


def entry_embed(record: Any) -> discord.Embed:
    embed = discord.Embed(title=formatted(record["title"], 256), description=formatted(record["summary"], 4096),
                          colour=GREEN)
    if record["keywords"]:
        embed.add_field(name="Keywords", value=safe(", ".join(record["keywords"]), 1000), inline=False)
    embed.set_footer(text=f"FAQ #{record['id']} · {_scope_label(record)}")
    return fit_embed(embed)


def results_embed(result: SearchResult) -> discord.Embed:
    shown = safe(result.query, 80)
    if not result.hits:
        lines = [f"Nothing in the FAQ matches “{shown}”."]
        if result.suggestions:
            lines.append("Did you mean " + " or ".join(f"**{safe(s, 80)}**" for s in result.suggestions) + "?")
        else:
            lines.append("Try other words, or ask the staff: unanswered searches help them decide what to write.")
        return fit_embed(discord.Embed(title="FAQ search", description="\n".join(lines), colour=GREY))
    more = f" (best {len(result.hits)} of {result.total})" if result.total > len(result.hits) else ""
    lines = []
    if result.corrections:
        fixed = ", ".join(f"{safe(typed, 40)} → **{safe(used, 40)}**" for typed, used in result.corrections.items())
        lines.append(f"Also searched for: {fixed}")
    embed = discord.Embed(title=fit(f"FAQ search: {clean(result.query, 200)}", 256), colour=BLURPLE,
                          description="\n".join(lines) or None)
    for hit in result.hits:  # at most 10 fields of ~500 characters: within an embed's 6,000
        value = safe(hit.summary, 280)
        if hit.keywords:
            value += f"\n*{safe(', '.join(hit.keywords), 110)}*"
        embed.add_field(name=f"#{hit.id} · {fit(clean(hit.title, 100), 100)}", value=value or "—", inline=False)
    total = f"{result.total}+ matches" if result.capped else \
        f"{result.total} match{'es' if result.total != 1 else ''}{more}"
    embed.set_footer(text=f"{total} · /faq show <id> posts an answer for everyone")
    return fit_embed(embed)

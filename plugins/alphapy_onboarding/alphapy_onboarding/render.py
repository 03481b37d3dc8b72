"""What each step looks like: embeds and components, built from the flow and a :class:`Ref`.

Host text (questions, rules) goes into embeds, which never ping; the member's own words
echoed back are escaped and sent with no mentions allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord

from alphapy import EMBED_TITLE, MESSAGE_CONTENT, fit, fit_embeds
from alphapy_onboarding.flow import LANGUAGE_CHOICES, OPT_IN_CHOICES, Flow, Step, rule_pages
from alphapy_onboarding.questions import CHOICE_TYPES
from alphapy_onboarding.views import (
    AcceptRulesButton,
    AnswerSelect,
    ChooseButton,
    OpenFormButton,
    RedoButton,
    Ref,
    RulesPageButton,
    SkipButton,
    StartButton,
)

COLOUR = discord.Colour.blurple()
DONE_COLOUR = discord.Colour.green()
PREVIEW_FOOTER = "Preview: nothing you answer is stored and no roles are given."
NO_MENTIONS = discord.AllowedMentions.none()


@dataclass
class Screen:
    """One message of the flow."""

    content: str = ""
    embeds: list[discord.Embed] = field(default_factory=list)
    view: discord.ui.View | None = None

    def kwargs(self) -> dict[str, Any]:
        """What to send; cut here, once, so that no screen can outgrow Discord's limits."""
        return {"content": fit(self.content, MESSAGE_CONTENT) or None, "embeds": fit_embeds(self.embeds),
                "view": self.view, "allowed_mentions": NO_MENTIONS}


NOTE_ANSWER = 1500
"""How much of an answer "Saved: ..." echoes: the rest of the message needs room too."""


def _view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


def _footer(embed: discord.Embed, ref: Ref, text: str = "") -> discord.Embed:
    parts = [p for p in (text, PREVIEW_FOOTER if ref.preview else "") if p]
    if parts:
        embed.set_footer(text=" · ".join(parts))
    return embed


def panel(guild: discord.Guild, text: str) -> Screen:
    embed = discord.Embed(title=fit(f"Welcome to {guild.name}!", EMBED_TITLE), description=text, colour=COLOUR)
    return Screen(embeds=[embed], view=_view(StartButton(Ref(guild.id))))


def welcome_dm(guild: discord.Guild, text: str) -> Screen:
    embed = discord.Embed(title=fit(f"Welcome to {guild.name}!", EMBED_TITLE), description=text, colour=COLOUR)
    embed.set_footer(text="You can also start from the welcome channel of the server.")
    return Screen(embeds=[embed], view=_view(StartButton(Ref(guild.id))))


def rules(ref: Ref, flow: Flow, page: int, note: str = "") -> Screen:
    pages = rule_pages(flow.rules)
    page = max(0, min(page, len(pages) - 1))
    embeds = []
    for rule in pages[page]:
        embed = discord.Embed(title=rule.title, description=rule.description, colour=COLOUR)
        if rule.thumbnail_url:
            embed.set_thumbnail(url=rule.thumbnail_url)
        if rule.image_url:
            embed.set_image(url=rule.image_url)
        embeds.append(embed)
    last = page == len(pages) - 1
    progress = f"Rules, page {page + 1} of {len(pages)}" if len(pages) > 1 else ""
    _footer(embeds[-1], ref, progress)
    item = AcceptRulesButton(ref.at("")) if last else RulesPageButton(ref.at(""), page + 1)
    intro = "Please read the rules of this server" + (" and accept them to go on." if last else ".")
    return Screen(content="\n".join(p for p in (note, intro) if p), embeds=embeds, view=_view(item))


def step(ref: Ref, flow: Flow, current: Step, note: str = "") -> Screen:
    """The screen for ``current``; ``note`` acknowledges the previous answer or explains a refusal."""
    if current.kind == "rules":
        return rules(ref, flow, 0, note)
    ref = ref.at(current.key)
    if current.kind == "opt_in":
        embed = discord.Embed(title="Personalized reminders and tips", colour=COLOUR, description=(
            "Would you like reminders and tips that fit your answers?"))
        buttons = [ChooseButton(ref, value, label) for value, label in OPT_IN_CHOICES]
        return Screen(note, [_footer(embed, ref, "Almost done: 2 short questions about you")], _view(*buttons))
    if current.kind == "language":
        embed = discord.Embed(title="Your language", colour=COLOUR,
                              description="In which language would you like to hear from us?")
        buttons = [ChooseButton(ref, value, label, discord.ButtonStyle.secondary if value == "other"
                                else discord.ButtonStyle.primary) for value, label in LANGUAGE_CHOICES]
        return Screen(note, [_footer(embed, ref, "Last question")], _view(*buttons))
    spec = current.spec
    assert spec is not None
    title = f"Question {current.number} of {flow.question_count}"
    if current.kind == "followup":
        title += " · follow-up"
    embed = discord.Embed(title=title, description=spec.text, colour=COLOUR)
    hint = {"select": "Pick one answer.", "text": "Press Answer and type your reply.",
            "email": "Press Answer and type your e-mail address."}.get(spec.type, "")
    if spec.type == "multiselect":
        low, high = spec.min_values or 1, spec.max_values or len(spec.options)
        hint = f"Pick {low}." if low == high else f"Pick {low} to {high} answers."
    _footer(embed, ref, hint + ("" if spec.required else " You may skip this one."))
    items: list[discord.ui.Item[Any]] = []
    if spec.type in CHOICE_TYPES:
        options = [discord.SelectOption(label=o.label, value=o.value, description=o.description)
                   for o in spec.options]
        high = 1 if spec.type == "select" else (spec.max_values or len(options))
        low = 1 if spec.type == "select" else (spec.min_values or 1)
        items.append(AnswerSelect(ref, options, min_values=low, max_values=high,
                                  placeholder="Choose an answer…" if high == 1 else "Choose your answers…"))
    else:
        items.append(OpenFormButton(ref, "Answer" if spec.type == "text" else "Enter e-mail address"))
    if not spec.required:
        items.append(SkipButton(ref))
    return Screen(note, [embed], _view(*items))


def finished(ref: Ref, granted: list[discord.Role], problems: int, note: str = "") -> Screen:
    lines = ["Thank you, you are all set!"]
    if granted:
        lines.append("You now have: " + ", ".join(role.mention for role in granted) + ".")
    if problems:
        lines.append("Some roles could not be given yet; the server's staff has been told.")
    embed = discord.Embed(title="🎉 Onboarding complete", description="\n".join(lines), colour=DONE_COLOUR)
    embed.set_footer(text="You can start again from the welcome panel to change your answers.")
    return Screen(note, [embed], _view(RedoButton(Ref(ref.guild_id))))


def preview_finished(note: str = "") -> Screen:
    embed = discord.Embed(title="Preview complete", colour=DONE_COLOUR, description=(
        "A member would be finished now and get the roles of their answers and the completed role. "
        "Nothing was stored."))
    return Screen(note, [embed], None)


def already_done(ref: Ref, finished_at: datetime) -> Screen:
    when = discord.utils.format_dt(finished_at.replace(tzinfo=UTC), "D")
    embed = discord.Embed(title="You already completed onboarding", colour=DONE_COLOUR, description=(
        f"You finished on {when}. Start again to change your answers; your previous answers stay until you "
        "finish the new run."))
    return Screen("", [embed], _view(RedoButton(Ref(ref.guild_id))))


def not_started(ref: Ref) -> Screen:
    embed = discord.Embed(title="No onboarding in progress", colour=COLOUR, description=(
        "This step belongs to a run that is no longer open. Press Start to begin."))
    return Screen("", [embed], _view(StartButton(Ref(ref.guild_id))))

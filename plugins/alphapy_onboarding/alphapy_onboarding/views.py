"""The buttons, menus and forms of the flow, all of which survive a restart.

Nothing about a member's run lives in memory: every custom id carries the guild (DMs
have none), the step it belongs to and, for a host's preview, a ``:p`` marker plus the
parent's answer for follow-ups (a preview stores nothing, so the id is its only memory).
The member's own answers are in the database (``onboarding_progress``).

    onboarding:start:<guild>                         Start (panel, DM)
    onboarding:redo:<guild>                          Start again after finishing
    onboarding:rules:<guild>:<page>[:p]              next page of rules
    onboarding:accept_rules:<guild>[:p]              accept the rules
    onboarding:answer:<guild>:<step>[:p<mask>]       a select menu's answer
    onboarding:open:<guild>:<step>[:p<mask>]         open the form of a text/e-mail step
    onboarding:form:<guild>:<step>[:p<mask>]         that form (a modal, handled by the cog)
    onboarding:skip:<guild>:<step>[:p<mask>]         skip an optional step
    onboarding:choose:<guild>:<step>:<value>[:p]     a personalization button
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import discord

from alphapy import answering_errors

if TYPE_CHECKING:
    from alphapy_onboarding.runner import Runner

PLUGIN = "onboarding"
_GUILD = r"(?P<guild>\d{1,20})"
_STEP = r"(?P<step>[0-9a-z_.*-]{1,60})"
_PREVIEW = r"(?::p(?P<mask>[0-9a-z]{0,8}))?"


@dataclass(frozen=True)
class Ref:
    """Where a component belongs: guild, step, and whether it is a host's preview."""

    guild_id: int
    step: str = ""
    preview: bool = False
    mask: str = ""

    def custom_id(self, action: str, *extra: str) -> str:
        parts = [PLUGIN, action, str(self.guild_id)]
        if self.step:
            parts.append(self.step)
        parts.extend(extra)
        return ":".join(parts) + (f":p{self.mask}" if self.preview else "")

    def at(self, step: str, mask: str | None = None) -> Ref:
        return replace(self, step=step, mask=self.mask if mask is None else mask)

    @classmethod
    def parse(cls, match: re.Match[str]) -> Ref:
        groups = match.groupdict()
        mask = groups.get("mask")  # None: no ":p" marker; "" or more: a preview
        return cls(int(groups["guild"]), groups.get("step") or "", mask is not None, mask or "")


def parse_form_id(custom_id: str) -> Ref | None:
    match = FORM_ID.fullmatch(custom_id)
    return None if match is None else Ref.parse(match)


FORM_ID = re.compile(rf"{PLUGIN}:form:{_GUILD}:{_STEP}{_PREVIEW}")


def runner_of(interaction: discord.Interaction) -> Runner:
    from alphapy_onboarding.cog import OnboardingCog

    return OnboardingCog.of(interaction.client).runner


async def run_safely(interaction: discord.Interaction, action: str, work: Any) -> None:
    """Run a component's work with the core's way of answering refusals and bugs."""
    async with answering_errors(interaction, action):
        await work


class StartButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"{PLUGIN}:start:{_GUILD}"):
    def __init__(self, ref: Ref, label: str = "Start") -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.success, emoji="👋",
                                           custom_id=ref.custom_id("start")))
        self.ref = ref

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any, match: re.Match[str]) -> StartButton:
        return cls(Ref.parse(match))

    async def callback(self, interaction: discord.Interaction) -> None:
        await run_safely(interaction, "start", runner_of(interaction).start(interaction, self.ref))


class RedoButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"{PLUGIN}:redo:{_GUILD}"):
    def __init__(self, ref: Ref) -> None:
        super().__init__(discord.ui.Button(label="Start again", style=discord.ButtonStyle.secondary,
                                           custom_id=ref.custom_id("redo")))
        self.ref = ref

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any, match: re.Match[str]) -> RedoButton:
        return cls(Ref.parse(match))

    async def callback(self, interaction: discord.Interaction) -> None:
        await run_safely(interaction, "redo", runner_of(interaction).start(interaction, self.ref, restart=True))


class RulesPageButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                      template=rf"{PLUGIN}:rules:{_GUILD}:(?P<page>\d{{1,3}}){_PREVIEW}"):
    def __init__(self, ref: Ref, page: int) -> None:
        super().__init__(discord.ui.Button(label="Next rules ›", style=discord.ButtonStyle.primary,
                                           custom_id=ref.custom_id("rules", str(page))))
        self.ref, self.page = ref, page

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any,
                             match: re.Match[str]) -> RulesPageButton:
        return cls(Ref.parse(match), int(match["page"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await run_safely(interaction, "rules", runner_of(interaction).rules_page(interaction, self.ref, self.page))


class AcceptRulesButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                        template=rf"{PLUGIN}:accept_rules:{_GUILD}{_PREVIEW}"):
    def __init__(self, ref: Ref) -> None:
        super().__init__(discord.ui.Button(label="I accept the rules", style=discord.ButtonStyle.success,
                                           emoji="✅", custom_id=ref.custom_id("accept_rules")))
        self.ref = ref

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any,
                             match: re.Match[str]) -> AcceptRulesButton:
        return cls(Ref.parse(match))

    async def callback(self, interaction: discord.Interaction) -> None:
        await run_safely(interaction, "accept_rules", runner_of(interaction).accept_rules(interaction, self.ref))


class AnswerSelect(discord.ui.DynamicItem[discord.ui.Select[Any]],
                   template=rf"{PLUGIN}:answer:{_GUILD}:{_STEP}{_PREVIEW}"):
    def __init__(self, ref: Ref, options: list[discord.SelectOption] | None = None, *, min_values: int = 1,
                 max_values: int = 1, placeholder: str | None = None) -> None:
        super().__init__(discord.ui.Select(custom_id=ref.custom_id("answer"), options=options or [],
                                           min_values=min_values, max_values=max_values, placeholder=placeholder))
        self.ref = ref

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any, match: re.Match[str]) -> AnswerSelect:
        return cls(Ref.parse(match))

    async def callback(self, interaction: discord.Interaction) -> None:
        raw = dict(interaction.data or {}).get("values")
        values = [str(value) for value in raw] if isinstance(raw, list) else []
        await run_safely(interaction, "answer", runner_of(interaction).answer(interaction, self.ref, values))


class OpenFormButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                     template=rf"{PLUGIN}:open:{_GUILD}:{_STEP}{_PREVIEW}"):
    def __init__(self, ref: Ref, label: str = "Answer") -> None:
        super().__init__(discord.ui.Button(label=label, style=discord.ButtonStyle.primary, emoji="✏️",
                                           custom_id=ref.custom_id("open")))
        self.ref = ref

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any,
                             match: re.Match[str]) -> OpenFormButton:
        return cls(Ref.parse(match))

    async def callback(self, interaction: discord.Interaction) -> None:
        await run_safely(interaction, "open", runner_of(interaction).open_form(interaction, self.ref))


class SkipButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=rf"{PLUGIN}:skip:{_GUILD}:{_STEP}{_PREVIEW}"):
    def __init__(self, ref: Ref) -> None:
        super().__init__(discord.ui.Button(label="Skip", style=discord.ButtonStyle.secondary,
                                           custom_id=ref.custom_id("skip")))
        self.ref = ref

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any, match: re.Match[str]) -> SkipButton:
        return cls(Ref.parse(match))

    async def callback(self, interaction: discord.Interaction) -> None:
        await run_safely(interaction, "skip", runner_of(interaction).answer(interaction, self.ref, None, skip=True))


class ChooseButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=rf"{PLUGIN}:choose:{_GUILD}:{_STEP}:(?P<value>[a-z_]{{1,20}}){_PREVIEW}"):
    def __init__(self, ref: Ref, value: str, label: str = "", style: discord.ButtonStyle = discord.ButtonStyle.primary
                 ) -> None:
        super().__init__(discord.ui.Button(label=label or value, style=style,
                                           custom_id=ref.custom_id("choose", value)))
        self.ref, self.value = ref, value

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: Any, match: re.Match[str]) -> ChooseButton:
        return cls(Ref.parse(match), match["value"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await run_safely(interaction, "choose", runner_of(interaction).choose(interaction, self.ref, self.value))


ITEMS = (StartButton, RedoButton, RulesPageButton, AcceptRulesButton, AnswerSelect, OpenFormButton, SkipButton,
         ChooseButton)


def form(ref: Ref, title: str, label: str, *, max_length: int, paragraph: bool, placeholder: str | None = None,
         value: str | None = None) -> discord.ui.Modal:
    """A one-field form. It is never kept in discord.py's modal store: the cog handles every
    ``onboarding:form:`` submission itself, so one opened before a restart still works."""
    modal = discord.ui.Modal(title=title[:45], custom_id=ref.custom_id("form"), timeout=None)
    modal.add_item(discord.ui.TextInput(
        label=label[:45], custom_id="answer", required=True, min_length=1, max_length=max_length,
        style=discord.TextStyle.paragraph if paragraph else discord.TextStyle.short,
        placeholder=placeholder[:100] if placeholder else None, default=value))
    modal.stop()
    return modal


def submitted_text(data: dict[str, Any]) -> str | None:
    """The value of the ``answer`` field of a modal submission (action rows or labels)."""
    for component in data.get("components") or []:
        inner = component.get("components") or ([component["component"]] if "component" in component else [])
        for field in inner:
            if field.get("custom_id") == "answer":
                value = field.get("value")
                return value if isinstance(value, str) else None
    return None

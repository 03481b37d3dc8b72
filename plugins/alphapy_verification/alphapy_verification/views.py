"""Buttons, the rejection form and the embeds of the verification flow.

Every component carries what it needs in its custom id (``verification:approve:42``) and
is a :class:`discord.ui.DynamicItem`, so a button posted last month still works after a
restart. The rejection form (``verification:reason:42``) is answered by the cog's
``on_interaction`` listener rather than by a modal object kept in memory, for the same
reason. discord.py swallows errors raised in dynamic items; :func:`_run` reports them as
a command's would be (a polite refusal, or an error id).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import discord

from alphapy import answering_errors, safe
from alphapy_verification.assess import CAUSES

if TYPE_CHECKING:
    from alphapy_verification.flow import Verifications

PLUGIN = "verification"
REASON_FORM = re.compile(r"verification:reason:(?P<id>\d{1,9})")
REASON_FIELD = "reason"


async def _run(interaction: discord.Interaction, action: str,
               work: Callable[[Verifications], Awaitable[None]]) -> None:
    from alphapy_verification.cog import VerificationCog

    async with answering_errors(interaction, action):
        await work(VerificationCog.of(interaction.client).flow)


class StartButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"verification:start"):
    """The panel's button: opens a verification for whoever presses it."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label="Start verification", emoji="🧾",
                                           style=discord.ButtonStyle.primary, custom_id="verification:start"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> StartButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        await _run(interaction, "start", lambda flow: flow.open(interaction, interaction.user, by_staff=False))  # type: ignore[arg-type]


class _TicketButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                    template=r"verification:(?P<action>\w+):(?P<id>\d{1,9})"):
    """A button about one ticket: ``verification:<action>:<ticket id>``.

    The base is never registered (discord.py wants a template on it all the same); each
    subclass registers its own action.
    """

    action = ""
    label = ""
    style = discord.ButtonStyle.secondary

    def __init__(self, ticket_id: int) -> None:
        super().__init__(discord.ui.Button(label=self.label, style=self.style,
                                           custom_id=f"verification:{self.action}:{ticket_id}"))
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> _TicketButton:
        return cls(int(match["id"]))


class ApproveButton(_TicketButton, template=r"verification:approve:(?P<id>\d{1,9})"):
    action, label, style = "approve", "Approve", discord.ButtonStyle.success

    async def callback(self, interaction: discord.Interaction) -> None:
        await _run(interaction, "approve", lambda flow: flow.approve(interaction, self.ticket_id))


class RejectButton(_TicketButton, template=r"verification:reject:(?P<id>\d{1,9})"):
    action, label, style = "reject", "Reject", discord.ButtonStyle.danger

    async def callback(self, interaction: discord.Interaction) -> None:
        await _run(interaction, "reject", lambda flow: flow.start_reject(interaction, self.ticket_id))


class CancelButton(_TicketButton, template=r"verification:cancel:(?P<id>\d{1,9})"):
    action, label, style = "cancel", "Cancel verification", discord.ButtonStyle.secondary

    async def callback(self, interaction: discord.Interaction) -> None:
        await _run(interaction, "cancel", lambda flow: flow.cancel(interaction, self.ticket_id))


DYNAMIC_ITEMS = (StartButton, ApproveButton, RejectButton, CancelButton)


def _view(*items: discord.ui.Item[Any]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


def panel_view() -> discord.ui.View:
    return _view(StartButton())


def intro_view(ticket_id: int) -> discord.ui.View:
    return _view(CancelButton(ticket_id))


def review_view(ticket_id: int) -> discord.ui.View:
    return _view(ApproveButton(ticket_id), RejectButton(ticket_id))


# --- the rejection form ---------------------------------------------------------------------
def reject_form(ticket_id: int) -> discord.ui.Modal:
    """The staff's reason for a rejection. Not kept in memory: the cog answers its submit."""
    modal = discord.ui.Modal(title=f"Reject verification #{ticket_id}", custom_id=f"verification:reason:{ticket_id}",
                             timeout=None)
    modal.add_item(discord.ui.TextInput(
        label="Reason (the member reads it)", custom_id=REASON_FIELD, style=discord.TextStyle.paragraph,
        min_length=3, max_length=500, placeholder="e.g. the receipt is for another product"))
    modal.stop()  # not stored by discord.py: a restart between click and submit loses nothing
    return modal


def submitted_reason(data: dict[str, Any]) -> str:
    """The reason field's text from a modal submit payload (action rows or labels)."""
    for component in data.get("components") or []:
        children = component.get("components") or ([component["component"]] if "component" in component else [])
        for child in children:
            if child.get("custom_id") == REASON_FIELD:
                return str(child.get("value") or "")
    return ""


# --- embeds ---------------------------------------------------------------------------------
def _yes(value: bool | None) -> str:
    return "yes" if value else "no"


def review_embed(row: Any) -> discord.Embed:
    """What staff need to decide: why it is with them, the model's (sanitised) view, flags."""
    error = row["status"] == "error"
    embed = discord.Embed(title=f"Verification #{row['id']} — waiting for staff",
                          colour=discord.Colour.red() if error else discord.Colour.orange())
    embed.add_field(name="Member", value=f"<@{row['user_id']}>")
    embed.add_field(name="Status", value=row["status"].replace("_", " "))
    embed.add_field(name="Why", value=CAUSES.get(row["review_cause"], "Staff decide."), inline=False)
    if row["ai_can_verify"] is not None:
        embed.add_field(name="The AI's view", value=(
            f"can verify: **{_yes(row['ai_can_verify'])}** · asks for review: "
            f"**{_yes(row['ai_needs_manual_review'])}**\n{safe(row['ai_reason'] or '', 300)}"), inline=False)
    if row["duplicate_of_user"]:
        embed.add_field(name="⚠️ Reused screenshot",
                        value="It closely matches a screenshot another member sent (see `/verification pending`).",
                        inline=False)
    embed.set_footer(text="Approve gives the verified role; Reject asks for a reason the member reads.")
    return embed


def decided_embed(row: Any, verdict: str, staff_id: int) -> discord.Embed:
    embed = discord.Embed(title=f"Verification #{row['id']} — {verdict}",
                          colour=discord.Colour.green() if verdict == "Approved" else discord.Colour.dark_grey())
    embed.add_field(name="Member", value=f"<@{row['user_id']}>")
    embed.add_field(name="By", value=f"<@{staff_id}>")
    if row["staff_reason"]:
        embed.add_field(name="Reason", value=safe(row["staff_reason"], 500), inline=False)
    return embed

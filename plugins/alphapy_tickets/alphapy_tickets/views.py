"""Buttons and forms. Every one carries what it needs in its custom id, so nothing lives in
memory and a button posted last month still works after a restart:

* ``tickets:open``: the panel's button (opens the description form);
* ``tickets:<action>:<ticket_id>``: Claim, Ask member, Escalate, Close, Archive and the
  confirmations (``close_confirm``, ``close_reason``, ``archive_confirm``);
* forms: ``tickets:open_form`` and ``tickets:close_form:<ticket_id>``. discord.py keeps a
  modal's handler in memory only, so the cog handles submissions by custom id instead.

Handlers live in the cog; these classes only route. A refusal raised by a handler
(:class:`UserError`) reaches the member through the core's error reporting, like a command's.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from alphapy import UserError, answering_errors
from alphapy_tickets.lifecycle import ACTIONS_BY_STATUS, Ticket

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from alphapy_tickets.cog import TicketsCog

MAX_TICKET_ID = 2_147_483_647  # SERIAL: a larger id in a forged custom id cannot exist
DESCRIPTION_MAX = 4000
REASON_MAX = 500

OPEN_FORM = "tickets:open_form"
CLOSE_FORM = re.compile(r"tickets:close_form:(\d{1,10})")

# action -> (label, style, emoji)
BUTTONS: dict[str, tuple[str, discord.ButtonStyle, str | None]] = {
    "claim": ("Claim", discord.ButtonStyle.primary, "🙋"),
    "ask": ("Ask member", discord.ButtonStyle.secondary, "💬"),
    "escalate": ("Escalate", discord.ButtonStyle.danger, "⬆️"),
    "close": ("Close", discord.ButtonStyle.secondary, "🔒"),
    "close_confirm": ("Yes, close it", discord.ButtonStyle.danger, None),
    "close_reason": ("Close with a reason", discord.ButtonStyle.secondary, None),
    "archive": ("Archive", discord.ButtonStyle.secondary, "🗄️"),
    "archive_confirm": ("Yes, archive it", discord.ButtonStyle.danger, None),
}


def tickets_cog(interaction: discord.Interaction) -> TicketsCog:
    from alphapy_tickets.cog import TicketsCog

    return TicketsCog.of(interaction.client)


async def run_guarded(interaction: discord.Interaction, work: Awaitable[Any], what: str) -> None:
    """Run a component handler; a refusal or a bug is told to the member as a command's would be."""
    async with answering_errors(interaction, what):
        await work


class TicketButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                   template=rf"tickets:(?P<action>{'|'.join(BUTTONS)}):(?P<id>\d{{1,10}})"):
    """Every action on one ticket; the action and the ticket come from the custom id."""

    def __init__(self, action: str, ticket_id: int) -> None:
        label, style, emoji = BUTTONS[action]
        super().__init__(discord.ui.Button(label=label, style=style, emoji=emoji,
                                           custom_id=f"tickets:{action}:{ticket_id}"))
        self.action = action
        self.ticket_id = ticket_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> TicketButton:
        return cls(match["action"], int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async def work() -> None:
            if self.ticket_id > MAX_TICKET_ID:
                raise UserError("There is no such ticket in this server.")
            await tickets_cog(interaction).on_action(interaction, self.action, self.ticket_id)

        await run_guarded(interaction, work(), f"button {self.action}")


class OpenButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"tickets:open"):
    """The panel's button: anyone may press it; the form asks for the description."""

    def __init__(self) -> None:
        super().__init__(discord.ui.Button(label="Open a ticket", style=discord.ButtonStyle.primary,
                                           emoji="🎫", custom_id="tickets:open"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> OpenButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        await run_guarded(interaction, tickets_cog(interaction).on_open_button(interaction), "button open")


def control_view(ticket: Ticket) -> discord.ui.View:
    """The buttons the ticket's status allows (none once archived)."""
    view = discord.ui.View(timeout=None)
    for action in ACTIONS_BY_STATUS[ticket.status]:
        view.add_item(TicketButton(action, ticket.id))
    return view


def confirm_view(ticket_id: int, *actions: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for action in actions:
        view.add_item(TicketButton(action, ticket_id))
    return view


def panel_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(OpenButton())
    return view


def open_form() -> discord.ui.Modal:
    form = discord.ui.Modal(title="Open a support ticket", custom_id=OPEN_FORM, timeout=900)
    form.add_item(discord.ui.TextInput(
        label="What do you need help with?", style=discord.TextStyle.paragraph, custom_id="description",
        min_length=1, max_length=DESCRIPTION_MAX, placeholder="Describe the problem; staff will answer in a private channel."))
    return form


def close_form(ticket_id: int) -> discord.ui.Modal:
    form = discord.ui.Modal(title=f"Close ticket #{ticket_id}", custom_id=f"tickets:close_form:{ticket_id}", timeout=900)
    form.add_item(discord.ui.TextInput(
        label="Reason (optional)", style=discord.TextStyle.paragraph, custom_id="reason",
        required=False, max_length=REASON_MAX))
    return form


def form_values(data: Any) -> dict[str, str]:
    """Text fields of a submitted form by custom id (action rows or labels, as Discord sends them)."""
    values: dict[str, str] = {}

    def walk(components: Any) -> None:
        for component in components or []:
            if not isinstance(component, dict):
                continue
            if "component" in component:
                walk([component["component"]])
            if "components" in component:
                walk(component["components"])
            if isinstance(component.get("custom_id"), str) and isinstance(component.get("value"), str):
                values[component["custom_id"]] = component["value"]

    walk((data or {}).get("components"))
    return values

"""The confirmation buttons of ``/premium_transfer``, persistent across restarts.

Custom ids carry everything: ``premium:transfer:<subscription id>`` moves that
subscription to the server the button is clicked in, ``premium:keep:<id>`` dismisses the
question. Whoever clicks must own the subscription; every condition is checked again at
the click, under a row lock, because a prompt can be old. Any other ``premium:`` id (a
button from a future version, a forged one) answers that the button is no longer valid
instead of leaving the member with "interaction failed".
"""

from __future__ import annotations

import re
from typing import Any

import discord

from alphapy import answering_errors

PLUGIN = "premium"
TRANSFER = "transfer"
KEEP = "keep"
NO_MENTIONS = discord.AllowedMentions.none()


def transfer_view(sub_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(TransferButton(sub_id))
    view.add_item(KeepButton(sub_id))
    return view


class TransferButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                     template=r"premium:transfer:(?P<sub_id>[0-9]{1,10})"):
    def __init__(self, sub_id: int) -> None:
        super().__init__(discord.ui.Button(label="Move it here", style=discord.ButtonStyle.primary,
                                           custom_id=f"{PLUGIN}:{TRANSFER}:{sub_id}"))
        self.sub_id = sub_id

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> TransferButton:
        return cls(int(match["sub_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        from alphapy_premium.cog import PremiumCog

        async with answering_errors(interaction, f"button {TRANSFER}"):
            await PremiumCog.of(interaction.client).confirm_transfer(interaction, self.sub_id)


class KeepButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                 template=r"premium:keep:(?P<sub_id>[0-9]{1,10})"):
    def __init__(self, sub_id: int) -> None:
        super().__init__(discord.ui.Button(label="Keep it where it is", style=discord.ButtonStyle.secondary,
                                           custom_id=f"{PLUGIN}:{KEEP}:{sub_id}"))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> KeepButton:
        return cls(int(match["sub_id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        async with answering_errors(interaction, f"button {KEEP}"):
            await interaction.response.edit_message(content="Nothing was moved.", view=None,
                                                    allowed_mentions=NO_MENTIONS)


class StaleButton(discord.ui.DynamicItem[discord.ui.Button[Any]],
                  template=r"(?s)premium:(?!(?:transfer|keep):[0-9]{1,10}\Z).*"):
    """Every other ``premium:`` id: answered, never acted on."""

    def __init__(self, custom_id: str) -> None:
        super().__init__(discord.ui.Button(label="?", custom_id=custom_id[:100]))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str]) -> StaleButton:
        return cls(match.group(0))

    async def callback(self, interaction: discord.Interaction) -> None:
        async with answering_errors(interaction, "button stale"):
            await interaction.response.send_message(
                "This button is no longer valid. Run `/premium_transfer` again.",
                ephemeral=True, allowed_mentions=NO_MENTIONS)


DYNAMIC_ITEMS = (TransferButton, KeepButton, StaleButton)

"""``/faq search|show|add|edit|remove|stats``, the proposal buttons and the entry forms."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import discord
from discord import app_commands

from alphapy import AlphapyBot, PluginCog, UserError, answering_errors, require_staff, staff_only
from alphapy_faq import decisions, entries, search, store
from alphapy_faq.text import clean
from alphapy_faq.views import (
    ADD_FORM,
    EDIT_FORM,
    FIELD_ANSWER,
    FIELD_KEYWORDS,
    FIELD_TITLE,
    PROPOSAL_FORM,
    ProposalAddButton,
    ProposalDismissButton,
    code,
    entry_embed,
    entry_form,
    form_values,
    results_embed,
    safe,
)

PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30), "all": None}
NO_MENTIONS = discord.AllowedMentions.none()
_ID = re.compile(r"#?\s*(\d{1,10})")
MAX_ID = 2**31 - 1
STAFF_ONLY = "Only staff can use this command."


class FaqCog(PluginCog, plugin="faq"):
    faq = app_commands.Group(name="faq", description="Search this server's FAQ", guild_only=True)

    def __init__(self, bot: AlphapyBot) -> None:
        super().__init__(bot)
        self.trigram = False

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ProposalAddButton, ProposalDismissButton)
        self.trigram = await search.prepare_trigram(self.bot.db)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(ProposalAddButton, ProposalDismissButton)

    # --- helpers ------------------------------------------------------------------------
    async def guarded(self, interaction: discord.Interaction, action: str,
                      handler: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run a button or form handler; refusals and bugs are answered as for commands."""
        async with answering_errors(interaction, action):
            await handler(interaction, *args)

    async def _options(self, guild_id: int) -> search.Options:
        return search.Options(await self.setting(guild_id, "language"), await self.setting(guild_id, "results"),
                              self.trigram)

    async def _find(self, conn: Any, guild_id: int, entry: str, *, own: bool) -> Any:
        """An entry named by id ("12", "#12") or title; own entries only for changes."""
        text = clean(entry or "", 200)
        match = _ID.fullmatch(text)
        if match and int(match[1]) <= MAX_ID:
            record = await store.entry_for_guild(conn, int(match[1]), guild_id)
        else:
            record = await store.entry_by_title(conn, guild_id, text) or await store.entry_by_title(conn, None, text)
        if record is None:
            raise UserError(f"There is no FAQ entry “{safe(text, 60)}” in this server (see `/faq search`).")
        if own and record["guild_id"] is None:
            raise UserError(f"FAQ #{record['id']} is a global entry, kept by the bot's operators; "
                            "add your own entry with `/faq add` instead.")
        return record

    async def _titles(self, interaction: discord.Interaction, current: str, *, own: bool,
                      as_id: bool) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        async with self.bot.db.acquire() as conn:
            found = await search.titles(conn, interaction.guild_id, str(current or ""), own=own)
        return [app_commands.Choice(name=clean(f"#{r['id']} {r['title']}" if as_id else r["title"], 100),
                                    value=str(r["id"]) if as_id else r["title"][:100]) for r in found]

    async def _title_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self._titles(interaction, current, own=False, as_id=False)

    async def _entry_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self._titles(interaction, current, own=False, as_id=True)

    async def _own_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self._titles(interaction, current, own=True, as_id=True)

    # --- members ------------------------------------------------------------------------
    @faq.command(name="search", description="Search the FAQ")
    @app_commands.describe(query="what you want to know, in a few words")
    @app_commands.autocomplete(query=_title_choices)
    async def search_command(self, interaction: discord.Interaction, query: str) -> None:
        assert interaction.guild_id is not None
        options = await self._options(interaction.guild_id)
        async with self.bot.db.acquire() as conn:
            result = await search.search(conn, interaction.guild_id, query, options)
            if not result.terms:
                raise UserError("I found no words to search for in that. "
                                "Try a few plain words, for example `reset password`.")
            await store.log_search(conn, interaction.guild_id, interaction.user.id, result.query, result.total)
        await interaction.response.send_message(embed=results_embed(result), ephemeral=True,
                                                allowed_mentions=NO_MENTIONS)

    @faq.command(name="show", description="Post an FAQ answer in this channel")
    @app_commands.describe(entry="the entry's number or title")
    @app_commands.autocomplete(entry=_entry_choices)
    async def show(self, interaction: discord.Interaction, entry: str) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.acquire() as conn:
            record = await self._find(conn, interaction.guild_id, entry, own=False)
        await interaction.response.send_message(embed=entry_embed(record), allowed_mentions=NO_MENTIONS)

    # --- staff --------------------------------------------------------------------------
    @faq.command(name="add", description="Write a new FAQ entry for this server")
    @staff_only()
    async def add(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(entry_form(ADD_FORM, "New FAQ entry"))

    @faq.command(name="edit", description="Change one of this server's FAQ entries")
    @app_commands.describe(entry="the entry's number or title")
    @app_commands.autocomplete(entry=_own_choices)
    @staff_only()
    async def edit(self, interaction: discord.Interaction, entry: str) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.acquire() as conn:
            record = await self._find(conn, interaction.guild_id, entry, own=True)
        await interaction.response.send_modal(entry_form(
            f"faq:entry-edit:{record['id']}", f"Edit FAQ #{record['id']}", title=record["title"],
            keywords=", ".join(record["keywords"] or []), answer=record["summary"]))

    @faq.command(name="remove", description="Remove one of this server's FAQ entries")
    @app_commands.describe(entry="the entry's number or title")
    @app_commands.autocomplete(entry=_own_choices)
    @staff_only()
    async def remove(self, interaction: discord.Interaction, entry: str) -> None:
        assert interaction.guild_id is not None
        async with self.bot.db.acquire() as conn:
            record = await self._find(conn, interaction.guild_id, entry, own=True)
            removed = await entries.remove(conn, record["id"], interaction.guild_id)
        if removed is None:
            raise UserError("That entry was removed a moment ago.")
        await interaction.response.send_message(
            f"Removed FAQ #{removed['id']} “{safe(removed['title'], 100)}”. Its text, should you want it back:",
            embed=entry_embed(removed), ephemeral=True, allowed_mentions=NO_MENTIONS)

    @faq.command(name="stats", description="What people search for, and what they do not find")
    @app_commands.describe(period="how far back to look")
    @staff_only()
    async def stats(self, interaction: discord.Interaction,
                    period: Literal["24h", "7d", "30d", "all"] = "7d") -> None:
        assert interaction.guild_id is not None
        window = PERIODS[period]
        since = None if window is None else datetime.now(UTC) - window
        async with self.bot.db.acquire() as conn:
            totals = await store.search_totals(conn, interaction.guild_id, since)
            top = await store.top_queries(conn, interaction.guild_id, since, empty_only=False)
            missing = await store.top_queries(conn, interaction.guild_id, since, empty_only=True)
            own, shared = await store.count_entries(conn, interaction.guild_id)
        label = "all time" if period == "all" else f"last {period}"
        embed = discord.Embed(title=f"FAQ searches — {label}", colour=0x5865F2)
        if not totals["searches"]:
            embed.description = "Nobody searched the FAQ in this period."
        else:
            rate = 100 * totals["empty"] / totals["searches"]
            embed.description = (f"**{totals['searches']}** searches by **{totals['people']}** people; "
                                 f"**{totals['empty']}** ({rate:.0f}%) found nothing.")
            embed.add_field(name="Top searches", inline=False, value="\n".join(
                f"{code(r['query'], 60)} — {r['times']}×" for r in top) or "—")
            embed.add_field(name="Found nothing (write these next)", inline=False, value="\n".join(
                f"{code(r['query'], 60)} — {r['times']}×" for r in missing) or "—")
        embed.set_footer(text=f"{own} entries of this server · {shared} global entries")
        await interaction.response.send_message(embed=embed, ephemeral=True, allowed_mentions=NO_MENTIONS)

    # --- forms --------------------------------------------------------------------------
    @PluginCog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is not discord.InteractionType.modal_submit or interaction.guild_id is None:
            return
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        if custom_id == ADD_FORM:
            await self.guarded(interaction, "add", self._save_new)
        elif match := EDIT_FORM.fullmatch(custom_id):
            await self.guarded(interaction, "edit", self._save_edit, int(match["id"]))
        elif match := PROPOSAL_FORM.fullmatch(custom_id):
            await self.guarded(interaction, "proposal add", self._save_proposal, int(match["id"]))

    @staticmethod
    def _draft(interaction: discord.Interaction) -> entries.Draft:
        values = form_values(dict(interaction.data or {}))
        try:
            return entries.Draft.parse(values.get(FIELD_TITLE, ""), values.get(FIELD_ANSWER, ""),
                                       values.get(FIELD_KEYWORDS, ""))
        except entries.EntryError as exc:
            raise UserError(str(exc)) from None

    async def _write(self, call: Awaitable[Any]) -> Any:
        try:
            return await call
        except entries.EntryError as exc:
            raise UserError(str(exc)) from None

    async def _save_new(self, interaction: discord.Interaction) -> None:
        await require_staff(interaction, STAFF_ONLY, plugin=self.plugin)
        draft = self._draft(interaction)
        async with self.bot.db.acquire() as conn:
            record = await self._write(entries.add(conn, interaction.guild_id, draft, interaction.user.id))
        await interaction.response.send_message(f"Added FAQ #{record['id']}.", embed=entry_embed(record),
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)

    async def _save_edit(self, interaction: discord.Interaction, entry_id: int) -> None:
        await require_staff(interaction, STAFF_ONLY, plugin=self.plugin)
        draft = self._draft(interaction)
        async with self.bot.db.acquire() as conn:
            record = await self._write(entries.edit(conn, entry_id, interaction.guild_id, draft, interaction.user.id))
        if record is None:
            raise UserError(f"There is no FAQ entry #{entry_id} of this server any more.")
        await interaction.response.send_message(f"Updated FAQ #{record['id']}.", embed=entry_embed(record),
                                                ephemeral=True, allowed_mentions=NO_MENTIONS)

    # --- proposals ----------------------------------------------------------------------
    async def open_proposal_form(self, interaction: discord.Interaction, proposal_id: int) -> None:
        assert interaction.guild_id is not None
        await require_staff(interaction, STAFF_ONLY, plugin=self.plugin)
        async with self.bot.db.acquire() as conn:
            record = await decisions.open_proposal(conn, interaction.guild_id, proposal_id)
            title, keywords, answer = await decisions.draft_of(conn, interaction.guild_id, record)
        await interaction.response.send_modal(entry_form(
            f"faq:proposal-save:{proposal_id}", "Add to FAQ", title=title, keywords=", ".join(keywords),
            answer=answer))

    async def _save_proposal(self, interaction: discord.Interaction, proposal_id: int) -> None:
        assert interaction.guild_id is not None
        await require_staff(interaction, STAFF_ONLY, plugin=self.plugin)
        draft = self._draft(interaction)
        entry, record = await self._write(decisions.accept(self.bot.db, interaction.guild_id, proposal_id, draft,
                                                           interaction.user.id))
        outcome = f"Added as FAQ #{entry['id']} by {interaction.user.mention}."
        await self._close_message(interaction, proposal_id, record["similarity_key"], outcome)
        await interaction.followup.send(f"Added FAQ #{entry['id']}.", embed=entry_embed(entry), ephemeral=True,
                                        allowed_mentions=NO_MENTIONS)

    async def dismiss_proposal(self, interaction: discord.Interaction, proposal_id: int) -> None:
        assert interaction.guild_id is not None
        await require_staff(interaction, STAFF_ONLY, plugin=self.plugin)
        record = await decisions.dismiss(self.bot.db, interaction.guild_id, proposal_id, interaction.user.id)
        outcome = f"Dismissed by {interaction.user.mention}; this topic will not be proposed again."
        await self._close_message(interaction, proposal_id, record["similarity_key"], outcome)

    async def _close_message(self, interaction: discord.Interaction, proposal_id: int, topic: str,
                             outcome: str) -> None:
        """Show the outcome on the proposal itself and take its buttons away."""
        assert interaction.guild_id is not None
        embed = await decisions.outcome_embed(self.bot.db, interaction.guild_id, proposal_id, topic, outcome)
        if interaction.message is not None:
            await interaction.response.edit_message(embed=embed, view=None, allowed_mentions=NO_MENTIONS)
        else:
            await interaction.response.defer(ephemeral=True)

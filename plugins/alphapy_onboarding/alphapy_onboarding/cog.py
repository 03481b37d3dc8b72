"""The onboarding plugin in Discord: the hosts' commands, the Start panel, the join DM.

Members never type a command: they press Start (on the panel the bot keeps in
``onboarding.channel``, or in the DM it sends on join) and answer step by step; the
:class:`~alphapy_onboarding.runner.Runner` handles those clicks. Every ``/onboarding``
command is for server managers.
"""

from __future__ import annotations

import asyncio
import io
from collections import defaultdict
from typing import Any, Literal

import discord
from discord import app_commands

from alphapy import (
    EMBED_DESCRIPTION,
    AlphapyBot,
    PluginCog,
    UserError,
    describe_exception,
    escape,
    fit,
    fit_lines,
    grant_refusal,
    manage_guild_only,
)
from alphapy_onboarding import editor, questions as q, render, store
from alphapy_onboarding.export import responses_csv
from alphapy_onboarding.questions import QuestionDraft
from alphapy_onboarding.runner import Runner
from alphapy_onboarding.views import ITEMS, parse_form_id, run_safely, submitted_text

QuestionType = Literal["select", "multiselect", "text", "email"]
JSON_OPTION_MAX = 6000  # what Discord lets a string option carry
# Questions and rules are SERIAL rows: Discord refuses a typed id outside this range, so an id
# of 2**31 or 2**63 never reaches PostgreSQL (where it was an integer overflow and an error id).
RowId = app_commands.Range[int, 1, 2_147_483_647]


def _role_problem(interaction: discord.Interaction) -> Any:
    """Vets an option's role by the core's rule: only roles the host could give in Discord themselves."""
    guild = interaction.guild
    actor = interaction.user
    assert guild is not None and isinstance(actor, discord.Member)  # a server command's user is a member

    def problem(role_id: int) -> str | None:
        role = guild.get_role(role_id)
        if role is None:
            return f"the role {role_id} is not a role of this server."
        return grant_refusal(actor, role, bot_member=guild.me)

    return problem


def _guild_id(interaction: discord.Interaction) -> int:
    """The server of a command of the guild-only ``/onboarding`` group (Discord sends no other)."""
    assert interaction.guild_id is not None
    return interaction.guild_id


def _summary(number: int, question: q.Question) -> str:
    spec = question.spec
    text = fit(escape(spec.text, mentions=False), 100)
    facts = [spec.type, "required" if spec.required else "optional"]
    if spec.options:
        facts.append(f"{len(spec.options)} options")
    if spec.type == "multiselect":
        facts.append(f"pick {spec.min_values}–{spec.max_values}")
    if spec.type == "text":
        facts.append(f"≤ {spec.max_length} chars")
    if question.followups:
        facts.append(f"{len(question.followups)} follow-up{'s' if len(question.followups) > 1 else ''}")
    if not question.enabled:
        facts.append("**disabled**")
    return f"**{number}.** {text} — `#{question.id}` · {' · '.join(facts)}"


class OnboardingCog(PluginCog, plugin="onboarding"):
    onboarding = manage_guild_only()(app_commands.Group(
        name="onboarding", description="Set up how new members are welcomed", guild_only=True))
    question_group = app_commands.Group(name="question", description="The questions new members answer",
                                        parent=onboarding)
    rule_group = app_commands.Group(name="rule", description="The rules new members accept", parent=onboarding)

    def __init__(self, bot: AlphapyBot) -> None:
        super().__init__(bot)
        self.runner = Runner(bot)
        self._panels_checked = False
        # one panel check at a time per guild: the start-up check, /onboarding panel and a
        # deleted panel's restoration would each find no panel and post one
        self._panel_locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(*ITEMS)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(*ITEMS)

    # --- autocomplete --------------------------------------------------------------------------------
    async def _question_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        async with self.bot.db.acquire() as conn:
            found = await store.questions(conn, _guild_id(interaction))
        needle = current.strip().lower()
        choices = [app_commands.Choice(name=fit(f"{n}. {x.spec.text}", 100), value=x.id)
                   for n, x in enumerate(found, start=1) if needle in f"{n}. {x.spec.text}".lower()]
        return choices[:25]

    async def _rule_choices(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[int]]:
        async with self.bot.db.acquire() as conn:
            found = await store.rules(conn, _guild_id(interaction))
        needle = current.strip().lower()
        return [app_commands.Choice(name=fit(f"{n}. {r.title}", 100), value=r.id)
                for n, r in enumerate(found, start=1) if needle in f"{n}. {r.title}".lower()][:25]

    # --- questions -----------------------------------------------------------------------------------
    @question_group.command(name="add", description="Add a question to the onboarding")
    @app_commands.rename(kind="type")
    @app_commands.describe(
        question="what to ask", kind="how it is answered",
        options='select/multiselect: JSON list, e.g. ["Gaming", {"label": "Music", "role": "<@&123>"}]',
        followup='JSON: {"<option value or *>": {"question": "...", "type": "text"}}',
        required="whether it must be answered (default yes)",
        min_values="multiselect: fewest answers", max_values="multiselect: most answers",
        max_length="text: longest answer (default 1000)", position="where in the order (default: last)")
    async def question_add(
        self, interaction: discord.Interaction,
        question: app_commands.Range[str, 1, q.QUESTION_MAX], kind: QuestionType,
        options: app_commands.Range[str, 1, JSON_OPTION_MAX] | None = None,
        followup: app_commands.Range[str, 1, JSON_OPTION_MAX] | None = None,
        required: bool = True,
        min_values: app_commands.Range[int, 1, 25] | None = None,
        max_values: app_commands.Range[int, 1, 25] | None = None,
        max_length: app_commands.Range[int, 1, q.TEXT_MAX] | None = None,
        position: app_commands.Range[int, 1, q.MAX_QUESTIONS] | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        draft = QuestionDraft(question, kind, q.parse_options(options) if options else [],
                              q.parse_followups(followup) if followup else [], required, min_values, max_values,
                              max_length)
        new_id, landed = await editor.add_question(self.bot.db, guild.id, draft, _role_problem(interaction), position)
        await interaction.response.send_message(
            f"Question `#{new_id}` added at position {landed}.", ephemeral=True)

    @question_group.command(name="edit", description="Change a question (only what you fill in changes)")
    @app_commands.rename(kind="type")
    @app_commands.describe(question_id="the question", question="new text", kind="new answer type",
                           options="new options (JSON list)", followup='new follow-ups (JSON; "{}" removes them)',
                           required="whether it must be answered", enabled="show it to new members",
                           min_values="multiselect: fewest answers", max_values="multiselect: most answers",
                           max_length="text: longest answer")
    @app_commands.autocomplete(question_id=_question_choices)
    async def question_edit(
        self, interaction: discord.Interaction, question_id: RowId,
        question: app_commands.Range[str, 1, q.QUESTION_MAX] | None = None, kind: QuestionType | None = None,
        options: app_commands.Range[str, 1, JSON_OPTION_MAX] | None = None,
        followup: app_commands.Range[str, 1, JSON_OPTION_MAX] | None = None,
        required: bool | None = None, enabled: bool | None = None,
        min_values: app_commands.Range[int, 1, 25] | None = None,
        max_values: app_commands.Range[int, 1, 25] | None = None,
        max_length: app_commands.Range[int, 1, q.TEXT_MAX] | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None
        changes = editor.QuestionChanges(question, kind, options, followup, required, enabled, min_values,
                                         max_values, max_length)
        await editor.edit_question(self.bot.db, guild.id, question_id, changes, _role_problem(interaction))
        await interaction.response.send_message(
            f"Question `#{question_id}` saved.", ephemeral=True)

    @question_group.command(name="remove", description="Remove a question (answers already given stay)")
    @app_commands.autocomplete(question_id=_question_choices)
    async def question_remove(self, interaction: discord.Interaction, question_id: RowId) -> None:
        await editor.remove_question(self.bot.db, _guild_id(interaction), question_id)
        await interaction.response.send_message(f"Question `#{question_id}` removed.", ephemeral=True)

    @question_group.command(name="move", description="Move a question to another place in the order")
    @app_commands.describe(position="its new place, 1 is first")
    @app_commands.autocomplete(question_id=_question_choices)
    async def question_move(self, interaction: discord.Interaction, question_id: RowId,
                            position: app_commands.Range[int, 1, q.MAX_QUESTIONS]) -> None:
        landed = await editor.move_question(self.bot.db, _guild_id(interaction), question_id, position)
        await interaction.response.send_message(f"Question `#{question_id}` is now number {landed}.", ephemeral=True)

    @question_group.command(name="list", description="Show the questions in their order")
    async def question_list(self, interaction: discord.Interaction) -> None:
        async with self.bot.db.acquire() as conn:
            found = await store.questions(conn, _guild_id(interaction))
        lines = [_summary(n, x) for n, x in enumerate(found, start=1)]
        embed = discord.Embed(title="Onboarding questions", colour=render.COLOUR,
                              description=fit_lines(lines, EMBED_DESCRIPTION)
                              or "No questions yet: `/onboarding question add`.")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # --- rules ---------------------------------------------------------------------------------------
    @rule_group.command(name="add", description="Add a rule that new members accept")
    @app_commands.describe(title="a short title", description="the rule", thumbnail_url="https:// image, top right",
                           image_url="https:// image, at the bottom", position="where in the order (default: last)")
    async def rule_add(self, interaction: discord.Interaction,
                       title: app_commands.Range[str, 1, q.RULE_TITLE_MAX],
                       description: app_commands.Range[str, 1, q.RULE_DESCRIPTION_MAX],
                       thumbnail_url: app_commands.Range[str, 1, q.URL_MAX] | None = None,
                       image_url: app_commands.Range[str, 1, q.URL_MAX] | None = None,
                       position: app_commands.Range[int, 1, q.MAX_RULES] | None = None) -> None:
        new_id, landed = await editor.add_rule(self.bot.db, _guild_id(interaction), title, description, thumbnail_url,
                                               image_url, position)
        await interaction.response.send_message(f"Rule `#{new_id}` added at position {landed}.", ephemeral=True)

    @rule_group.command(name="edit", description='Change a rule (only what you fill in; "none" clears an image)')
    @app_commands.autocomplete(rule_id=_rule_choices)
    async def rule_edit(self, interaction: discord.Interaction, rule_id: RowId,
                        title: app_commands.Range[str, 1, q.RULE_TITLE_MAX] | None = None,
                        description: app_commands.Range[str, 1, q.RULE_DESCRIPTION_MAX] | None = None,
                        thumbnail_url: app_commands.Range[str, 1, q.URL_MAX] | None = None,
                        image_url: app_commands.Range[str, 1, q.URL_MAX] | None = None,
                        enabled: bool | None = None) -> None:
        await editor.edit_rule(self.bot.db, _guild_id(interaction), rule_id, title=title, description=description,
                               thumbnail_url=thumbnail_url, image_url=image_url, enabled=enabled)
        await interaction.response.send_message(f"Rule `#{rule_id}` saved.", ephemeral=True)

    @rule_group.command(name="remove", description="Remove a rule")
    @app_commands.autocomplete(rule_id=_rule_choices)
    async def rule_remove(self, interaction: discord.Interaction, rule_id: RowId) -> None:
        await editor.remove_rule(self.bot.db, _guild_id(interaction), rule_id)
        await interaction.response.send_message(f"Rule `#{rule_id}` removed.", ephemeral=True)

    @rule_group.command(name="move", description="Move a rule to another place in the order")
    @app_commands.describe(position="its new place, 1 is first")
    @app_commands.autocomplete(rule_id=_rule_choices)
    async def rule_move(self, interaction: discord.Interaction, rule_id: RowId,
                        position: app_commands.Range[int, 1, q.MAX_RULES]) -> None:
        landed = await editor.move_rule(self.bot.db, _guild_id(interaction), rule_id, position)
        await interaction.response.send_message(f"Rule `#{rule_id}` is now number {landed}.", ephemeral=True)

    @rule_group.command(name="list", description="Show the rules in their order")
    async def rule_list(self, interaction: discord.Interaction) -> None:
        async with self.bot.db.acquire() as conn:
            found = await store.rules(conn, _guild_id(interaction))
        lines = []
        for n, r in enumerate(found, start=1):
            extras = [x for x, on in (("thumbnail", r.thumbnail_url), ("image", r.image_url),
                                      ("**disabled**", not r.enabled)) if on]
            lines.append(f"**{n}.** {fit(escape(r.title, mentions=False), 100)} — `#{r.id}`"
                         + (f" · {' · '.join(extras)}" if extras else ""))
        embed = discord.Embed(title="Onboarding rules", colour=render.COLOUR,
                              description=fit_lines(lines, EMBED_DESCRIPTION)
                              or "No rules yet: `/onboarding rule add`.")
        await interaction.response.send_message(embed=embed, ephemeral=True)

    # --- the rest ------------------------------------------------------------------------------------
    @onboarding.command(name="preview", description="Go through the onboarding yourself; nothing is stored")
    async def preview(self, interaction: discord.Interaction) -> None:
        await self.runner.preview(interaction)

    @onboarding.command(name="responses", description="Download the answers of members who finished (CSV)")
    async def responses(self, interaction: discord.Interaction) -> None:
        guild = interaction.guild
        assert guild is not None
        await interaction.response.defer(ephemeral=True, thinking=True)  # a big server's file takes a while
        async with self.bot.db.acquire() as conn:
            found = await store.questions(conn, guild.id)
            rows = await store.all_responses(conn, guild.id)
            running = await store.in_progress_count(conn, guild.id)

        def name_of(user_id: int) -> str:
            member = guild.get_member(user_id)
            return member.display_name if member else ""

        data = responses_csv(found, [dict(row) for row in rows], name_of)
        await interaction.followup.send(
            f"{len(rows)} member{'s' if len(rows) != 1 else ''} finished onboarding; {running} in progress. "
            "The file holds personal data (e-mail addresses): keep it safe.",
            file=discord.File(io.BytesIO(data), filename=f"onboarding-{guild.id}.csv"), ephemeral=True)

    @onboarding.command(name="reset", description="Erase a member's onboarding answers so they start afresh")
    async def reset(self, interaction: discord.Interaction, member: discord.Member) -> None:
        await editor.reset_member(self.bot.db, _guild_id(interaction), member.id, member.display_name)
        await interaction.response.send_message(
            f"Onboarding answers of {member.mention} erased; they can start afresh. Their roles are unchanged.",
            ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    @onboarding.command(name="panel", description="Post (or refresh) the Start panel in the welcome channel")
    async def panel(self, interaction: discord.Interaction) -> None:
        guild = interaction.guild
        assert guild is not None
        message = await self.keep_panel(guild, refuse=True)
        assert message is not None
        await interaction.response.send_message(f"The Start panel is in <#{message.channel.id}>.", ephemeral=True)

    # --- the panel -----------------------------------------------------------------------------------
    async def keep_panel(self, guild: discord.Guild, *, refuse: bool = False) -> discord.Message | None:
        """Make sure the panel is in ``onboarding.channel``: edit it if it is there, else post it."""
        async with self._panel_locks[guild.id]:
            return await self._keep_panel(guild, refuse=refuse)

    async def _keep_panel(self, guild: discord.Guild, *, refuse: bool) -> discord.Message | None:
        channel_id = await self.setting(guild.id, "channel")
        channel = guild.get_channel(channel_id) if channel_id else None
        if not isinstance(channel, discord.TextChannel):
            if refuse:
                raise UserError("Choose the welcome channel first: `/settings set setting:onboarding.channel "
                                "value:#welcome`.")
            return None
        screen = render.panel(guild, await self.setting(guild.id, "panel_text"))
        async with self.bot.db.acquire() as conn:
            known = await store.panel(conn, guild.id)
        old = guild.get_channel(known["channel_id"]) if known is not None else None
        if known is not None and isinstance(old, discord.TextChannel) and old.id == channel.id:
            try:
                return await old.get_partial_message(known["message_id"]).edit(**screen.kwargs())
            except discord.HTTPException:
                pass  # deleted meanwhile: post a new one
        try:
            message = await channel.send(**screen.kwargs())
        except discord.Forbidden:
            if refuse:
                raise UserError(f"I cannot post in {channel.mention}: give me View Channel and Send Messages "
                                "there.") from None
            self.log.warning("onboarding.panel_forbidden", guild_id=guild.id, channel_id=channel.id)
            return None
        async with self.bot.db.acquire() as conn:
            await store.save_panel(conn, guild.id, channel.id, message.id)
        if known is not None and isinstance(old, discord.TextChannel) and old.id != channel.id:
            try:  # only now, so that its deletion is not taken for a panel to restore
                await old.get_partial_message(known["message_id"]).delete()
            except discord.HTTPException:
                pass
        return message

    async def keep_all_panels(self) -> None:
        for guild in list(self.bot.guilds):
            if not await self.bot.settings.is_enabled(guild.id, self.plugin):
                continue
            try:
                await self.keep_panel(guild)
            except Exception as exc:  # noqa: BLE001 (one guild's trouble must not stop the others)
                self.log.warning("onboarding.panel_failed", guild_id=guild.id, error=describe_exception(exc))

    @PluginCog.listener()
    async def on_ready(self) -> None:
        if not self._panels_checked:
            self._panels_checked = True
            await self.keep_all_panels()

    @PluginCog.listener()
    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self._restore_panel(payload.guild_id, {payload.message_id})

    @PluginCog.listener()
    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self._restore_panel(payload.guild_id, payload.message_ids)

    async def _restore_panel(self, guild_id: int | None, message_ids: set[int]) -> None:
        """Someone deleted the panel: put it back."""
        guild = self.bot.get_guild(guild_id) if guild_id else None
        if guild is None:
            return
        async with self.bot.db.acquire() as conn:
            known = await store.panel(conn, guild.id)
        if known is not None and known["message_id"] in message_ids:
            await self.keep_panel(guild)

    # --- members arriving ----------------------------------------------------------------------------
    @PluginCog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        if not member.bot and not member.pending:
            await self.welcome_by_dm(member)

    @PluginCog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        if before.pending and not after.pending and not after.bot:  # passed membership screening
            await self.welcome_by_dm(after)

    async def welcome_by_dm(self, member: discord.Member) -> None:
        if not await self.setting(member.guild.id, "dm_on_join"):
            return
        screen = render.welcome_dm(member.guild, await self.setting(member.guild.id, "panel_text"))
        try:
            await member.send(**screen.kwargs())
        except discord.Forbidden:  # DMs closed (50007): the panel is the way
            self.log.info("onboarding.dm_closed", guild_id=member.guild.id, user_id=member.id)

    # --- forms (modals) ------------------------------------------------------------------------------
    @PluginCog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Every ``onboarding:form:`` submission, including forms opened before a restart."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        ref = parse_form_id(str(data.get("custom_id", "")))
        if ref is not None:
            await run_safely(interaction, "form", self.runner.submit_form(interaction, ref, submitted_text(data)))


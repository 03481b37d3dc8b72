"""A member's run through the flow, one interaction at a time.

Every handler loads what it needs from the database (the guild's flow, the member's
progress), so any process can serve any click, before or after a restart. An answer is
accepted only for the member's *current* step (the first one without an answer); an
old button answers by showing where they really are, so a stale message can never
skip a required question. A preview walks the same screens and stores nothing.
"""

from __future__ import annotations

from typing import Any

import discord

from alphapy import (
    TEXT_INPUT_LABEL,
    TEXT_INPUT_PLACEHOLDER,
    AlphapyBot,
    PluginDisabled,
    UserError,
    fit,
    get_logger,
    safe,
)
from alphapy_onboarding import render, roles, store
from alphapy_onboarding.flow import (
    LANGUAGE,
    OTHER_LANGUAGE_MAX,
    RULES,
    AnswerError,
    Flow,
    Step,
    check_answer,
    decode_choice,
    describe_answer,
    drop_untriggered,
    encode_choice,
)
from alphapy_onboarding.questions import CHOICE_TYPES, EMAIL_MAX
from alphapy_onboarding.render import NOTE_ANSWER, Screen
from alphapy_onboarding.views import PLUGIN, Ref, form

log = get_logger("alphapy.plugins.onboarding")

PREVIEW_PARENT = "(preview)"  # stands for a text parent's answer, which a preview does not keep


class Runner:
    """The member-facing half of the plugin; the cog holds one."""

    def __init__(self, bot: AlphapyBot) -> None:
        self.bot = bot

    # --- who is asking ---------------------------------------------------------------------------
    async def member(self, interaction: discord.Interaction, ref: Ref) -> tuple[discord.Guild, discord.Member]:
        """The guild and member a component belongs to, or a polite refusal."""
        if interaction.guild_id is not None and interaction.guild_id != ref.guild_id:
            raise UserError("This button belongs to another server.")
        guild = self.bot.get_guild(ref.guild_id)
        if guild is None:
            raise UserError("I am no longer in that server.")
        if interaction.guild_id is None and not await self.bot.settings.is_enabled(guild.id, PLUGIN):
            raise UserError(str(PluginDisabled(PLUGIN)))  # DMs pass no gate: check here
        member = interaction.user if isinstance(interaction.user, discord.Member) else guild.get_member(
            interaction.user.id)
        if member is None:
            try:
                member = await guild.fetch_member(interaction.user.id)
            except discord.NotFound:
                raise UserError(f"You are not a member of {guild.name}.") from None
        if member.pending and not ref.preview:
            raise UserError(f"Please finish {guild.name}'s membership screening first (Discord shows it when you "
                            "open the server); then press Start again.")
        return guild, member

    # --- showing screens ------------------------------------------------------------------------------
    @staticmethod
    async def show(interaction: discord.Interaction, screen: Screen, *, new: bool = False) -> None:
        """``new``: a fresh message (ephemeral in a server); else update the clicked message."""
        if new:
            await interaction.response.send_message(ephemeral=interaction.guild_id is not None, **screen.kwargs())
        else:
            await interaction.response.edit_message(**screen.kwargs())

    # --- Start, Start again ---------------------------------------------------------------------------
    async def start(self, interaction: discord.Interaction, ref: Ref, *, restart: bool = False) -> None:
        guild, member = await self.member(interaction, ref)
        new = not restart  # Start opens a message of its own; "Start again" reuses the one it is on
        async with self.bot.db.acquire() as conn:
            flow = await store.load_flow(conn, guild.id)
            if not restart and await store.progress(conn, guild.id, member.id) is None:
                finished_at = await store.completed_at(conn, guild.id, member.id)
                if finished_at is not None:
                    await self.show(interaction, render.already_done(ref, finished_at), new=True)
                    return
            running = await store.begin(conn, guild.id, member.id, restart=restart)
        resumed = bool(running.answers or running.rules_accepted)
        current = flow.current(running.answers, running.rules_accepted)
        if current is None:  # everything answered, but the run did not close (a crash at the end)
            await self.finish(interaction, guild, member, flow, running.answers, new=new)
            return
        note = "Welcome back! You continue where you stopped." if resumed else ""
        await self.show(interaction, render.step(ref, flow, current, note), new=new)

    # --- rules ---------------------------------------------------------------------------------------
    async def rules_page(self, interaction: discord.Interaction, ref: Ref, page: int) -> None:
        guild, _member = await self.member(interaction, ref)
        async with self.bot.db.acquire() as conn:
            flow = await store.load_flow(conn, guild.id)
        if not flow.rules:
            raise UserError("This server has no rules to show any more; press Start again.")
        await self.show(interaction, render.rules(ref, flow, page))

    async def accept_rules(self, interaction: discord.Interaction, ref: Ref) -> None:
        guild, member = await self.member(interaction, ref)
        if ref.preview:
            async with self.bot.db.acquire() as conn:
                flow = await store.load_flow(conn, guild.id)
            await self.show(interaction, self._preview_next(ref, flow, RULES, {}, "✅ Rules accepted."))
            return
        async with self.bot.db.transaction() as conn:
            flow = await store.load_flow(conn, guild.id)
            running = await store.progress(conn, guild.id, member.id, for_update=True)
            if running is None:
                await self.show(interaction, await self._no_run(conn, ref, member))
                return
            if not running.rules_accepted:
                await store.save_progress(conn, guild.id, member.id, running.answers, True)
        note = "✅ Thank you for accepting the rules." if not running.rules_accepted else ""
        current = flow.current(running.answers, True)
        if current is None:
            await self.finish(interaction, guild, member, flow, running.answers, note=note)
            return
        await self.show(interaction, render.step(ref, flow, current, note))

    # --- answering -----------------------------------------------------------------------------------
    async def answer(self, interaction: discord.Interaction, ref: Ref, raw: Any, *, skip: bool = False) -> None:
        """Keep the answer to ``ref.step`` (``skip``: none), then show the next step."""
        guild, member = await self.member(interaction, ref)
        if ref.preview:
            await self._preview_answer(interaction, ref, guild, raw, skip)
            return
        screen: Screen | None = None  # shown after the commit, so the next click sees this answer
        note = ""
        async with self.bot.db.transaction() as conn:
            flow = await store.load_flow(conn, guild.id)
            running = await store.progress(conn, guild.id, member.id, for_update=True)
            current = None if running is None else flow.current(running.answers, running.rules_accepted)
            if running is None:
                screen = await self._no_run(conn, ref, member)
            elif current is None:
                answers = running.answers  # all answered already: finish below
            elif current.key != ref.step:
                screen = render.step(ref, flow, current, "That step is already behind you; here is where you are.")
            else:
                try:
                    value = self._value(current, raw, skip)
                except AnswerError as problem:
                    screen = render.step(ref, flow, current, f"⚠️ {problem.message}")
                else:
                    answers = dict(running.answers)
                    answers[current.key] = value
                    if current.kind == "question" and current.question is not None:
                        drop_untriggered(current.question, answers)
                    await store.save_progress(conn, guild.id, member.id, answers, running.rules_accepted)
                    note = f"✅ Saved: **{safe(describe_answer(current, value), NOTE_ANSWER)}**"
                    following = flow.current(answers, running.rules_accepted)
                    if following is not None:
                        screen = render.step(ref, flow, following, note)
        if screen is not None:
            await self.show(interaction, screen)
            return
        await self.finish(interaction, guild, member, flow, answers, note=note)

    @staticmethod
    def _value(step: Step, raw: Any, skip: bool) -> Any:
        if skip:
            if not step.skippable:
                raise AnswerError("This question cannot be skipped.")
            return None
        return check_answer(step, raw)

    async def choose(self, interaction: discord.Interaction, ref: Ref, value: str) -> None:
        if ref.step == LANGUAGE and value == "other":
            await self.open_form(interaction, ref)
            return
        await self.answer(interaction, ref, value)

    async def open_form(self, interaction: discord.Interaction, ref: Ref) -> None:
        guild, member = await self.member(interaction, ref)
        async with self.bot.db.acquire() as conn:
            flow = await store.load_flow(conn, guild.id)
            target = flow.step(ref.step)
            if not ref.preview:
                running = await store.progress(conn, guild.id, member.id)
                if running is None:
                    await self.show(interaction, await self._no_run(conn, ref, member))
                    return
                current = flow.current(running.answers, running.rules_accepted)
                if current is None or current.key != ref.step:
                    if current is None:
                        raise UserError("You have answered everything; press Start to finish.")
                    note = "That step is already behind you; here is where you are."
                    await self.show(interaction, render.step(ref, flow, current, note))
                    return
                target = current
        if target is None:
            raise UserError("This question was changed by the server's staff; press Start to continue.")
        await interaction.response.send_modal(self._form(ref, flow, target))

    @staticmethod
    def _form(ref: Ref, flow: Flow, step: Step) -> discord.ui.Modal:
        if step.key == LANGUAGE:
            return form(ref, "Your language", "Which language?", max_length=OTHER_LANGUAGE_MAX, paragraph=False,
                        placeholder="e.g. Deutsch, Español, Français")
        spec = step.spec
        assert spec is not None
        title = f"Question {step.number} of {flow.question_count}"
        short = len(spec.text) <= TEXT_INPUT_LABEL
        label = spec.text if short else "Your answer"
        placeholder = None if short else fit(spec.text, TEXT_INPUT_PLACEHOLDER)
        if spec.type == "email":
            return form(ref, title, label if short else "Your e-mail address", max_length=EMAIL_MAX,
                        paragraph=False, placeholder=placeholder or "name@example.org")
        limit = spec.max_length or 1000
        return form(ref, title, label, max_length=limit, paragraph=limit > 100, placeholder=placeholder)

    async def submit_form(self, interaction: discord.Interaction, ref: Ref, text: str | None) -> None:
        if interaction.message is None:
            raise UserError("This form is no longer attached to a message; press Start again.")
        raw: Any = text
        if ref.step == LANGUAGE:
            raw = f"other:{text or ''}"
        await self.answer(interaction, ref, raw)

    # --- the end -------------------------------------------------------------------------------------
    async def finish(self, interaction: discord.Interaction, guild: discord.Guild, member: discord.Member,
                     flow: Flow, answers: dict[str, Any], *, new: bool = False, note: str = "") -> None:
        """Store the responses, give the roles, show the result."""
        if new:
            await interaction.response.defer(ephemeral=interaction.guild_id is not None, thinking=True)
        else:
            await interaction.response.defer()
        responses = flow.final_answers(answers)
        async with self.bot.db.acquire() as conn:
            await store.finish(conn, guild.id, member.id, responses)
        wanted = flow.roles_for(responses)
        completed_role = await self.bot.settings.get(guild.id, PLUGIN, "completed_role")
        if completed_role and completed_role not in wanted:
            wanted.append(completed_role)
        result = await roles.grant(self.bot, guild, member, wanted)
        log.info("onboarding.completed", guild_id=guild.id, user_id=member.id, answers=len(responses),
                 roles=len(result.granted), role_problems=len(result.problems))
        screen = render.finished(Ref(guild.id), result.granted, len(result.problems), note)
        await interaction.edit_original_response(**screen.kwargs())

    async def _no_run(self, conn: Any, ref: Ref, member: discord.Member) -> Screen:
        finished_at = await store.completed_at(conn, ref.guild_id, member.id)
        return render.not_started(ref) if finished_at is None else render.already_done(ref, finished_at)

    # --- the host's preview --------------------------------------------------------------------------
    async def preview(self, interaction: discord.Interaction) -> None:
        assert interaction.guild is not None
        async with self.bot.db.acquire() as conn:
            flow = await store.load_flow(conn, interaction.guild.id)
        ref = Ref(interaction.guild.id, preview=True)
        first = next(flow.steps({}))
        await self.show(interaction, render.step(ref, flow, first), new=True)

    async def _preview_answer(self, interaction: discord.Interaction, ref: Ref, guild: discord.Guild, raw: Any,
                              skip: bool) -> None:
        async with self.bot.db.acquire() as conn:
            flow = await store.load_flow(conn, guild.id)
        current = flow.step(ref.step)
        if current is None:
            raise UserError("This question was changed or removed; run /onboarding preview again.")
        answers: dict[str, Any] = {}
        if current.kind == "followup" and current.question is not None:
            parent = current.question.spec
            answers[current.question.key] = (decode_choice(parent, ref.mask) if parent.type in CHOICE_TYPES
                                             else PREVIEW_PARENT)
        try:
            answers[current.key] = self._value(current, raw, skip)
        except AnswerError as problem:
            await self.show(interaction, render.step(ref, flow, current, f"⚠️ {problem.message}"))
            return
        shown = safe(describe_answer(current, answers[current.key]), NOTE_ANSWER)
        note = f"✅ Saved: **{shown}** (not stored: preview)"
        await self.show(interaction, self._preview_next(ref, flow, current.key, answers, note))

    @staticmethod
    def _preview_next(ref: Ref, flow: Flow, key: str, answers: dict[str, Any], note: str) -> Screen:
        following = flow.next_after(key, answers)
        if following is None:
            return render.preview_finished(note)
        mask = ref.mask
        current = flow.step(key)
        if current is not None and current.kind == "question" and current.spec is not None \
                and current.spec.type in CHOICE_TYPES:
            mask = encode_choice(current.spec, answers[key])
        return render.step(ref.at(following.key, mask), flow, following, note)

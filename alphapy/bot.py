"""The Alphapy bot: discord.py, wired to the core services and the loaded plugins.

What the core does around every plugin, so that no plugin has to:

* adds each plugin's cogs (``register_cogs``) behind the per-guild gate;
* checks declared access (Manage Server, staff role) before a command runs, and the
  declared ranges of number options (a modified client ignores them);
* records every slash and text command in ``audit_logs`` and in ``/metrics``;
* answers every failure: a refusal in the plugin's words, or a bug with an error id;
* runs ``startup``/``shutdown`` hooks and syncs the application commands.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

import discord
from discord import app_commands
from discord.ext import commands

from alphapy.command_check import CommandCheck, tree_commands
from alphapy.db.pool import database_outage
from alphapy.errors import UserError, new_error_id, report_interaction_error, user_message
from alphapy.gate import Gate
from alphapy.log import get_logger, log_context
from alphapy.option_bounds import refuse_out_of_range

if TYPE_CHECKING:
    from alphapy.ai import AIClient
    from alphapy.config import Config
    from alphapy.db import Database
    from alphapy.plugins import PluginManager
    from alphapy.premium import PremiumStatus
    from alphapy.scheduler import Scheduler
    from alphapy.services import Services
    from alphapy.settings import SettingsService
    from alphapy.tracking import CommandTracker

log = get_logger(__name__)

SLASH = "slash"
TEXT = "text"


class AlphapyTree(app_commands.CommandTree):
    """The command tree with the gate in front and the error handler behind."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        bot: AlphapyBot = self.client  # type: ignore[assignment]
        command = interaction.command
        if command is None:
            return True
        try:
            await bot.gate.check_command(interaction, command)
            refuse_out_of_range(interaction, command)  # a client that ignores the declared ranges
        except app_commands.CheckFailure:
            if interaction.type is discord.InteractionType.autocomplete:
                return False  # autocomplete cannot show a message: offer nothing
            raise
        except app_commands.AppCommandError:
            raise
        except Exception as exc:  # the database is away, or a bug in a check
            # discord.py only hands AppCommandError to on_error; anything else would die
            # unseen in its task ("Task exception was never retrieved"), unanswered.
            if interaction.type is discord.InteractionType.autocomplete:
                await report_interaction_error(interaction, exc, plugin=bot.gate.plugin_of(command),
                                               command=command.qualified_name)
                return False
            raise app_commands.CommandInvokeError(command, exc) from exc
        return True

    async def on_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError, /) -> None:
        bot: AlphapyBot = self.client  # type: ignore[assignment]
        command = interaction.command
        name = command.qualified_name if command is not None else "unknown"
        plugin = bot.gate.plugin_of(command) if command is not None else None
        original = getattr(error, "original", error)
        outcome = user_message(error)  # in the order report_interaction_error answers
        if outcome is None and database_outage(error) is not None:
            outcome = "DatabaseUnavailable"  # one text for the whole outage in /command_stats
        elif outcome is None:
            outcome = f"{type(original).__name__}: {original}"
        bot.record_command(interaction.guild_id, interaction.user.id, name, SLASH, False, outcome)
        with log_context(guild_id=interaction.guild_id, plugin=plugin, command=name):
            await report_interaction_error(interaction, error, plugin=plugin, command=name)


class _AlphapyMixin:
    """Everything Alphapy adds to discord.py's Bot (sharded or not)."""

    services: Services

    def _setup_alphapy(self, services: Services, *, identify_delay: bool) -> None:
        self.services = services
        self.gate = Gate(services.settings)
        self.identify_delay = identify_delay
        #: with SHARD_IDS=auto, the leases of this process's shards (set by the runner)
        self.shard_keeper: Any = None
        self.gateway_lost = False
        self.ready_once = asyncio.Event()
        #: the last command sync: ``{"status": "ok"}``, or ``"refused"`` with Discord's errors tree
        self.command_sync: dict[str, Any] = {"status": "pending"}
        services.scheduler.hold_due_work(self.ready_once)  # due work acts on Discord: wait for the cache
        services.bot = self
        services.plugins.provide(bot=self)
        services.settings.reference_check = self._reference_exists
        services.settings.role_check = self._judge_roles
        state = self._connection  # type: ignore[attr-defined]
        self.gate.install_component_gate(state, lambda coro: self.loop.create_task(coro))  # type: ignore[attr-defined]

    # --- what plugins use ---------------------------------------------------------------
    @staticmethod
    def of(interaction: discord.Interaction[Any]) -> AlphapyBot:
        """The bot behind an interaction, typed.

        discord.py types ``interaction.client`` as a plain ``discord.Client``, so a
        component or modal handler (which has no cog) reaches ``db``, ``settings`` and the
        other services through ``AlphapyBot.of(interaction)`` and keeps their types.
        """
        client = interaction.client
        if not isinstance(client, _AlphapyMixin):
            raise TypeError(f"interaction.client is a {type(client).__name__}, not an Alphapy bot")
        return cast("AlphapyBot", client)

    @property
    def db(self) -> Database:
        return self.services.db

    @property
    def settings(self) -> SettingsService:
        return self.services.settings

    @property
    def tracker(self) -> CommandTracker:
        return self.services.tracker

    @property
    def ai(self) -> AIClient:
        return self.services.ai

    @property
    def scheduler(self) -> Scheduler:
        return self.services.scheduler

    @property
    def config(self) -> Config:
        return self.services.config

    @property
    def plugins(self) -> PluginManager:
        return self.services.plugins

    async def premium_status(self, user_id: int, guild_id: int) -> PremiumStatus | None:
        """Ask the premium hook (any plugin implementing it); None when nobody answers."""
        return await self.services.premium_status(user_id, guild_id)

    async def _reference_exists(self, guild_id: int, kind: str, item_id: int) -> bool:
        guild = self.get_guild(guild_id)  # type: ignore[attr-defined]
        if guild is None:
            return False
        found = guild.get_role(item_id) if kind == "role" else guild.get_channel_or_thread(item_id)
        return found is not None

    async def _judge_roles(self, guild_id: int, uses: list[tuple[int, str]],
                           actor: Any) -> tuple[str | None, list[str]]:
        from alphapy import authority

        guild = self.get_guild(guild_id)  # type: ignore[attr-defined]
        if guild is None:
            return "I am not in that server, so I cannot check its roles.", []
        return authority.judge(guild, uses, actor, bot_member=guild.me)

    # --- start-up -----------------------------------------------------------------------
    async def setup_hook(self) -> None:
        from alphapy.cogs import core_cogs

        for cog in core_cogs(cast("AlphapyBot", self)):  # the mixin is only ever part of a bot
            await self.add_cog(cog)  # type: ignore[attr-defined]
        check = CommandCheck(self.tree)  # type: ignore[attr-defined]
        await check.accept(tree_commands(self.tree))  # type: ignore[attr-defined]
        await self._add_plugin_cogs(check)
        await self.sync_commands()
        for result in await self.plugins.call_async("startup", bot=self, concurrent=False, timeout=30):
            if result.error is not None:
                log.error("plugin.startup_failed", plugin=result.plugin, error=str(result.error))

    async def _add_plugin_cogs(self, check: CommandCheck) -> None:
        """Each plugin's cogs behind the gate; a plugin whose cogs fail, or whose commands
        Discord would refuse, is withdrawn on its own and the others sync."""
        tree: app_commands.CommandTree = self.tree  # type: ignore[attr-defined]
        for result in await self.plugins.call_async("register_cogs", bot=self, concurrent=False, timeout=30):
            name = result.plugin
            before = {id(command) for command in tree_commands(tree)}
            added: list[commands.Cog] = []
            try:
                if result.error is not None:
                    raise result.error
                produced = result.value
                cogs = [] if produced is None else (
                    [produced] if isinstance(produced, commands.Cog) else list(produced))
                for cog in cogs:
                    self.gate.adopt_cog(cog, name)
                    await self.add_cog(cog)  # type: ignore[attr-defined]
                    added.append(cog)
            except Exception as exc:
                log.error("plugin.cogs_failed", plugin=name, error=f"{type(exc).__name__}: {exc}",
                          traceback="".join(traceback.format_exception(exc)))
                await self._withdraw_plugin(name, exc, added, before)
                continue
            reason = await check.reason(c for c in tree_commands(tree) if id(c) not in before)
            if reason is not None:
                log.error("plugin.commands_refused", plugin=name, error=reason)
                await self._withdraw_plugin(name, reason, added, before)

    async def _withdraw_plugin(self, name: str, reason: BaseException | str, added: list[commands.Cog],
                               before: set[int]) -> None:
        """Mark a plugin failed and take out what it added, so the sync sends none of its commands."""
        tree: app_commands.CommandTree = self.tree  # type: ignore[attr-defined]
        for cog in reversed(added):
            await self.remove_cog(cog.__cog_name__)  # type: ignore[attr-defined]
        for command in tree_commands(tree):  # added to the tree directly, not through a cog
            if id(command) not in before:
                tree.remove_command(command.name, type=getattr(command, "type", discord.AppCommandType.chat_input))
        self.plugins.mark_failed(name, reason)
        self.services.registry.withdraw(name)

    async def sync_commands(self) -> None:
        """Globally, or to ``DEV_GUILD_IDS`` (instant, for development).

        Discord may still refuse a list that passed our checks (a rule it does not
        document): the bot then keeps running with the commands Discord already has, and
        ``command_sync`` carries Discord's ``errors`` tree to ``/readyz`` and ``/api/health``.
        """
        tree: app_commands.CommandTree = self.tree  # type: ignore[attr-defined]
        guild_ids: Iterable[int] = self.config.dev_guild_ids or ()
        try:
            if guild_ids:
                for guild_id in guild_ids:
                    guild = discord.Object(id=guild_id)
                    tree.copy_global_to(guild=guild)
                    await tree.sync(guild=guild)
            else:
                await tree.sync()
        except discord.HTTPException as exc:
            if exc.status != 400:
                raise
            errors = getattr(exc, "_errors", None) or {}  # discord.py keeps Discord's tree here
            self.command_sync = {"status": "refused", "code": exc.code, "errors": errors}
            log.error("commands.sync_refused", code=exc.code, errors=errors,
                      detail="Discord refused the command list; running with the commands it already has")
            return
        self.command_sync = {"status": "ok"}

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        # Discord allows one IDENTIFY per 5 s per bucket. Processes sharing shards through
        # the database take turns there; one process alone waits here (not for the emulator).
        if self.shard_keeper is not None:
            await self.shard_keeper.identify_turn(shard_id or 0)
        elif self.identify_delay and not initial:
            await asyncio.sleep(5.0)

    # --- shards that move between processes (SHARD_IDS=auto) ----------------------------
    async def add_shards(self, shard_ids: list[int]) -> None:
        """Connect shards claimed after start-up; their due work follows once each is ready."""
        raise RuntimeError("only a sharded bot takes shards over")

    async def remove_shards(self, shard_ids: list[int]) -> None:
        """Stop serving shards handed to another process."""
        raise RuntimeError("only a sharded bot hands shards over")

    async def on_shard_ready(self, shard_id: int) -> None:
        # A shard's guilds are in the cache now: its due work may run in this process.
        if self.shard_keeper is not None:
            count, ids = self.config.shard_filter()
            if shard_id in ids and shard_id not in self.scheduler.shard_ids:
                self.scheduler.serve_shards(count, [*self.scheduler.shard_ids, shard_id])

    def shard_figures(self, shard_ids: list[int]) -> dict[int, tuple[float | None, int | None]]:
        """Latency (ms) and guild count of each shard, for the lease table's cluster view."""
        guilds: dict[int, int] = {}
        for guild in self.guilds:  # type: ignore[attr-defined]
            guilds[guild.shard_id] = guilds.get(guild.shard_id, 0) + 1
        shards = getattr(self, "shards", {})
        figures: dict[int, tuple[float | None, int | None]] = {}
        for shard_id in shard_ids:
            info = shards.get(shard_id)
            latency = info.latency if info is not None else float("nan")
            figures[shard_id] = (None if latency != latency or latency == float("inf") else round(latency * 1000, 2),
                                 guilds.get(shard_id, 0))
        return figures

    async def close(self) -> None:
        if not self.is_closed():  # type: ignore[attr-defined]
            for result in await self.plugins.call_async("shutdown", bot=self, concurrent=False, timeout=15):
                if result.error is not None:
                    log.error("plugin.shutdown_failed", plugin=result.plugin, error=str(result.error))
        await super().close()  # type: ignore[misc]

    # --- tracking -----------------------------------------------------------------------
    def record_command(self, guild_id: int | None, user_id: int, name: str, kind: str, ok: bool,
                       error: str | None = None) -> None:
        self.services.tracker.record(guild_id, user_id, name, kind, ok, error)
        self.services.metrics.command(name, ok)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        # Record completions right here, on the command's own task: a listener would cost
        # every command a task of its own just to append one row to a queue.
        if event_name == "app_command_completion":
            interaction, command = args
            self.record_command(interaction.guild_id, interaction.user.id, command.qualified_name, SLASH, True)
        super().dispatch(event_name, *args, **kwargs)  # type: ignore[misc]

    async def on_command_completion(self, ctx: commands.Context[Any]) -> None:
        if ctx.command is not None:
            self.record_command(ctx.guild.id if ctx.guild else None, ctx.author.id, ctx.command.qualified_name,
                                TEXT, True)

    async def on_command_error(self, ctx: commands.Context[Any], error: commands.CommandError) -> None:
        if isinstance(error, commands.CommandNotFound) or ctx.command is None:
            return
        original = getattr(error, "original", error)
        name = ctx.command.qualified_name
        refusal = original.message if isinstance(original, UserError) else None
        if refusal is None and isinstance(error, commands.CheckFailure):
            refusal = str(error) or "You cannot use this command here."
        if refusal is None and isinstance(error, (commands.UserInputError,)):
            refusal = str(error)
        self.record_command(ctx.guild.id if ctx.guild else None, ctx.author.id, name, TEXT, False,
                            refusal or f"{type(original).__name__}: {original}")
        if refusal is not None:
            await ctx.reply(refusal[:1900], mention_author=False)
            return
        error_id = new_error_id()
        log.error("command.failed", error_id=error_id, command=name, guild_id=ctx.guild.id if ctx.guild else None,
                  error=f"{type(original).__name__}: {original}",
                  traceback="".join(traceback.format_exception(original)))
        await ctx.reply(f"Sorry, something went wrong on my side (error id `{error_id}`).", mention_author=False)

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        import sys

        error_id = new_error_id()
        exc = sys.exc_info()[1]
        outage = database_outage(exc) if exc is not None else None
        if outage is not None:  # not a bug: one warning, no traceback
            log.warning("event.database_unavailable", error_id=error_id, handler=event_method, error=str(outage))
            return
        log.error("event.failed", error_id=error_id, handler=event_method,
                  error=f"{type(exc).__name__}: {exc}" if exc else None,
                  traceback=traceback.format_exc())

    # --- gateway state (for /readyz) ------------------------------------------------------
    async def on_ready(self) -> None:
        self.gateway_lost = False
        self.ready_once.set()
        log.info("bot.ready", user=str(self.user), guilds=len(self.guilds))  # type: ignore[attr-defined]

    async def on_resumed(self) -> None:
        self.gateway_lost = False

    async def on_disconnect(self) -> None:
        self.gateway_lost = True


class AlphapyBot(_AlphapyMixin, commands.Bot):
    """One process, one connection (unsharded)."""


class ShardedAlphapyBot(_AlphapyMixin, commands.AutoShardedBot):
    """Several shards in one process (``SHARD_COUNT``/``SHARD_IDS``, or claimed: ``auto``)."""

    async def add_shards(self, shard_ids: list[int]) -> None:
        # discord.py fixes shard_ids at start; its connection state shares this very list,
        # so a shard appended here is one of ours for READY and the guild cache, and
        # launch_shard connects it like the first ones (through before_identify_hook).
        from discord.gateway import DiscordWebSocket

        for shard_id in shard_ids:
            if shard_id in self.shard_ids:  # type: ignore[operator]
                continue
            self.shard_ids.append(shard_id)  # type: ignore[union-attr]
            self.services.config.serve_claimed(self.shard_count or 1, list(self.shard_ids))  # type: ignore[arg-type]
            await self.launch_shard(DiscordWebSocket.DEFAULT_GATEWAY, shard_id)

    async def remove_shards(self, shard_ids: list[int]) -> None:
        """Stop serving shards handed to another process: no due work, no connection, no
        cached guild of theirs is left here (the lease is released only after this)."""
        count = self.shard_count or 1
        remaining = [i for i in self.shard_ids or () if i not in shard_ids]
        self.scheduler.serve_shards(count, [i for i in self.scheduler.shard_ids if i not in shard_ids])
        for shard_id in shard_ids:
            info = self.get_shard(shard_id)
            if info is not None:
                await info.disconnect()
            for guild in [g for g in self.guilds if g.shard_id == shard_id]:
                self._connection._remove_guild(guild)
        self.shard_ids[:] = remaining  # type: ignore[index]
        self.services.config.serve_claimed(count, remaining)


def intents() -> discord.Intents:
    """Members (joins, roles) and message content (embeds, ticket replies) are needed."""
    wanted = discord.Intents.default()
    wanted.members = True
    wanted.message_content = True
    return wanted


def allowed_mentions() -> discord.AllowedMentions:
    """No role pings unless a send names the role it pings (alphapy.authority's ping rule),
    no @everyone, no ping for the author of a replied-to message; members may be pinged."""
    return discord.AllowedMentions(everyone=False, users=True, roles=False, replied_user=False)


def build_bot(services: Services, *, emulated: bool = False, guild_ready_timeout: float | None = None) -> AlphapyBot:
    """The bot for this process's config: sharded when ``SHARD_COUNT`` is set."""
    config = services.config
    options: dict[str, Any] = {
        "command_prefix": commands.when_mentioned_or(config.command_prefix),
        "intents": intents(),
        "tree_cls": AlphapyTree,
        "help_command": None,
        "chunk_guilds_at_startup": False,
        "max_messages": config.message_cache_size,
        "allowed_mentions": allowed_mentions(),
    }
    if guild_ready_timeout is not None:
        options["guild_ready_timeout"] = guild_ready_timeout
    if config.shard_count or config.shards_auto:
        shard_count, shard_ids = config.shard_filter()
        bot: AlphapyBot = ShardedAlphapyBot(  # type: ignore[assignment]
            shard_count=shard_count, shard_ids=list(shard_ids), **options)
    else:
        bot = AlphapyBot(**options)
    bot._setup_alphapy(services, identify_delay=not emulated)
    return bot

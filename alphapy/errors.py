"""What goes wrong, told once: polite words for the member, the detail for the log.

Plugins raise :class:`UserError` for bad input ("That reminder does not exist in this
server."): the member reads exactly that, ephemeral, and nothing else happens. Any
other exception is a bug: the member gets a short message with an error id, and the log
gets the traceback with the same id, guild, command and plugin, so that a host can quote
the id and an operator can find the cause.

A database outage (:class:`~alphapy.db.DatabaseUnavailable`, wherever it was raised) is
neither: the member is told to try again in a minute, and the log gets a warning with
the error id but no traceback, since nothing in the code is wrong.
"""

from __future__ import annotations

import asyncio
import traceback
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from discord import app_commands

from alphapy.db.pool import database_outage
from alphapy.log import get_logger
from alphapy.redaction import describe_exception

if TYPE_CHECKING:
    import discord

log = get_logger(__name__)

MAX_MESSAGE = 1900  # under Discord's 2,000 characters, with room for formatting
UNAVAILABLE_MESSAGE = (
    "Sorry, this is temporarily unavailable; please try again in a minute (error id `{error_id}`)."
)
"""What a member reads while the database is away (``{error_id}`` is filled in)."""


class UserError(app_commands.AppCommandError):
    """A refusal meant for the person who asked; its message is shown as is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PluginDisabled(app_commands.CheckFailure):
    """The command's plugin is switched off in this server."""

    def __init__(self, plugin: str) -> None:
        super().__init__(f"The {plugin} plugin is disabled in this server.")
        self.plugin = plugin


class AccessDenied(app_commands.CheckFailure):
    """The member lacks the permission or role the command declares."""


def new_error_id() -> str:
    """Short enough to read out, long enough not to collide in a day's logs."""
    return uuid.uuid4().hex[:8]


def user_message(error: BaseException) -> str | None:
    """The text to show for an expected refusal, or None when it is a bug."""
    original = getattr(error, "original", None)
    if isinstance(original, UserError):
        error = original
    if isinstance(error, UserError):
        return error.message
    if isinstance(error, (PluginDisabled, AccessDenied)):
        return str(error)
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: you can use this again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works in a server, not in direct messages."
    if isinstance(error, (app_commands.MissingPermissions, app_commands.MissingRole, app_commands.MissingAnyRole)):
        return "You do not have permission to use this command."
    if isinstance(error, app_commands.BotMissingPermissions):
        missing = ", ".join(p.replace("_", " ") for p in error.missing_permissions)
        return f"I am missing permissions to do that here: {missing}."
    if isinstance(error, app_commands.TransformerError):
        return f"That value is not valid for this option: {str(error.value)[:100]!r}."
    if isinstance(error, app_commands.CheckFailure):
        return "You cannot use this command here."
    return None


async def send_ephemeral(interaction: discord.Interaction, content: str, **kwargs: Any) -> None:
    """Answer ephemerally whether or not the interaction was answered (or deferred) yet.

    An autocomplete can only offer choices, never a sentence: it offers none.
    """
    import discord

    from alphapy.cogs.text import fit

    content = fit(content, MAX_MESSAGE)
    try:
        if interaction.type is discord.InteractionType.autocomplete:
            if not interaction.response.is_done():
                await interaction.response.autocomplete([])
        elif interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True, **kwargs)
        else:
            await interaction.response.send_message(content, ephemeral=True, **kwargs)
    except discord.HTTPException as exc:  # the interaction may have expired
        log.warning("interaction.reply_failed", error=str(exc))


async def report_interaction_error(
    interaction: discord.Interaction, error: BaseException, *, plugin: str | None, command: str | None
) -> str | None:
    """Tell the member and the log; returns the error id for bugs, None for refusals."""
    message = user_message(error)
    if message is not None:
        await send_ephemeral(interaction, message)
        return None
    error_id = new_error_id()
    outage = database_outage(error)
    if outage is not None:
        log.warning(
            "interaction.database_unavailable",
            error_id=error_id,
            guild_id=interaction.guild_id,
            user_id=interaction.user.id if interaction.user else None,
            command=command,
            plugin=plugin,
            error=str(outage),
        )
        await send_ephemeral(interaction, UNAVAILABLE_MESSAGE.format(error_id=error_id))
        return error_id
    original = getattr(error, "original", error)
    log.error(
        "interaction.failed",
        error_id=error_id,
        guild_id=interaction.guild_id,
        user_id=interaction.user.id if interaction.user else None,
        command=command,
        plugin=plugin,
        error=describe_exception(original),
        traceback="".join(traceback.format_exception(original)),
    )
    await send_ephemeral(
        interaction,
        f"Sorry, something went wrong on my side (error id `{error_id}`). "
        "Please try again; if it keeps happening, give this id to the server's staff.",
    )
    return error_id


@asynccontextmanager
async def answering_errors(interaction: discord.Interaction, action: str) -> AsyncIterator[None]:
    """Run a button, select or form handler so that failures are answered like a command's.

    discord.py only logs an exception raised in a component callback (the member sees
    "This interaction failed"); inside this block a :class:`UserError` is shown as
    written and a bug gets an error id. The plugin is read from the custom id's prefix
    (``tickets:claim:42`` -> ``tickets``); ``action`` names what failed in the log line
    (``command="tickets claim"``), never shown to the member::

        async def callback(self, interaction):
            async with answering_errors(interaction, "claim"):
                ...
    """
    try:
        yield
    except Exception as exc:
        custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
        plugin = custom_id.split(":", 1)[0] or None
        await report_interaction_error(interaction, exc, plugin=plugin, command=f"{plugin} {action}")


def log_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """The event loop's exception handler: a failed task or callback as one structured event.

    asyncio would print "Task exception was never retrieved" and a bare traceback; here
    it gets an error id like any other failure (and no traceback for a database outage).
    """
    exc = context.get("exception")
    task = context.get("task") or context.get("future")
    fields: dict[str, Any] = {
        "error_id": new_error_id(),
        "context": context.get("message"),
        "task": task.get_name() if isinstance(task, asyncio.Task) else None,
    }
    if not isinstance(exc, BaseException):
        log.error("asyncio.unhandled_error", **fields)
        return
    outage = database_outage(exc)
    if outage is not None:
        log.warning("asyncio.database_unavailable", error=str(outage), **fields)
        return
    log.error("asyncio.unhandled_error", error=f"{type(exc).__name__}: {exc}",
              traceback="".join(traceback.format_exception(exc)), **fields)

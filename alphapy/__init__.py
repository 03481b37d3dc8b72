"""Alphapy: a plugin-based Discord bot framework.

Only three modules are public, and a plugin imports from them alone:

- ``alphapy`` (this module): everything a plugin's runtime code uses: hook markers,
  ``PluginCog``, errors, access checks, premium, scheduling, logging, text helpers,
  the AI errors, the authority rules, the bot and database types.
- ``alphapy.cli``: what a ``register_cli`` command needs.
- ``alphapy.testing``: the testing kit (``running_alphapy``, the emulator, schema checks).

Every other module under ``alphapy`` is internal and may change without notice; a test
(``tests/test_public_api.py``) keeps the bundled plugins and the example on these names.
Names are re-exported lazily (see :mod:`alphapy.exports`) so that ``alphapy --help``
starts without importing discord.py or asyncpg; the ``TYPE_CHECKING`` block below lets
type checkers and editors see every name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphapy.exports import lazy_getattr

__version__ = "0.1.0"

PROJECT_NAME = "alphapy"

_TEXT = "alphapy.cogs.text"
_EXPORTS: dict[str, str] = {
    # Hook markers (pluggy's, imported with the first plugin).
    "hookimpl": "alphapy.markers",
    "hookspec": "alphapy.markers",
    # Cogs, errors and access checks.
    "PluginCog": "alphapy.cog",
    "UserError": "alphapy.errors",
    "PluginDisabled": "alphapy.errors",
    "answering_errors": "alphapy.errors",
    "staff_only": "alphapy.gate",
    "manage_guild_only": "alphapy.gate",
    "require_staff": "alphapy.gate",
    "grant_refusal": "alphapy.authority",
    "ping_refusal": "alphapy.authority",
    # Services and their types.
    "AlphapyBot": "alphapy.bot",
    "Database": "alphapy.db",
    "DatabaseUnavailable": "alphapy.db",
    "Queryable": "alphapy.db.queryable",
    "PluginManager": "alphapy.plugins",
    "UnknownHook": "alphapy.plugins",
    "ProcessSettings": "alphapy.config",
    "has_premium": "alphapy.premium",
    "PremiumStatus": "alphapy.premium",
    "PremiumFeature": "alphapy.premium_features",
    "DueWork": "alphapy.scheduler",
    "notify_due": "alphapy.scheduler",
    "utcnow": "alphapy.clock",
    "shard_of": "alphapy.scheduler",
    "export_user": "alphapy.privacy",
    "forget_user": "alphapy.privacy",
    # AI errors.
    "AIError": "alphapy.ai",
    "AINotConfigured": "alphapy.ai",
    "AITimeout": "alphapy.ai",
    "AIInvalidAnswer": "alphapy.ai",
    "AIUnavailable": "alphapy.ai",
    "AIUnsupportedInput": "alphapy.ai",
    # Logging.
    "get_logger": "alphapy.log",
    "configure_logging": "alphapy.log",
    "register_secrets": "alphapy.log",
    "redact_text": "alphapy.log",
    "describe_exception": "alphapy.redaction",
    # Text: escaping, clipping, fitting Discord's limits.
    "escape": _TEXT,
    "safe": _TEXT,
    "clip": _TEXT,
    "fit": _TEXT,
    "fit_lines": _TEXT,
    "fit_embed": _TEXT,
    "fit_embeds": _TEXT,
    "embed_length": _TEXT,
    "ELLIPSIS": _TEXT,
    "MESSAGE_CONTENT": _TEXT,
    "EMBED_TOTAL": _TEXT,
    "EMBED_TITLE": _TEXT,
    "EMBED_DESCRIPTION": _TEXT,
    "EMBED_FIELDS": _TEXT,
    "EMBED_FIELD_NAME": _TEXT,
    "EMBED_FIELD_VALUE": _TEXT,
    "EMBED_FOOTER": _TEXT,
    "EMBED_AUTHOR": _TEXT,
    "BUTTON_LABEL": _TEXT,
    "SELECT_OPTION_LABEL": _TEXT,
    "SELECT_OPTION_DESCRIPTION": _TEXT,
    "SELECT_OPTION_VALUE": _TEXT,
    "SELECT_PLACEHOLDER": _TEXT,
    "SELECT_OPTIONS": _TEXT,
    "MODAL_TITLE": _TEXT,
    "TEXT_INPUT_LABEL": _TEXT,
    "TEXT_INPUT_PLACEHOLDER": _TEXT,
    # Personal data in free text, JSON input, web bodies.
    "one_line": "alphapy.personal_data",
    "remove_personal_data": "alphapy.personal_data",
    "JsonInputError": "alphapy.json_input",
    "load_json_input": "alphapy.json_input",
    "BodyTooLarge": "alphapy.web",
    "NotJson": "alphapy.web",
    "read_body": "alphapy.web",
    "parse_json": "alphapy.web",
    # Dashboard pages (register_dashboard).
    "DashboardPages": "alphapy.dashboard.plugin_pages",
    "PageAccess": "alphapy.dashboard.plugin_pages",
    "PageRegistrationError": "alphapy.dashboard.plugin_pages",
    "PageContext": "alphapy.dashboard.page_context",
    "WebUser": "alphapy.dashboard.page_context",
    "bot_of": "alphapy.web",
    "ChartBar": "alphapy.dashboard.plugin_charts",
    "chart_figure": "alphapy.dashboard.plugin_charts",
    # The types hooks receive.
    "RegisterSetting": "alphapy.hookspecs",
    "SubParsers": "alphapy.hookspecs",
    "Tour": "alphapy.demo.tour",
    # The demo tour a plugin's chapter runs in.
    "TourContext": "alphapy.demo.tour",
    "Chapter": "alphapy.demo.tour",
}

__all__ = ["PROJECT_NAME", "__version__", *_EXPORTS]

__getattr__ = lazy_getattr(globals(), _EXPORTS)


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from alphapy.ai import (
        AIError as AIError,
        AIInvalidAnswer as AIInvalidAnswer,
        AINotConfigured as AINotConfigured,
        AITimeout as AITimeout,
        AIUnavailable as AIUnavailable,
        AIUnsupportedInput as AIUnsupportedInput,
    )
    from alphapy.authority import grant_refusal as grant_refusal, ping_refusal as ping_refusal
    from alphapy.bot import AlphapyBot as AlphapyBot
    from alphapy.clock import utcnow as utcnow
    from alphapy.cog import PluginCog as PluginCog
    from alphapy.cogs.text import (
        BUTTON_LABEL as BUTTON_LABEL,
        ELLIPSIS as ELLIPSIS,
        EMBED_AUTHOR as EMBED_AUTHOR,
        EMBED_DESCRIPTION as EMBED_DESCRIPTION,
        EMBED_FIELD_NAME as EMBED_FIELD_NAME,
        EMBED_FIELD_VALUE as EMBED_FIELD_VALUE,
        EMBED_FIELDS as EMBED_FIELDS,
        EMBED_FOOTER as EMBED_FOOTER,
        EMBED_TITLE as EMBED_TITLE,
        EMBED_TOTAL as EMBED_TOTAL,
        MESSAGE_CONTENT as MESSAGE_CONTENT,
        MODAL_TITLE as MODAL_TITLE,
        SELECT_OPTION_DESCRIPTION as SELECT_OPTION_DESCRIPTION,
        SELECT_OPTION_LABEL as SELECT_OPTION_LABEL,
        SELECT_OPTION_VALUE as SELECT_OPTION_VALUE,
        SELECT_OPTIONS as SELECT_OPTIONS,
        SELECT_PLACEHOLDER as SELECT_PLACEHOLDER,
        TEXT_INPUT_LABEL as TEXT_INPUT_LABEL,
        TEXT_INPUT_PLACEHOLDER as TEXT_INPUT_PLACEHOLDER,
        clip as clip,
        embed_length as embed_length,
        escape as escape,
        fit as fit,
        fit_embed as fit_embed,
        fit_embeds as fit_embeds,
        fit_lines as fit_lines,
        safe as safe,
    )
    from alphapy.config import ProcessSettings as ProcessSettings
    from alphapy.dashboard.page_context import PageContext as PageContext, WebUser as WebUser
    from alphapy.dashboard.plugin_charts import ChartBar as ChartBar, chart_figure as chart_figure
    from alphapy.dashboard.plugin_pages import (
        DashboardPages as DashboardPages,
        PageAccess as PageAccess,
        PageRegistrationError as PageRegistrationError,
    )
    from alphapy.db import Database as Database, DatabaseUnavailable as DatabaseUnavailable
    from alphapy.db.queryable import Queryable as Queryable
    from alphapy.demo.tour import Chapter as Chapter, Tour as Tour, TourContext as TourContext
    from alphapy.errors import (
        PluginDisabled as PluginDisabled,
        UserError as UserError,
        answering_errors as answering_errors,
    )
    from alphapy.gate import (
        manage_guild_only as manage_guild_only,
        require_staff as require_staff,
        staff_only as staff_only,
    )
    from alphapy.hookspecs import RegisterSetting as RegisterSetting, SubParsers as SubParsers
    from alphapy.json_input import JsonInputError as JsonInputError, load_json_input as load_json_input
    from alphapy.log import (
        configure_logging as configure_logging,
        get_logger as get_logger,
        redact_text as redact_text,
        register_secrets as register_secrets,
    )
    from alphapy.markers import hookimpl as hookimpl, hookspec as hookspec
    from alphapy.personal_data import one_line as one_line, remove_personal_data as remove_personal_data
    from alphapy.plugins import PluginManager as PluginManager, UnknownHook as UnknownHook
    from alphapy.premium import PremiumStatus as PremiumStatus, has_premium as has_premium
    from alphapy.premium_features import PremiumFeature as PremiumFeature
    from alphapy.privacy import export_user as export_user, forget_user as forget_user
    from alphapy.redaction import describe_exception as describe_exception
    from alphapy.scheduler import DueWork as DueWork, notify_due as notify_due, shard_of as shard_of
    from alphapy.web import (
        BodyTooLarge as BodyTooLarge,
        NotJson as NotJson,
        bot_of as bot_of,
        parse_json as parse_json,
        read_body as read_body,
    )

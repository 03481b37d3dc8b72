"""The testing kit: real PostgreSQL, a Discord emulator and a fake AI server for tests.

Installed with ``alphapy[test]``; its pytest plugin (``alphapy.testing.pytest_plugin``)
is registered through the ``pytest11`` entry point, so its fixtures are available in
any project that has Alphapy installed. See ``docs/testing.md``.

This is one of the three public modules (see :mod:`alphapy`): a plugin's tests import
the kit's helpers from here. Names are re-exported lazily: importing the kit must not
start servers or import discord.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alphapy.exports import lazy_getattr

_EMULATOR = "alphapy.testing.emulator"
_EXPORTS: dict[str, str] = {
    # Whole bots and their parts.
    "running_alphapy": "alphapy.testing.bot",
    "BotRunner": "alphapy.runner",
    "TestDatabaseServer": "alphapy.testing.database",
    "MigrationRunner": "alphapy.db.migrate",
    "FakeAI": "alphapy.testing.fake_ai",
    "check_plugins": "alphapy.plugin_checks",
    # Dashboard pages: a browser-like client, the dashboard beside a bot, its clock.
    "DashboardBrowser": "alphapy.testing.dashboard",
    "MovableClock": "alphapy.testing.dashboard",
    "WebPage": "alphapy.testing.dashboard",
    "running_dashboard": "alphapy.testing.dashboard",
    # Checks on what a plugin created or sent.
    "assert_tables_match_reference": "alphapy.testing.schema",
    "assert_sent_within_limits": "alphapy.testing.sent_lengths",
    "length_problems": "alphapy.testing.sent_lengths",
    # Pages in a real browser (Chromium through Playwright).
    "BrowserPage": "alphapy.testing.browser",
    "ChromiumProcess": "alphapy.testing.browser",
    "find_chromium": "alphapy.testing.browser",
    "open_browser_page": "alphapy.testing.browser",
    "DashboardFlow": "alphapy.testing.dashboard_flows",
    "chart_bars": "alphapy.testing.charts",
    # A plugin's demo chapter, run on its own.
    "build_demo_guild": "alphapy.demo",
    "run_steps_alone": "alphapy.demo.tour",
    # The Discord emulator (its package, never its submodules).
    **{
        name: _EMULATOR
        for name in (
            "Application",
            "ApplicationCommand",
            "Attachment",
            "AutocompleteChoice",
            "Channel",
            "DiscordEmulator",
            "DiscordHTTPError",
            "EmulatorState",
            "EmulatorTimeout",
            "Entitlement",
            "Guild",
            "InteractionResult",
            "Member",
            "Message",
            "Modal",
            "ModalField",
            "Overwrite",
            "P",
            "Permission",
            "Refusal",
            "RequestRecord",
            "Role",
            "SpecViolation",
            "User",
        )
    },
}

__all__ = list(_EXPORTS)

__getattr__ = lazy_getattr(globals(), _EXPORTS)


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:
    from alphapy.db.migrate import MigrationRunner as MigrationRunner
    from alphapy.demo import build_demo_guild as build_demo_guild
    from alphapy.demo.tour import run_steps_alone as run_steps_alone
    from alphapy.plugin_checks import check_plugins as check_plugins
    from alphapy.runner import BotRunner as BotRunner
    from alphapy.testing.bot import running_alphapy as running_alphapy
    from alphapy.testing.dashboard import (
        DashboardBrowser as DashboardBrowser,
        MovableClock as MovableClock,
        WebPage as WebPage,
        running_dashboard as running_dashboard,
    )
    from alphapy.testing.database import TestDatabaseServer as TestDatabaseServer
    from alphapy.testing.emulator import (
        Application as Application,
        ApplicationCommand as ApplicationCommand,
        Attachment as Attachment,
        AutocompleteChoice as AutocompleteChoice,
        Channel as Channel,
        DiscordEmulator as DiscordEmulator,
        DiscordHTTPError as DiscordHTTPError,
        EmulatorState as EmulatorState,
        EmulatorTimeout as EmulatorTimeout,
        Entitlement as Entitlement,
        Guild as Guild,
        InteractionResult as InteractionResult,
        Member as Member,
        Message as Message,
        Modal as Modal,
        ModalField as ModalField,
        Overwrite as Overwrite,
        P as P,
        Permission as Permission,
        Refusal as Refusal,
        RequestRecord as RequestRecord,
        Role as Role,
        SpecViolation as SpecViolation,
        User as User,
    )
    from alphapy.testing.fake_ai import FakeAI as FakeAI
    from alphapy.testing.schema import assert_tables_match_reference as assert_tables_match_reference
    from alphapy.testing.sent_lengths import (
        assert_sent_within_limits as assert_sent_within_limits,
        length_problems as length_problems,
    )

if TYPE_CHECKING:  # pages in a real browser
    from alphapy.testing.browser import (
        BrowserPage as BrowserPage,
        ChromiumProcess as ChromiumProcess,
        find_chromium as find_chromium,
        open_browser_page as open_browser_page,
    )
    from alphapy.testing.charts import chart_bars as chart_bars
    from alphapy.testing.dashboard_flows import DashboardFlow as DashboardFlow

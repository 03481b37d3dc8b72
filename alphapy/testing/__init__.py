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
    # Checks on what a plugin created or sent.
    "assert_tables_match_reference": "alphapy.testing.schema",
    "assert_sent_within_limits": "alphapy.testing.sent_lengths",
    "length_problems": "alphapy.testing.sent_lengths",
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
    from alphapy.testing.database import TestDatabaseServer as TestDatabaseServer
    from alphapy.testing.emulator import (
        Application as Application,
    )
    from alphapy.testing.emulator import (
        ApplicationCommand as ApplicationCommand,
    )
    from alphapy.testing.emulator import (
        Attachment as Attachment,
    )
    from alphapy.testing.emulator import (
        AutocompleteChoice as AutocompleteChoice,
    )
    from alphapy.testing.emulator import (
        Channel as Channel,
    )
    from alphapy.testing.emulator import (
        DiscordEmulator as DiscordEmulator,
    )
    from alphapy.testing.emulator import (
        DiscordHTTPError as DiscordHTTPError,
    )
    from alphapy.testing.emulator import (
        EmulatorState as EmulatorState,
    )
    from alphapy.testing.emulator import (
        EmulatorTimeout as EmulatorTimeout,
    )
    from alphapy.testing.emulator import (
        Entitlement as Entitlement,
    )
    from alphapy.testing.emulator import (
        Guild as Guild,
    )
    from alphapy.testing.emulator import (
        InteractionResult as InteractionResult,
    )
    from alphapy.testing.emulator import (
        Member as Member,
    )
    from alphapy.testing.emulator import (
        Message as Message,
    )
    from alphapy.testing.emulator import (
        Modal as Modal,
    )
    from alphapy.testing.emulator import (
        ModalField as ModalField,
    )
    from alphapy.testing.emulator import (
        Overwrite as Overwrite,
    )
    from alphapy.testing.emulator import (
        P as P,
    )
    from alphapy.testing.emulator import (
        Permission as Permission,
    )
    from alphapy.testing.emulator import (
        Refusal as Refusal,
    )
    from alphapy.testing.emulator import (
        RequestRecord as RequestRecord,
    )
    from alphapy.testing.emulator import (
        Role as Role,
    )
    from alphapy.testing.emulator import (
        SpecViolation as SpecViolation,
    )
    from alphapy.testing.emulator import (
        User as User,
    )
    from alphapy.testing.fake_ai import FakeAI as FakeAI
    from alphapy.testing.schema import assert_tables_match_reference as assert_tables_match_reference
    from alphapy.testing.sent_lengths import assert_sent_within_limits as assert_sent_within_limits
    from alphapy.testing.sent_lengths import length_problems as length_problems

"""The ``alphapy`` command line.

Parsing is plain argparse and every heavy import (pydantic, psycopg, discord.py,
asyncpg) happens inside the command that needs it, so ``alphapy --help`` starts fast.
Each sub-command lives in its own module and registers itself through ``add_parser``.

This module is also one of the three public ones (see :mod:`alphapy`): a plugin's
``register_cli`` command imports what it needs from here: ``run_with_services`` (open the
bot's services, run a coroutine, close them), ``print_table``, ``print_json``, ``fail``
and the exit codes. They are re-exported lazily so ``alphapy --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from alphapy import __version__
from alphapy.exports import lazy_getattr

if TYPE_CHECKING:
    from alphapy.cli.context import (
        CliServices as CliServices,
        NeedsMigration as NeedsMigration,
        run_with_services as run_with_services,
    )
    from alphapy.cli.output import print_json as print_json, print_table as print_table

Handler = Callable[[argparse.Namespace], int]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

_COMMAND_MODULES = (
    "alphapy.cli.run",
    "alphapy.cli.shards",
    "alphapy.cli.dashboard",
    "alphapy.cli.db",
    "alphapy.cli.plugins",
    "alphapy.cli.settings",
    "alphapy.cli.backup",
    "alphapy.cli.privacy",
    "alphapy.cli.new_plugin",
)


_EXPORTS: dict[str, str] = {
    # ``alphapy.cli.run`` is the ``alphapy run`` command module, hence the longer public name.
    "run_with_services": "alphapy.cli.context",
    "CliServices": "alphapy.cli.context",
    "NeedsMigration": "alphapy.cli.context",
    "print_json": "alphapy.cli.output",
    "print_table": "alphapy.cli.output",
}

__all__ = ["EXIT_FAILURE", "EXIT_OK", "EXIT_USAGE", "Handler", "fail", "main", *_EXPORTS]

__getattr__ = lazy_getattr(globals(), _EXPORTS)


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Every command's parser; given ``argv`` naming one of the core's commands, the
    plugins' commands are left out: loading and checking every plugin only to offer
    commands nobody asked for was a third of ``alphapy migrate``'s start."""
    parser = argparse.ArgumentParser(
        prog="alphapy",
        description="Alphapy: a plugin-based Discord bot framework.",
        epilog="Configuration comes from the environment and a .env file; see the README.",
    )
    parser.add_argument("--version", action="version", version=f"alphapy {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    from importlib import import_module as import_module

    for module_name in _COMMAND_MODULES:
        import_module(module_name).add_parser(commands)
    if _named_command(argv) not in commands.choices:
        parser.set_defaults(_plugin_commands_clean=_add_plugin_commands(commands))
    return parser


def _named_command(argv: Sequence[str] | None) -> str | None:
    """The command ``argv`` names (its first word that is not an option), if any."""
    return next((arg for arg in (sys.argv[1:] if argv is None else argv) if not arg.startswith("-")), None)


def _add_plugin_commands(commands: Any) -> bool:
    """Plugins' operator commands (``register_cli``), from the plugins that would load;
    False when a plugin's commands failed (and that was said).

    The plugins pass the same checks as at start-up first: a plugin that ``alphapy
    plugins`` lists as failed adds no commands.
    """
    import os

    from alphapy.plugin_checks import check_plugins as check_plugins
    from alphapy.plugins import PluginManager as PluginManager

    only = os.environ.get("ALPHAPY_PLUGINS")
    manager = PluginManager()
    manager.load_entrypoints(None if only is None else only.split(","), log_failures=False)
    check_plugins(manager, log_failures=False)
    clean = True
    for result in manager.call_each("register_cli", commands=commands):
        if result.error is not None:
            fail(f"plugin {result.plugin} could not add its commands: {result.error}")
            clean = False
    return clean


def fail(message: str, code: int = EXIT_FAILURE) -> int:
    """Print one line for the user (secrets redacted) and return the exit code."""
    from alphapy.redaction import redact_text as redact_text

    print(f"alphapy: {redact_text(message)}", file=sys.stderr)
    return code


def _print_redacted_traceback(kind: type[BaseException], error: BaseException, tb: Any) -> None:
    """``sys.excepthook`` for the CLI: a bug still shows its traceback, but no secret in it."""
    import traceback

    from alphapy.redaction import redact_text as redact_text

    sys.stderr.write(redact_text("".join(traceback.format_exception(kind, error, tb))))


def run_handler(handler: Handler, args: argparse.Namespace) -> int:
    """Run a command, turning known failures into one clear line instead of a traceback."""
    try:
        return handler(args)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except Exception as exc:
        # Imported only on failure: alphapy.config brings pydantic-settings, which a
        # command's fast path (``alphapy migrate`` with nothing to apply) never needs.
        from alphapy.config import ConfigError as ConfigError

        if isinstance(exc, ConfigError):
            return fail(str(exc), EXIT_USAGE)
        from alphapy.cli.context import NeedsMigration as NeedsMigration
        from alphapy.db.backup import BackupError as BackupError
        from alphapy.db.migrate import MigrationError as MigrationError
        from alphapy.db.pool import DatabaseUnavailable as DatabaseUnavailable
        from alphapy.settings import SettingsError as SettingsError

        if isinstance(exc, (BackupError, MigrationError, DatabaseUnavailable, NeedsMigration, SettingsError)):
            return fail(str(exc))
        raise


def _print_top_level_help() -> int:
    """``alphapy --help``: the text kept from the last build while nothing it depends on
    changed (:mod:`alphapy.cli.help_cache`), else built, printed and kept."""
    from alphapy.cli.help_cache import cached_help, record_help

    text = cached_help()
    if text is None:
        parser = build_parser([])
        text = parser.format_help()
        if parser.get_default("_plugin_commands_clean"):
            record_help(text)
    sys.stdout.write(text)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    from alphapy.redaction import register_environment_secrets as register_environment_secrets

    # Before anything can fail: every error line and log line from here on is redacted.
    register_environment_secrets()
    sys.excepthook = _print_redacted_traceback
    arguments = list(sys.argv[1:] if argv is None else argv)
    # The two commands run most often, answered before every command's parser is built
    # when what they depend on is unchanged (issue 20: start-up cost).
    if arguments in (["-h"], ["--help"]):
        return _print_top_level_help()
    if arguments == ["migrate"]:
        from alphapy.cli.db import migrate_if_unchanged

        answered = migrate_if_unchanged()
        if answered is not None:
            return answered
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    handler: Any = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    return run_handler(handler, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

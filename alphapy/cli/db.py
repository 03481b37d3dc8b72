"""``alphapy migrate`` and ``alphapy db ...``: the database in use and its schema."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from alphapy.cli import EXIT_FAILURE, EXIT_OK

if TYPE_CHECKING:
    from alphapy.db.migrate import MigrationRunner, MigrationState
    from alphapy.runtime import Runtime


def add_parser(commands: Any) -> None:
    migrate = commands.add_parser(
        "migrate",
        help="apply the core's and every loaded plugin's pending migrations",
        description="Apply pending migrations (core first, then plugins), list them, "
        "or roll one plugin's migrations back.",
    )
    group = migrate.add_mutually_exclusive_group()
    group.add_argument("--list", action="store_true", help="show each migration, its owner and state")
    group.add_argument("--rollback", metavar="PLUGIN",
                       help="roll back one plugin's migrations (an uninstalled plugin's too, from the kept SQL)")
    migrate.add_argument("--json", action="store_true", help="with --list: print JSON")
    migrate.set_defaults(handler=migrate_command)

    db = commands.add_parser("db", help="the database in use")
    db_commands = db.add_subparsers(title="db commands", metavar="COMMAND", required=True)
    url = db_commands.add_parser("url", help="print the PostgreSQL URL in use (password hidden)")
    url.add_argument("--show-password", action="store_true", help="print the password too")
    url.set_defaults(handler=db_url_command)


def migrate_if_unchanged() -> int | None:
    """Plain ``alphapy migrate`` when nothing changed since the last clean run
    (:mod:`alphapy.db.up_to_date`): say so and return the exit code, before any parser,
    config or plugin is built; None (nothing printed) sends the command down the full
    path, which meets any problem again and reports it with its usual message."""
    from alphapy.cli import fail
    from alphapy.db.up_to_date import nothing_to_apply

    try:
        unchanged = nothing_to_apply()
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except Exception:
        return None
    if not unchanged:
        return None
    print("database is up to date")
    return EXIT_OK


def migrate_command(args: argparse.Namespace) -> int:
    from alphapy.cli.output import print_json, print_table
    from alphapy.runtime import prepare

    with prepare(log_level="warning") as runtime:
        runner = runtime.migration_runner()
        if args.list:
            states = runner.status()
            _print_failures(runner.failed)
            if args.json:
                print_json([state.__dict__ for state in states])
            else:
                print_table(
                    ["migration", "owner", "state", "applied at", "depends on", "rollback sql"],
                    [
                        (s.id, s.owner, _state_text(s), s.applied_at, ", ".join(s.depends) or None,
                         None if s.rollback_recorded is None else "kept" if s.rollback_recorded else "missing")
                        for s in states
                    ],
                )
                _print_unloaded_owners(states)
            return EXIT_OK
        if args.rollback:
            undone = runner.rollback(args.rollback)
            print(f"rolled back {len(undone)} migration(s) of {args.rollback}: {', '.join(undone) or 'none applied'}")
            return EXIT_OK
        report = runner.apply_isolating_plugins()
        if report.applied:
            print(f"applied {len(report.applied)} migration(s): {', '.join(report.applied)}")
        elif not report.failed:
            print("database is up to date")
        _print_failures(report.failed)
        if not report.failed:
            _record_if_clean(runtime, runner)
        return EXIT_FAILURE if report.failed else EXIT_OK


def _record_if_clean(runtime: Runtime, runner: MigrationRunner) -> None:
    """Let the next ``alphapy migrate`` answer fast, if this run left nothing to report.

    Only with a configured server (the embedded one is started by the full path anyway)
    and every plugin loaded and checked: a failed plugin must be reported at every run.
    """
    from alphapy.config import input_names
    from alphapy.db.up_to_date import record_clean_run

    if runtime.config.database_url is None or runtime.embedded is not None:
        return
    if any(info.status != "loaded" for info in runtime.plugins.infos.values()):
        return
    record_clean_run(input_names(), [(source.owner, source.path) for source in runner.sources])


def _state_text(state: MigrationState) -> str:
    if not state.applied:
        return "pending"
    return "applied" if state.loaded else "applied, plugin not loaded"


def _print_unloaded_owners(states: list[MigrationState]) -> None:
    """Say how to remove what a plugin that is gone left behind, or why it cannot be yet."""
    unloaded: dict[str, list[MigrationState]] = {}
    for state in states:
        if not state.loaded:
            unloaded.setdefault(state.owner, []).append(state)
    for owner, mine in unloaded.items():
        missing = [s.id for s in mine if not s.rollback_recorded]
        if missing:
            print(f"! {owner} is not loaded and the rollback SQL of {', '.join(missing)} was never recorded: "
                  f"install it again and run 'alphapy migrate' once before removing its tables")
        else:
            print(f"! {owner} is not loaded (uninstalled or not enabled); "
                  f"'alphapy migrate --rollback {owner}' removes its tables")


def _print_failures(failed: dict[str, str]) -> None:
    """One line per plugin left out, naming the migration and the database's complaint."""
    for plugin, reason in failed.items():
        print(f"alphapy: plugin {plugin} failed, its migrations are left out: {reason}", file=sys.stderr)


def db_url_command(args: argparse.Namespace) -> int:
    from alphapy.config import load_config
    from alphapy.db import resolve_database
    from alphapy.db.urls import redact_url

    config = load_config()
    url, embedded = resolve_database(config)
    try:
        print(url if args.show_password else redact_url(url))
        if embedded is not None:
            print(f"(embedded PostgreSQL in {embedded.pgdata}; it runs while an alphapy process uses it)",
                  file=sys.stderr)
    finally:
        if embedded is not None:
            embedded.stop()
    return EXIT_OK

"""``alphapy plugins``: what is installed, what loaded, and the state of its migrations."""

from __future__ import annotations

import argparse
from typing import Any

from alphapy.cli import EXIT_FAILURE, EXIT_OK
from alphapy.redaction import redact_text


def add_parser(commands: Any) -> None:
    plugins = commands.add_parser(
        "plugins",
        help="list plugins: version, hooks, migration state, load errors",
        description="List the plugins found in the alphapy.plugins entry-point group "
        "(limited by ALPHAPY_PLUGINS) with their version, hooks, migrations and errors.",
    )
    plugins.add_argument("--json", action="store_true", help="print JSON")
    plugins.add_argument("--offline", action="store_true",
                         help="do not connect to the database (migration state unknown)")
    plugins.set_defaults(handler=plugins_command)


def _migration_summary(runtime: Any) -> tuple[dict[str, str], str | None]:
    """Per owner: 'n applied', 'n pending' ...; or an error line when it cannot be known."""
    from alphapy.db.migrate import MigrationError

    runner = runtime.migration_runner()
    try:
        states = runner.status()
    except MigrationError as exc:
        return {}, str(exc)
    runtime.mark_migration_failures(runner.failed)  # unreadable migrations: that plugin cannot run
    summary: dict[str, list[int]] = {}
    for state in states:
        applied, pending = summary.setdefault(state.owner, [0, 0])
        summary[state.owner] = [applied + state.applied, pending + (not state.applied)]
    return {
        owner: (f"{a} applied" if not p else f"{a} applied, {p} pending") for owner, (a, p) in summary.items()
    }, None


def plugins_command(args: argparse.Namespace) -> int:
    from alphapy.cli.output import print_json, print_table
    from alphapy.runtime import prepare

    with prepare(log_level="warning") as runtime:
        infos = sorted(runtime.plugins.infos.values(), key=lambda info: info.name)
        migrations: dict[str, str] = {}
        problem = None
        if not args.offline:
            migrations, problem = _migration_summary(runtime)
        rows = []
        for info in infos:
            rows.append({
                "name": info.name,
                "version": info.version,
                "status": info.status,
                "module": info.module,
                "description": info.description,
                "hooks": info.hooks,
                "migrations": migrations.get(info.name, "none" if not problem and not args.offline else "unknown"),
                "error": info.error,
            })
        if args.json:
            print_json({"core_migrations": migrations.get("core"), "migration_error": problem, "plugins": rows})
        else:
            if not rows:
                print("no plugins loaded (install some, or check ALPHAPY_PLUGINS)")
            else:
                print_table(
                    ["plugin", "version", "status", "migrations", "hooks"],
                    [(r["name"], r["version"], r["status"], r["migrations"], ", ".join(r["hooks"]) or None)
                     for r in rows],
                )
            for r in rows:
                if r["error"]:
                    print(f"! {r['name']}: {redact_text(r['error'])}")
            if problem:
                print(f"! migrations: {problem}")
            elif "core" in migrations:
                print(f"core migrations: {migrations['core']}")
        return EXIT_FAILURE if any(r["status"] != "loaded" for r in rows) else EXIT_OK

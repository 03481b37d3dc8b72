"""``alphapy user-data`` and ``alphapy forget-user``: a person's data, exported or erased."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from alphapy.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE


def add_parser(commands: Any) -> None:
    export = commands.add_parser("user-data", help="export everything held about a user (JSON)",
                                 description="Print, as JSON, what the core and every plugin hold about a user.")
    export.add_argument("user_id", type=int)
    export.set_defaults(handler=export_command)
    forget = commands.add_parser("forget-user", help="erase what is held about a user",
                                 description="Erase a user's records in the core and every plugin "
                                 "(in one guild with --guild). Asks for --yes.")
    forget.add_argument("user_id", type=int)
    forget.add_argument("--guild", type=int, metavar="ID", help="only in this guild")
    forget.add_argument("--yes", action="store_true", help="really erase")
    forget.set_defaults(handler=forget_command)


def export_command(args: argparse.Namespace) -> int:
    from alphapy.cli.context import run
    from alphapy.cli.output import print_json
    from alphapy.privacy import export_user

    data = run(lambda services: export_user(services.db, services.runtime.plugins, args.user_id))
    print_json(data)
    return EXIT_OK


def forget_command(args: argparse.Namespace) -> int:
    from alphapy.cli.context import run
    from alphapy.privacy import forget_user

    if not args.yes:
        print("alphapy: this erases the user's records; add --yes to go ahead", file=sys.stderr)
        return EXIT_USAGE
    removed = run(lambda services: forget_user(services.db, services.runtime.plugins, args.user_id, args.guild))
    where = f" in guild {args.guild}" if args.guild else ""
    for part, count in removed.items():
        print(f"{part}: {count}")
    print(f"user {args.user_id} forgotten{where}")
    return EXIT_FAILURE if any(isinstance(v, str) for v in removed.values()) else EXIT_OK

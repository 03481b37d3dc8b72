"""``python -m alphapy.testing.emulator``: a standalone emulator with a demo guild.

Useful for manual runs: start it, then point any discord.py bot at the printed URLs
(``DISCORD_API_BASE`` / ``DISCORD_GATEWAY_URL`` for ``alphapy run``) with the printed token.
It listens on 127.0.0.1 only and runs until interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
import signal
from pathlib import Path

from .emulator import DiscordEmulator
from .playground import PORT_VARIABLE, Playground, port_from_env
from .state import Guild


def build_demo(emu: DiscordEmulator, *, guilds: int = 1, members: int = 5) -> list[Guild]:
    """A demo guild (and optionally more) with staff, members and a few channels."""
    built: list[Guild] = []
    for index in range(guilds):
        name = "Alphapy Demo" if index == 0 else f"Alphapy Demo {index + 1}"
        guild = emu.add_guild(
            name,
            owner_name="owner" if index == 0 else None,
            members=members,
            text_channels=["general", "support", "announcements"],
        )
        moderator = guild.add_role("Moderator", permissions=["manage_messages", "kick_members", "moderate_members"])
        guild.add_member("moderator", roles=[moderator])
        staff = guild.add_category(
            "Staff", overwrites={guild.everyone: {"deny": "view_channel"}, moderator: {"allow": "view_channel"}}
        )
        guild.add_text_channel("staff-room", category=staff)
        built.append(guild)
    return built


async def _serve(args: argparse.Namespace) -> None:
    emu = DiscordEmulator(port=args.port, openapi_spec=args.spec, shard_count=args.shards)
    build_demo(emu, guilds=args.guilds, members=args.members)
    await emu.start()
    print(f"Discord emulator listening on {emu.base_url}")
    print(f"  API base:    {emu.api_base}")
    print(f"  Gateway:     {emu.gateway_url}")
    print(f"  Bot token:   {emu.token}")
    print(f"  Application: {emu.application.id} (bot user {emu.bot_user.name})")
    for guild in emu.guilds:
        print(
            f"  Guild {guild.name!r} id={guild.id}: {len(guild.members)} members, "
            f"channels {[c.name for c in guild.text_channels]}"
        )
    print(f"\nexport DISCORD_API_BASE={emu.api_base} DISCORD_GATEWAY_URL={emu.gateway_url} DISCORD_TOKEN={emu.token}")
    playground = None
    if args.playground_port >= 0:
        playground = Playground(emu, port=args.playground_port)
        print(f"  Playground:  {await playground.start()}/ (act as any member in your browser)")
    print("Ctrl-C to stop.", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        if playground is not None:
            await playground.stop()
        await emu.stop()
        if emu.refusals:
            print(f"{len(emu.refusals)} body(ies) refused as Discord would:")
            for refusal in itertools.islice(emu.refusals, 50):
                print(f"  {refusal}")
        if emu.spec_violations:
            print(f"{len(emu.spec_violations)} OpenAPI violation(s):")
            for violation in emu.spec_violations[:50]:
                print(f"  {violation}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m alphapy.testing.emulator", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--guilds", type=int, default=1, help="number of demo guilds")
    parser.add_argument("--members", type=int, default=5, help="extra members per demo guild")
    parser.add_argument("--shards", type=int, default=1, help="shard count answered by /gateway/bot")
    parser.add_argument(
        "--spec", type=Path, default=None,
        help="Discord OpenAPI file to check traffic against (default: the copy shipped with the testing kit)",
    )
    parser.add_argument(
        "--playground-port", type=int, default=port_from_env(),
        help=f"port of the playground on 127.0.0.1 (default: ${PORT_VARIABLE} or 8095; 0: a free one; -1: none)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(name)s %(message)s"
    )
    if args.verbose:
        logging.getLogger("aiohttp.access").setLevel(logging.INFO)
    asyncio.run(_serve(args))


if __name__ == "__main__":
    main()

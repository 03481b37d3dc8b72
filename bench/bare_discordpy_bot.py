"""A bare discord.py bot for ``bench_bot_memory.py``: the baseline Alphapy is measured against.

The same intents, member cache and message cache size as Alphapy's bot (members,
message content, no chunking at start), pointed at the emulator by ``DISCORD_API_BASE``
/ ``DISCORD_GATEWAY_URL`` like ``alphapy run``; prints ``ready <guilds>`` once every guild
arrived, then runs until terminated.
"""

from __future__ import annotations

import asyncio
import os

import discord
import discord.gateway
import discord.http
import yarl
from discord.ext import commands


async def main() -> None:
    discord.http.Route.BASE = os.environ["DISCORD_API_BASE"].rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    bot = commands.Bot(command_prefix="!", intents=intents, help_command=None, chunk_guilds_at_startup=False,
                       max_messages=int(os.environ.get("MESSAGE_CACHE_SIZE", "1000")))

    @bot.event
    async def on_ready() -> None:
        print(f"ready {len(bot.guilds)}", flush=True)

    async with bot:
        await bot.start(os.environ["DISCORD_TOKEN"])


if __name__ == "__main__":
    asyncio.run(main())

"""Ids, timestamps and Discord's type numbers that every state module shares."""

from __future__ import annotations

import datetime as _dt
import time
from collections.abc import Callable
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Channel types (https://discord.com/developers/docs/resources/channel#channel-object-channel-types)
GUILD_TEXT = 0
DM = 1
GUILD_VOICE = 2
GUILD_CATEGORY = 4
GUILD_ANNOUNCEMENT = 5
ANNOUNCEMENT_THREAD = 10
PUBLIC_THREAD = 11
PRIVATE_THREAD = 12
GUILD_FORUM = 15
THREAD_TYPES = frozenset({ANNOUNCEMENT_THREAD, PUBLIC_THREAD, PRIVATE_THREAD})

# Message flags
FLAG_CROSSPOSTED = 1 << 1
FLAG_SUPPRESS_EMBEDS = 1 << 2
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7
FLAG_SUPPRESS_NOTIFICATIONS = 1 << 12
FLAG_COMPONENTS_V2 = 1 << 15

Dispatch = Callable[[str, "Callable[[], dict[str, Any]] | dict[str, Any]", "int | None"], None]


def _no_dispatch(event: str, data: Any, guild_id: int | None) -> None:
    """Default sink before a gateway exists."""


class Snowflakes:
    """Discord-shaped ids: ``(ms since 2015) << 22 | worker << 17 | process << 12 | n``.

    Ids are strictly increasing, so ``before``/``after`` paging works. Guild ids each take a
    fresh millisecond so ``guild_id >> 22`` differs between guilds and shard routing
    ``(guild_id >> 22) % shard_count`` spreads them like real guilds.
    """

    __slots__ = ("_last_ms", "_increment", "_worker")

    def __init__(self, worker: int = 1) -> None:
        self._last_ms = 0
        self._increment = 0
        self._worker = worker & 0x1F

    def next(self, *, fresh_millisecond: bool = False) -> int:
        now = int(time.time() * 1000) - DISCORD_EPOCH_MS
        ms = self._last_ms
        if now > ms:
            ms, inc = now, 0
        elif fresh_millisecond:
            ms, inc = ms + 1, 0
        else:
            inc = self._increment + 1
            if inc > 0xFFF:
                ms, inc = ms + 1, 0
        self._last_ms = ms
        self._increment = inc
        return (ms << 22) | (self._worker << 17) | (1 << 12) | inc


def snowflake_time_ms(snowflake: int) -> int:
    """Unix milliseconds encoded in a snowflake."""
    return (snowflake >> 22) + DISCORD_EPOCH_MS


def iso(ms: float | None = None) -> str:
    """ISO-8601 UTC timestamp as Discord writes it."""
    if ms is None:
        ms = time.time() * 1000
    return _dt.datetime.fromtimestamp(ms / 1000, _dt.UTC).isoformat()


def snowflake_iso(snowflake: int) -> str:
    return iso(snowflake_time_ms(snowflake))

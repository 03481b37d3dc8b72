"""Discord's session start limit: how many IDENTIFYs, how fast, in which bucket.

Discord lets a bot start ``total`` sessions a day and, within that, ``max_concurrency``
IDENTIFYs per 5 seconds: one per *bucket* ``shard_id % max_concurrency``. An IDENTIFY
that comes too soon after the previous one of its bucket is refused with close code 4008
("Rate limited"). Several bot processes share one emulator, so the limit is kept here,
per emulator, and not per connection: exactly what a cluster of processes has to respect.

The window is off by default (``identify_interval=0``): single-process tests identify
their shards back to back, as discord.py does against the emulator.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: Discord's close code for "you're sending payloads to us too quickly"
RATE_LIMITED_CLOSE_CODE = 4008
DAILY_SESSION_STARTS = 1000
DAY_MS = 86_400_000


def bucket_of(shard_id: int, max_concurrency: int) -> int:
    """The identify bucket of a shard (Discord's ``rate_limit_key``)."""
    return shard_id % max(1, max_concurrency)


@dataclass
class SessionStartLimit:
    """The bot's identify budget; :meth:`take` decides whether one IDENTIFY may start."""

    max_concurrency: int = 1
    identify_interval: float = 0.0
    total: int = DAILY_SESSION_STARTS
    remaining: int = DAILY_SESSION_STARTS
    clock: Callable[[], float] = time.monotonic
    #: bucket -> clock time of its last accepted IDENTIFY
    last_identify: dict[int, float] = field(default_factory=dict)
    #: IDENTIFYs refused for coming too soon (or the daily budget being spent)
    refused: int = 0
    _day_started: float = field(default_factory=time.monotonic)

    def take(self, shard_id: int) -> bool:
        """Accept (and count) one IDENTIFY of ``shard_id``, or refuse it."""
        now = self.clock()
        bucket = bucket_of(shard_id, self.max_concurrency)
        previous = self.last_identify.get(bucket)
        too_soon = previous is not None and now - previous < self.identify_interval
        if too_soon or self.remaining <= 0:
            self.refused += 1
            return False
        self.last_identify[bucket] = now
        self.remaining -= 1
        return True

    def payload(self) -> dict[str, int]:
        """The ``session_start_limit`` object of ``GET /gateway/bot``."""
        elapsed_ms = int((self.clock() - self._day_started) * 1000)
        return {
            "total": self.total,
            "remaining": self.remaining,
            "reset_after": max(0, DAY_MS - elapsed_ms),
            "max_concurrency": self.max_concurrency,
        }

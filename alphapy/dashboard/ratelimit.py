"""A small in-process token bucket per key (session or address), for logins and writes.

One process serves the dashboard, so an in-memory bucket is enough; the clock is injected
so tests refill a bucket by moving time, not by sleeping.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

MAX_KEYS = 10_000


class TokenBuckets:
    """``burst`` requests at once, then ``per_minute`` a minute, for each key."""

    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float]) -> None:
        self.rate = per_minute / 60.0
        self.burst = burst
        self.clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def allow(self, key: str) -> bool:
        """Take one token for ``key``; False when its bucket is empty."""
        now = self.clock()
        tokens, last = self._buckets.pop(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.rate)
        allowed = tokens >= 1.0
        self._buckets[key] = (tokens - 1.0 if allowed else tokens, now)
        while len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        return allowed

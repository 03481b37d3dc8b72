"""Rate-limit headers on every answer, and 429s on request.

discord.py reads ``X-RateLimit-*`` on each answer to pace itself, and retries a 429 after the
body's ``retry_after`` only when the answer carries a ``Via`` header (without it discord.py
assumes a Cloudflare ban and raises). Normal answers count requests per bucket (route
template + major parameter) in a window, so the headers are plausible but generous by
default: the framework's benchmarks must measure the bot, not an invented limit.

A test asks for 429s with ``emu.rate_limit("POST", "/channels/{channel_id}/messages")``:
the next matching request(s) answer 429 with Discord's headers and body, and the test can
then prove the bot waited and retried.
"""

from __future__ import annotations

import hashlib
import math
import re
import time
from dataclasses import dataclass, field


@dataclass(slots=True)
class RateLimitRule:
    """Pending 429 answers for requests matching ``method`` and ``pattern``."""

    method: str
    pattern: str
    regex: re.Pattern[str]
    times: int
    retry_after: float
    scope: str
    global_: bool
    hits: list[float] = field(default_factory=list)

    def matches(self, method: str, path: str, template: str | None) -> bool:
        if self.method not in ("*", method):
            return False
        if self.regex.match(path):
            return True
        return template is not None and template == self.pattern


def _pattern_regex(pattern: str) -> re.Pattern[str]:
    """``/channels/{channel_id}/messages`` or ``/channels/*/messages`` or a concrete path."""
    out = []
    for part in re.split(r"(\{[^}]+\}|\*)", pattern):
        if part == "*":
            out.append(".*")
        elif part.startswith("{") and part.endswith("}"):
            out.append("[^/]+")
        else:
            out.append(re.escape(part))
    return re.compile("^" + "".join(out) + "/?$")


def bucket_hash(method: str, template: str) -> str:
    """An opaque, stable bucket id per route, shaped like Discord's."""
    return hashlib.md5(f"{method} {template}".encode(), usedforsecurity=False).hexdigest()


class RateLimiter:
    """Counts requests per bucket and serves the 429s tests asked for.

    ``global_limit`` (requests per second, ``None``: off) models Discord's global limit
    of 50 requests per second per bot: once a second's budget is spent, every further
    request in that second answers a global 429 (``X-RateLimit-Global``) until the next
    second starts. Interaction callbacks and follow-ups are exempt, as on Discord.
    """

    def __init__(self, *, limit: int = 10_000, window: float = 1.0, global_limit: int | None = None) -> None:
        self.limit = limit
        self.window = window
        self.global_limit = global_limit
        #: global 429s answered so far
        self.global_hits = 0
        self.rules: list[RateLimitRule] = []
        self._buckets: dict[tuple[str, str], list[float]] = {}
        self._hashes: dict[tuple[str, str], str] = {}
        self._global_window = (0.0, 0)  # (start, requests counted in it)

    def add(
        self,
        method: str,
        path_pattern: str,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        scope: str = "user",
        global_: bool = False,
    ) -> RateLimitRule:
        rule = RateLimitRule(
            method.upper(), path_pattern, _pattern_regex(path_pattern), times, retry_after, scope, global_
        )
        self.rules.append(rule)
        return rule

    def take(self, method: str, path: str, template: str | None) -> RateLimitRule | None:
        """The rule this request triggers (consuming one of its ``times``), if any."""
        for rule in self.rules:
            if rule.times > 0 and rule.matches(method, path, template):
                rule.times -= 1
                rule.hits.append(time.monotonic())
                return rule
        return None

    def take_global(self, path: str) -> RateLimitRule | None:
        """A global 429 for this request when the second's budget is spent, else None."""
        if self.global_limit is None or path.startswith(("/interactions/", "/webhooks/")):
            return None
        now = time.monotonic()
        start, count = self._global_window
        if now >= start + 1.0:
            start, count = now, 0
        if count < self.global_limit:
            self._global_window = (start, count + 1)
            return None
        self.global_hits += 1
        retry_after = round(max(0.001, start + 1.0 - now), 3)
        return RateLimitRule("*", "*", _pattern_regex("*"), 0, retry_after, "global", True, [now])

    def _hash(self, method: str, template: str) -> str:
        key = (method, template)
        value = self._hashes.get(key)
        if value is None:
            value = self._hashes[key] = bucket_hash(method, template)
        return value

    def headers(self, method: str, template: str, major: str) -> dict[str, str]:
        """Plausible headers for a normal answer (window counting per bucket)."""
        now = time.time()
        key = (template, major)
        state = self._buckets.get(key)
        if state is None or now >= state[0] + self.window:
            state = self._buckets[key] = [now, 0.0]
        state[1] += 1
        remaining = max(0, self.limit - int(state[1]))
        reset = state[0] + self.window
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": f"{reset:.3f}",
            "X-RateLimit-Reset-After": f"{max(0.0, reset - now):.3f}",
            "X-RateLimit-Bucket": self._hash(method, template),
        }

    def limited_headers(self, rule: RateLimitRule, method: str, template: str) -> dict[str, str]:
        """Headers of a 429 as Discord sends them (``Via`` makes discord.py retry)."""
        now = time.time()
        headers = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{now + rule.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{rule.retry_after:.3f}",
            "X-RateLimit-Bucket": self._hash(method, template),
            "X-RateLimit-Scope": "global" if rule.global_ else rule.scope,
            "Retry-After": str(max(1, math.ceil(rule.retry_after))),
            "Via": "1.1 google",
        }
        if rule.global_:
            headers["X-RateLimit-Global"] = "true"
        return headers

    @staticmethod
    def limited_body(rule: RateLimitRule) -> dict[str, object]:
        return {
            "message": "You are being rate limited.",
            "retry_after": rule.retry_after,
            "global": rule.global_,
            "code": 0,
        }

"""Showing text that came from people (setting values, names) safely in Discord."""

from __future__ import annotations

import discord


def safe(text: str, limit: int = 100) -> str:
    """Untrusted text for a message: no markdown, no mentions, no control characters, short."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in text)
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return discord.utils.escape_mentions(discord.utils.escape_markdown(cleaned))


def clip(text: str, limit: int) -> str:
    """Cut to Discord's field limits with an ellipsis."""
    return text if len(text) <= limit else text[: limit - 1] + "…"

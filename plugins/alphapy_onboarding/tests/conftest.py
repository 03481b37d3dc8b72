"""The onboarding plugin under test, a welcome channel, and a helper that acts like people."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from alphapy.testing import P

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
os.environ.setdefault("ALPHAPY_DISCORD_OPENAPI", str(SHARED / "discord" / "openapi.json"))
os.environ.setdefault("ALPHAPY_SCHEMA_REFERENCE", str(SHARED / "reference" / "database-schema.txt"))


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_onboarding import plugin

    return [("onboarding", plugin)]


class Onboarding:
    """Shortcuts for what hosts and members do in these tests (each a real interaction)."""

    def __init__(self, bot: Any, emulator: Any, guild: Any, host: Any, welcome: Any) -> None:
        self.bot, self.emulator, self.guild, self.host, self.welcome = bot, emulator, guild, host, welcome

    async def set_up(self) -> Onboarding:
        await self.emulator.settle()  # the channel may have been made after the bot connected
        await self.bot.settings.set(self.guild.id, "onboarding", "channel", self.welcome.id)
        reply = await self.emulator.slash(self.host, "onboarding panel")
        assert reply.content == f"The Start panel is in <#{self.welcome.id}>.", reply.content
        return self

    async def add_question(self, **options: Any) -> int:
        reply = await self.emulator.slash(self.host, "onboarding question add", options=options)  # "options" clashes
        assert reply.content.startswith("Question `#"), reply.content
        return int(reply.content.split("`#")[1].split("`")[0])

    async def add_rule(self, **options: Any) -> int:
        reply = await self.emulator.slash(self.host, "onboarding rule add", options=options)
        assert reply.content.startswith("Rule `#"), reply.content
        return int(reply.content.split("`#")[1].split("`")[0])

    @property
    def panel(self) -> Any:
        return next(m for m in reversed(self.welcome.messages) if m.buttons)

    async def start(self, member: Any) -> Any:
        """Press Start on the panel; returns the member's flow message."""
        return await self.emulator.click(self.panel, "Start", by=member)

    async def personalize(self, screen: Any, member: Any, opt_in: str = "Yes, please!",
                          language: str = "Nederlands") -> Any:
        step = await self.emulator.click(screen, opt_in, by=member)
        assert "✅ Saved" in step.content, step.content
        done = await self.emulator.click(step, language, by=member)
        await self.finished(done)
        return done

    async def finished(self, result: Any) -> Any:
        """Wait for the completion screen (the roles are given before it shows)."""
        await self.emulator.wait_until(lambda: result.response is not None and result.response.embeds
                                       and "complete" in (result.response.embeds[0].get("title") or ""))
        return result

    async def row(self, member: Any, guild: Any = None) -> Any:
        return await self.bot.db.fetchrow("SELECT responses, timestamp FROM onboarding WHERE guild_id = $1 "
                                          "AND user_id = $2", (guild or self.guild).id, member.id)

    async def progress(self, member: Any) -> Any:
        return await self.bot.db.fetchrow("SELECT answers, rules_accepted_at FROM onboarding_progress "
                                          "WHERE guild_id = $1 AND user_id = $2", self.guild.id, member.id)


@pytest.fixture
async def host(emulator: Any, guild: Any) -> Any:
    """A server manager who may give roles too: only they may name roles the bot gives (the core's rule)."""
    manager = guild.member("host")
    own = manager.top_role
    own.permissions |= P.MANAGE_ROLES
    emulator.state.dispatch("GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": own.payload()}, guild.id)
    await emulator.settle()
    return manager


@pytest.fixture
def welcome(guild: Any) -> Any:
    return guild.add_text_channel("welcome")


@pytest.fixture
def make_ob(emulator: Any, guild: Any, host: Any, welcome: Any) -> Any:
    """``make_ob(bot)``: the helper for a bot of the test's own making (restart tests)."""
    return lambda bot: Onboarding(bot, emulator, guild, host, welcome)


@pytest.fixture
async def ob(bot: Any, emulator: Any, guild: Any, host: Any, welcome: Any) -> Onboarding:
    """The bot with onboarding set up in the test guild: a welcome channel and its panel."""
    return await Onboarding(bot, emulator, guild, host, welcome).set_up()

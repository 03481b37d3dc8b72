"""The documentation a plugin author follows: every recipe in it works as written.

A newcomer copies from ``docs/``; a command the example does not have, a document that is
not in the repository or a recipe that no longer works costs them the afternoon.
"""

from __future__ import annotations

import re
import types
from pathlib import Path

import discord
import pytest
from discord import app_commands

from alphapy import hookimpl
from alphapy.cog import PluginCog
from alphapy.gate import staff_only

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
EXAMPLE = DOCS / "example" / "alphapy_greeter"
_MARKDOWN_FILE = re.compile(r"[\w./-]*\b[\w-]+\.md\b")
_MARKDOWN_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def test_core_modules_cite_only_documents_of_this_repository() -> None:
    missing = []
    for source in sorted((REPO / "alphapy").rglob("*.py")):
        for cited in set(_MARKDOWN_FILE.findall(source.read_text(encoding="utf-8"))):
            if not any((base / cited).is_file() for base in (REPO, DOCS)):
                missing.append(f"{source.relative_to(REPO)} cites {cited}")
    assert missing == []


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")) + [REPO / "README.md"], ids=lambda p: p.name)
def test_relative_links_lead_to_files(page: Path) -> None:
    targets = [t for t in _MARKDOWN_LINK.findall(page.read_text(encoding="utf-8")) if "://" not in t]
    assert [t for t in targets if not (page.parent / t).exists()] == []


def test_architecture_is_reachable_from_the_readme_and_the_plugin_guide() -> None:
    assert "(docs/architecture.md)" in (REPO / "README.md").read_text(encoding="utf-8")
    assert "(architecture.md)" in (DOCS / "plugins.md").read_text(encoding="utf-8")


def test_testing_guide_names_only_commands_the_example_has() -> None:
    example_commands = set(re.findall(r'command\(name="([\w-]+)"', (EXAMPLE / "alphapy_greeter" / "cog.py").read_text()))
    guide = (DOCS / "testing.md").read_text(encoding="utf-8")
    named = set(re.findall(r'\.slash\(\w+, "(greet[\w-]*)"', guide))
    assert named and named <= example_commands


# --- the command-group recipe of docs/plugins.md, as written there ------------------------------


class GreeterCog(PluginCog, plugin="greeter"):
    greeter = app_commands.Group(name="greeter", description="Greetings", guild_only=True)

    @greeter.command(name="test", description="Preview the greeting")
    async def test(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Welcome!", ephemeral=True)

    @greeter.command(name="reset", description="Forget who was greeted")
    @staff_only()
    async def reset(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Forgotten.", ephemeral=True)


@hookimpl
def register_cogs(bot: object) -> PluginCog:
    return GreeterCog(bot)  # type: ignore[arg-type]


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, object]]:
    plugin = types.ModuleType("greeter_groups_recipe")
    plugin.register_cogs = register_cogs  # type: ignore[attr-defined]
    return [("greeter", plugin)]


async def test_a_group_in_a_plugin_cog_with_a_staff_only_subcommand(bot, emulator, host, member) -> None:
    assert (await emulator.slash(member, "greeter test")).content == "Welcome!"
    assert (await emulator.slash(member, "greeter reset")).content == "Only staff can use this command."
    assert (await emulator.slash(host, "greeter reset")).content == "Forgotten."

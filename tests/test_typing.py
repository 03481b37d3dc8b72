"""Type checking: mypy --strict holds where pyproject.toml says, and the services a plugin
reaches (from a cog, a component handler, the testing kit) keep their real types.

mypy runs with the repository's cache (``.ci/run`` fills it just before the tests), so
each check costs about a second once the cache is warm.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def mypy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(ROOT / ".mypy_cache"), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_the_public_api_and_the_plugins_pass_mypy_strict() -> None:
    checked = mypy()  # the scope and the rules come from [tool.mypy] in pyproject.toml
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no issues found" in checked.stdout


USES = '''
import discord
from alphapy import AlphapyBot, PluginCog


async def handler(interaction: discord.Interaction) -> None:
    services = AlphapyBot.of(interaction)
    reveal_type(services.db)
    reveal_type(services.settings)
    reveal_type(services.scheduler)
    reveal_type(services.ai)
    reveal_type(services.config)
    reveal_type(services.plugins)
    reveal_type(await services.premium_status(1, 2))


class SomeCog(PluginCog, plugin="some"):
    def bot_of_the_cog(self) -> None:
        reveal_type(self.bot)
'''

EXPECTED = [
    "alphapy.db.pool.Database",
    "alphapy.settings.service.SettingsService",
    "alphapy.scheduler.Scheduler",
    "alphapy.ai.AIClient",
    "alphapy.config.Config",
    "alphapy.plugins.PluginManager",
    "alphapy.premium.PremiumStatus | None",
    "alphapy.bot.AlphapyBot",
]


def test_a_component_handler_and_a_cog_reach_typed_services(tmp_path: Path) -> None:
    uses = tmp_path / "uses.py"
    uses.write_text(USES)
    checked = mypy("--strict", str(uses))
    revealed = re.findall(r'Revealed type is "([^"]+)"', checked.stdout)
    assert revealed == EXPECTED, checked.stdout + checked.stderr


def test_the_readme_test_command_is_what_ci_runs_and_it_type_checks() -> None:
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    readme = (ROOT / "README.md").read_text()
    assert ci_command in readme.splitlines(), "the README's test command and .ci/run's last line differ"
    assert ".venv/bin/ruff check . && .venv/bin/mypy && .venv/bin/pytest" in ci_command

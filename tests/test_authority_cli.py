"""``alphapy settings set`` as the operator: any role the bot can be given, with a note on what it can do.

The command line asks the emulator's REST API (``DISCORD_API_BASE``) about the server, as
it would ask Discord.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import pytest

from alphapy.testing.emulator import P
from tests.conftest import test_plugin


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    return [("hello", test_plugin("hello"))]


@pytest.fixture
def alphapy(migrated_database_url: str, install_test_plugins: Any, emulator: Any, tmp_path: Any) -> Any:
    env = {**os.environ, "DATABASE_URL": migrated_database_url, "ALPHAPY_PLUGINS": "hello",
           "PYTHONPATH": install_test_plugins("hello"), "DISCORD_TOKEN": emulator.token,
           "DISCORD_API_BASE": emulator.api_base}
    env.pop("LOG_LEVEL", None)

    async def run(*args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "alphapy", "settings", *args]
        wanted = {k: v for k, v in {**env, **extra_env}.items() if v}  # "" removes a variable
        # In a thread: the emulator answering the command runs on this test's event loop.
        return await asyncio.to_thread(subprocess.run, command, env=wanted, cwd=tmp_path, capture_output=True,
                                       text=True, timeout=60)

    return run


async def test_the_operator_is_told_what_a_role_can_do(alphapy, emulator, guild) -> None:
    admins = guild.add_role("Admins", permissions=P.ADMINISTRATOR | P.BAN_MEMBERS)
    over = guild.add_role("Over the bot", position=guild.bot_role.position + 1)

    done = await alphapy("set", "--guild", str(guild.id), "hello", "reward_role", str(admins.id))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"hello.reward_role = <@&{admins.id}> (created, history #1)\n"
    assert done.stderr == "note: @Admins has Administrator, Ban Members; everyone I give it to gets that.\n"

    above = await alphapy("set", "--guild", str(guild.id), "hello", "reward_role", f"<@&{over.id}>")
    assert above.returncode == 0, above.stderr
    assert above.stderr == ("note: I cannot give @Over the bot: it must be below my highest role "
                            "(move my role above it in Server Settings → Roles).\n")

    everyone = await alphapy("set", "--guild", str(guild.id), "hello", "reward_role", str(guild.id))
    assert everyone.returncode == 1
    assert everyone.stderr == "alphapy: hello.reward_role: @everyone cannot be given as a role.\n"

    unchecked = await alphapy("set", "--guild", str(guild.id), "hello", "reward_role", str(admins.id),
                              DISCORD_TOKEN="")
    assert unchecked.returncode == 0, unchecked.stderr
    assert unchecked.stderr == "note: DISCORD_TOKEN is not set, so what the role can do was not checked.\n"

    elsewhere = await alphapy("set", "--guild", "4242", "hello", "reward_role", "77")
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert elsewhere.stderr.startswith("note: Discord did not show me server 4242 (")
    assert elsewhere.stderr.endswith("), so what the role can do was not checked.\n")

    plain = await alphapy("set", "--guild", str(guild.id), "hello", "greeting", "Hoi")
    assert plain.returncode == 0 and plain.stderr == ""  # no roles, nothing to say

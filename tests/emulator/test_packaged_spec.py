"""A plugin developed in its own repository gets the full check: the testing kit ships
Discord's OpenAPI description, so its tests fail on a body Discord would refuse, naming
the field and the limit, with ``ALPHAPY_DISCORD_OPENAPI`` unset."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alphapy.testing.emulator.spec import ENV_VAR, PACKAGED_SPEC

PLUGIN_TESTS = '''
import aiohttp

from alphapy.testing.emulator.spec import PACKAGED_SPEC


async def send(emulator, body):
    channel = emulator.add_guild("Plugin").channel("general")
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emulator.token}"}) as http:
        async with http.post(f"{emulator.api_base}/channels/{channel.id}/messages", json=body) as resp:
            return resp.status, await resp.json()


async def test_the_description_is_the_shipped_one(emulator):
    assert emulator.spec is not None and emulator.spec.path == PACKAGED_SPEC


async def test_a_body_only_the_description_refuses(emulator):
    status, answer = await send(emulator, {"content": "hi", "tts": "yes"})
    assert status == 400 and "tts" in answer["errors"]
    emulator.refusals.clear()


async def test_too_long_content_fails_the_plugins_test(emulator):
    await send(emulator, {"content": "x" * 2001})
'''


def test_a_plugin_project_outside_the_repository_gets_the_check(tmp_path: Path) -> None:
    assert PACKAGED_SPEC.is_file() and (PACKAGED_SPEC.parent / "LICENSE").is_file()
    project = tmp_path / "alphapy-plugin-example"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_plugin.py").write_text(PLUGIN_TESTS)
    (project / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\nasyncio_mode = "auto"\nasyncio_default_fixture_loop_scope = "function"\n'
    )
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=300)
    out = done.stdout + done.stderr
    assert "3 passed, 1 error" in out and "ERROR tests/test_plugin.py::test_too_long_content" in out, out[-3000:]
    assert "content: Must be 2000 or fewer in length. (BASE_TYPE_MAX_LENGTH, rule message.content.max_length)" in out

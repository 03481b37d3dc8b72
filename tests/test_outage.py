"""PostgreSQL stopped under a running bot: every interaction still gets a polite answer in
time, failed uses are tracked once the database is back, and nothing prints a raw traceback.

The bot runs against its own embedded PostgreSQL server (a postgres subprocess of this
test, not the session's shared one), which the test stops and starts again.
"""

from __future__ import annotations

import asyncio
import gc
import io
import json
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from alphapy.errors import UNAVAILABLE_MESSAGE
from alphapy.log import configure_logging
from alphapy.testing.bot import running_alphapy
from tests.conftest import test_plugin

OUTAGE_ROUNDS = 5


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_faq import plugin as faq

    return [("hello", test_plugin("hello")), ("faq", faq)]


@pytest.fixture
def own_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A PostgreSQL server for this test alone, so that stopping it harms no other test.

    In its own temporary folder, like the session's server: the server runs as another
    user when tests run as root, and pytest's base folder is private to the test user.
    """
    from alphapy.db.embedded import EmbeddedPostgres

    with tempfile.TemporaryDirectory(prefix="alphapy-outage-") as folder:
        # EmbeddedPostgres sets XDG_RUNTIME_DIR if unset: keep that inside this test.
        monkeypatch.setenv("XDG_RUNTIME_DIR", os.environ.get("XDG_RUNTIME_DIR", str(Path(folder) / "run")))
        server = EmbeddedPostgres(Path(folder))
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def log_events() -> Iterator[Callable[[], list[str]]]:
    """Every line the process logs, raw (each must be a JSON object)."""
    stream = io.StringIO()
    configure_logging("info", "json", stream=stream)
    yield lambda: stream.getvalue().splitlines()
    configure_logging("warning", "json")


def error_id_of(content: str) -> str:
    assert content.startswith(UNAVAILABLE_MESSAGE.split("(")[0]), content
    return content.split("`")[1]


async def test_members_get_an_answer_while_the_database_is_away(
    emulator: Any, guild: Any, host: Any, member: Any, channel: Any, own_server: Any,
    alphapy_plugins: list[tuple[str, Any]], log_events: Callable[[], list[str]], capfd: pytest.CaptureFixture[str],
) -> None:
    url = own_server.start()
    async with running_alphapy(emulator, url, plugins=alphapy_plugins) as runner:
        bot, services = runner.bot, runner.services
        assert bot is not None and services is not None
        assert (await emulator.slash(member, "hello")).content == "Hello, member!"
        waving = await emulator.slash(member, "hello_button")
        form = await emulator.slash(host, "faq add")
        assert form.modal.title == "New FAQ entry"
        await emulator.wait_until(lambda: services.tracker.stats().written == 3)

        own_server.stop()
        await emulator.wait_until(lambda: not bot.settings.listening)  # the outage is noticed

        answers: list[tuple[str, Any, float]] = []

        async def timed(what: str, use: Awaitable[Any]) -> Any:
            started = time.monotonic()
            answer = await use  # the emulator refuses answers after Discord's 3 s
            answers.append((what, answer, time.monotonic() - started))
            return answer

        slash_sent = 0
        for _ in range(OUTAGE_ROUNDS):
            await timed("/hello", emulator.slash(member, "hello"))
            await timed("/hello_admin", emulator.slash(host, "hello_admin"))
            await timed("/faq search", emulator.slash(member, "faq search", query="vpn"))
            await timed("/settings show", emulator.slash(host, "settings show", scope="core"))
            slash_sent += 4
            await timed("Wave button", emulator.click(waving.response, "Wave", by=member))
            await timed("FAQ form", emulator.submit_modal(form, {"Title": "Hours", "Answer": "9 to 5."}))
        choices = await timed("autocomplete", emulator.autocomplete(member, "faq search", focused="query",
                                                                     value="vp"))
        assert choices == []  # autocomplete cannot show a sentence: it offers nothing
        await emulator.post(channel, "hello bot", author=member)  # a gated listener
        assert channel.messages[-1].content == "hello bot"  # no reply, and no crash

        error_ids = set()
        for what, answer, _seconds in answers:
            if what == "autocomplete":
                continue
            assert answer.ephemeral, what
            error_ids.add(error_id_of(answer.content))

        own_server.start()
        await emulator.wait_until(lambda: bot.settings.listening, timeout=30)
        assert await services.tracker.flush() == 0
        assert (await emulator.slash(member, "hello")).content == "Hello, member!"
        rows = await bot.db.fetch("SELECT command_name, success, error_message FROM audit_logs "
                                  "WHERE NOT success ORDER BY id")
        kept = [(r["command_name"], r["error_message"]) for r in rows]

    gc.collect()  # an exception nobody retrieved is reported when its task is collected
    slowest = max(seconds for _what, _answer, seconds in answers)
    with capfd.disabled():
        print(f"\noutage: {len(answers)} answers, slowest {slowest:.3f} s; "
              f"uses kept {len(kept)} of {slash_sent} sent")

    assert len(error_ids) == len(answers) - 1  # one id per answer
    assert len(kept) == slash_sent
    assert {name for name, _error in kept} == {"hello", "hello_admin", "faq search", "settings show"}
    assert all(error == "DatabaseUnavailable" for _name, error in kept)

    lines = log_events()
    events = [json.loads(line) for line in lines]  # every line is structured
    unavailable = [e for e in events if e["event"] == "interaction.database_unavailable"]
    assert len(unavailable) == len(answers)  # the autocomplete's too, though it shows no id
    assert error_ids <= {e["error_id"] for e in unavailable}
    assert all("traceback" not in e and e["level"] == "warning" for e in unavailable)
    listener = [e for e in events if e["event"] == "event.database_unavailable" and e["handler"] == "on_message"]
    assert len(listener) == 1 and listener[0]["error_id"]  # the message, told once
    assert not [e for e in events if "exception" in e or "never retrieved" in e["event"]]
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err and "never retrieved" not in captured.err


@pytest.fixture
def alphapy_config() -> dict[str, Any]:
    return {"db_pool_min_size": 1, "db_pool_max_size": 2}


async def test_a_database_that_does_not_answer_is_not_waited_for(bot: Any, emulator: Any, member: Any) -> None:
    """Every connection busy (a saturated or hanging server): the gate's settings read gives
    up in time and the member is told to try again, instead of Discord's "did not respond"."""
    busy = [await bot.db.pool.acquire() for _ in range(bot.config.db_pool_max_size)]
    try:
        bot.settings.invalidate(member.guild.id)  # the gate must ask the database
        started = time.monotonic()
        reply = await emulator.slash(member, "hello")  # refused by the emulator after 3 s
        print(f"\nbusy database: answered in {time.monotonic() - started:.3f} s")
        assert reply.ephemeral and error_id_of(reply.content)
    finally:
        for conn in busy:
            await bot.db.pool.release(conn)
    assert (await emulator.slash(member, "hello")).content == "Hello, member!"
    await bot.tracker.flush()
    rows = await bot.db.fetch("SELECT command_name, success, error_message FROM audit_logs ORDER BY id")
    assert [tuple(r) for r in rows] == [("hello", False, "DatabaseUnavailable"), ("hello", True, None)]


async def test_a_failed_task_nobody_awaits_is_one_structured_event(
    bot: Any, log_events: Callable[[], list[str]]
) -> None:
    from alphapy.db import DatabaseUnavailable

    async def bug() -> None:
        raise RuntimeError("a task with a bug")

    async def outage() -> None:
        raise DatabaseUnavailable("cannot reach PostgreSQL")

    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(bug(), name="buggy"), loop.create_task(outage(), name="outage")]
    await asyncio.wait(tasks)  # finished, their exceptions never retrieved
    del tasks
    gc.collect()
    events = [json.loads(line) for line in log_events()]
    [failed] = [e for e in events if e["event"] == "asyncio.unhandled_error"]
    assert failed["task"] == "buggy" and failed["error_id"] and failed["level"] == "error"
    assert "RuntimeError: a task with a bug" in failed["traceback"]
    [away] = [e for e in events if e["event"] == "asyncio.database_unavailable"]
    assert away["task"] == "outage" and away["level"] == "warning" and "traceback" not in away
    assert not [e for e in events if "exception" in e]

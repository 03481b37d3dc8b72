"""Playground page latency (issue 19). Prints ``name: value unit`` lines.

A channel holding 500 messages (markdown, mentions, an embed and buttons on every tenth)
is rendered for one visitor, sequentially, and compared with a bare aiohttp handler
answering a few bytes from the same event loop in the same run: the ratio says what the
page itself costs, whatever the machine. The page shows the newest 100 messages, as
Discord's client loads a channel; the ratio is reported for that page and for the live
fragment the page's script fetches.
"""

from __future__ import annotations

import asyncio
import statistics
import time

import aiohttp
from aiohttp import web

from alphapy.testing.emulator import DiscordEmulator
from alphapy.testing.emulator.playground import Playground

MESSAGES = 500
ROUNDS = 60


async def _timed(session: aiohttp.ClientSession, url: str, rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        async with session.get(url) as response:
            await response.read()
            assert response.status == 200, response.status
        timings.append(time.perf_counter() - started)
    return timings


async def _bare_server() -> tuple[web.AppRunner, str]:
    async def hello(_request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/", hello)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}/"


async def run() -> None:
    emu = DiscordEmulator(openapi_spec=False)
    guild = emu.add_guild("Bench", owner_name="owner", members=20, text_channels=["general"])
    channel = guild.channel("general")
    people = [m for m in guild.members.values() if not m.bot]
    await emu.start()
    for index in range(MESSAGES):
        extra = {}
        if index % 10 == 0:
            extra = {"embeds": [{"title": f"Event {index}", "description": "**Bring** `snacks`",
                                 "fields": [{"name": "When", "value": "<t:1767225600:F>", "inline": True}]}],
                     "components": [{"type": 1, "components": [
                         {"type": 2, "style": 1, "label": "Join", "custom_id": f"join:{index}"}]}]}
        author = people[index % len(people)]
        await emu.post(channel, f"message {index} for <@{people[0].id}>: **bold**, *it*, `code` "
                                "and https://example.org", author=author, settle=False, **extra)
    bare, bare_url = await _bare_server()
    async with Playground(emu) as playground, aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        page = f"{playground.url}/g/{guild.id}/c/{channel.id}"
        await _timed(session, page, 5)  # warm: templates compiled, session cookie set
        await _timed(session, bare_url, 5)
        base = statistics.median(await _timed(session, bare_url, ROUNDS))
        for name, url in (("channel_page", page), ("message_fragment", page + "/messages")):
            timings = sorted(await _timed(session, url, ROUNDS))
            p50 = statistics.median(timings)
            p95 = timings[int(len(timings) * 0.95) - 1]
            print(f"{name}_p50: {p50 * 1000:.1f} ms")
            print(f"{name}_p95: {p95 * 1000:.1f} ms")
            print(f"{name}_ratio_to_bare_handler: {p50 / base:.1f} x")
        print(f"bare_handler_p50: {base * 1000:.2f} ms")
        print(f"messages_in_channel: {MESSAGES}")
    await bare.cleanup()
    await emu.stop()


def main() -> None:
    asyncio.run(run())


if __name__ == "__main__":
    main()

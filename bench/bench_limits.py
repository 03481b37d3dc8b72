"""What checking Discord's rules costs the emulator (issue 14: Discord fidelity).

Prints ``name: value unit`` lines:
- ``spec_first_load``: parsing the shipped ``openapi.json`` and building its validators,
  paid once per process on the first request (not at start-up);
- ``limits_per_body``: the documented limits of ``alphapy.discord_rules`` on a large but
  legal message (10 embeds, 25 fields, 5 rows of buttons);
- ``spec_per_body``: the OpenAPI check of the same body, once its validator is built;
- ``send_round_trip``: a channel send over HTTP with both checks, the median of many.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import aiohttp

from alphapy.discord_rules import FormErrors
from alphapy.discord_rules.messages import check_message
from alphapy.testing.emulator import DiscordEmulator
from alphapy.testing.emulator.spec import PACKAGED_SPEC, OpenAPISpec

RUNS = 2000
SENDS = 100


def large_legal_message() -> dict[str, Any]:
    fields = [{"name": f"field {i}", "value": "v" * 20} for i in range(25)]
    embeds = [{"title": "t" * 50, "description": "d" * 200, "fields": fields if i == 0 else []} for i in range(10)]
    rows = [
        {"type": 1, "components": [{"type": 2, "style": 1, "label": "L", "custom_id": f"b{r}-{i}"} for i in range(5)]}
        for r in range(5)
    ]
    return {"content": "c" * 1500, "embeds": embeds, "components": rows}


def per_call(fn: Any, runs: int = RUNS) -> float:
    started = time.perf_counter()
    for _ in range(runs):
        fn()
    return (time.perf_counter() - started) / runs


async def round_trip() -> float:
    body = large_legal_message()
    async with DiscordEmulator() as emu:
        channel = emu.add_guild("Bench").channel("general")
        url = f"{emu.api_base}/channels/{channel.id}/messages"
        async with aiohttp.ClientSession(headers={"Authorization": f"Bot {emu.token}"}) as http:
            times = []
            for _ in range(SENDS):
                started = time.perf_counter()
                async with http.post(url, json=body) as resp:
                    assert resp.status == 200, await resp.text()
                times.append(time.perf_counter() - started)
        assert not emu.refusals
    return statistics.median(times)


def main() -> None:
    started = time.perf_counter()
    spec = OpenAPISpec(PACKAGED_SPEC)
    spec.check_request("POST", "/channels/{channel_id}/messages", {"content": "warm"})
    print(f"spec_first_load: {time.perf_counter() - started:.3f} s")
    body = large_legal_message()
    print(f"limits_per_body: {per_call(lambda: check_message(body, FormErrors())) * 1e6:.0f} us")
    route = "/channels/{channel_id}/messages"
    print(f"spec_per_body: {per_call(lambda: spec.check_request('POST', route, body), 200) * 1e6:.0f} us")
    print(f"send_round_trip: {asyncio.run(round_trip()) * 1e3:.2f} ms")


if __name__ == "__main__":
    main()

"""Red-DiscordBot's Config writing guild values, for ``bench_settings.py --red-venv``.

Runs under the Python of a separate virtual environment with ``Red-DiscordBot[postgres]``
installed (Red pins an older aiohttp than Alphapy): it must not import Alphapy. It
stores Red's data in the PostgreSQL database named by the URL (Red's own schema,
``red_config``), then answers commands on stdin, one per line, ``<writes> <writers>``:
``writes`` ``Config.guild_from_id(g).counter.set(n)`` calls from ``writers`` concurrent
tasks; it prints the seconds they took. An empty line ends it.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from urllib.parse import parse_qs, urlparse

GUILD = 123_456_789_012_345_678


def storage_details(url: str) -> dict[str, object]:
    parts = urlparse(url)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "127.0.0.1"])[0]
    return {"host": host, "port": parts.port or 5432, "user": parts.username or "postgres",
            "password": parts.password or None, "database": parts.path.lstrip("/")}


async def main(url: str) -> None:
    from redbot.core import Config, data_manager
    from redbot.core._drivers.postgres import PostgresDriver

    details = storage_details(url)
    data_manager.basic_config = {"DATA_PATH": tempfile.mkdtemp(prefix="red-bench-"), "COG_PATH_APPEND": "cogs",
                                 "CORE_PATH_APPEND": "core", "STORAGE_TYPE": "Postgres",
                                 "STORAGE_DETAILS": details}
    await PostgresDriver.initialize(**details)
    config = Config.get_conf(None, identifier=20_2026, cog_name="AlphapyBench", force_registration=True)
    config.register_guild(counter=0)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    while True:
        line = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if not line:
            break
        writes, writers = (int(part) for part in line.split())

        async def writer(offset: int, count: int) -> None:
            group = config.guild_from_id(GUILD + offset)
            for n in range(count):
                await group.counter.set(n)

        started = time.perf_counter()
        await asyncio.gather(*(writer(w, writes // writers) for w in range(writers)))
        print(f"{time.perf_counter() - started:.6f}", flush=True)
    await PostgresDriver.teardown()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

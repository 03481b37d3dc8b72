"""Health server figures (issue: core services). Prints ``name: value unit`` lines.

A separate load process (aiohttp client, 32 concurrent connections) calls
``/api/health`` for a few seconds; we report requests per second (target >= 1,500)
and how many history rows were written (target: at most one a minute).
Uses ``TEST_DATABASE_URL`` when set, else an embedded PostgreSQL.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap

from alphapy.config import load_config
from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.plugins import PluginManager
from alphapy.services import Services
from alphapy.testing.database import TestDatabaseServer

SECONDS = 5.0

LOAD = textwrap.dedent("""
    import asyncio, sys, time
    import aiohttp

    async def main(url, seconds, concurrency):
        done = 0
        deadline = time.perf_counter() + seconds
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
            async def worker():
                nonlocal done
                while time.perf_counter() < deadline:
                    async with session.get(url) as response:
                        await response.read()
                        assert response.status == 200, response.status
                    done += 1
            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            print(done / (time.perf_counter() - started))

    asyncio.run(main(sys.argv[1], float(sys.argv[2]), 32))
""")


async def run(url: str, cache_seconds: float) -> None:
    """One load run; ``cache_seconds`` 0 builds a full report (database queries) per call."""
    config = load_config(_env_file=None, database_url=url, health_port=0, log_level="warning",
                         health_cache_seconds=cache_seconds)
    services = Services(config, PluginManager(), url)
    await services.start()
    assert services.health is not None
    await services.db.execute("DELETE FROM health_check_history")
    load = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LOAD, services.health.url + "/api/health", str(SECONDS), stdout=subprocess.PIPE,
    )
    out, _ = await load.communicate()
    rows = await services.db.fetchval("SELECT count(*) FROM health_check_history")
    label = "cached_1s" if cache_seconds else "uncached"
    print(f"health_requests_{label}: {float(out.decode().strip()):.0f} requests/s")
    print(f"health_history_rows_{label}: {rows} rows in {SECONDS:g} s")
    await services.stop()


async def main() -> None:
    configure_logging("warning")
    server = TestDatabaseServer()
    url = server.create_database()
    try:
        MigrationRunner(url, [core_source()]).apply()
        for cache in (1.0, 0.0):
            await run(url, cache)
    finally:
        server.drop_database(url)
        server.close()


if __name__ == "__main__":
    asyncio.run(main())

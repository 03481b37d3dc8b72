"""What every plugin dashboard bench shares: the bot and the dashboard, timing, the figures.

Each ``bench_dashboard_<plugin>.py`` keeps only what is its own (the rows it seeds, the
pages it opens, who opens them); the set-up around it and the way its figures are printed
live here once, so that the benches measure alike and a change to how they measure is
made in one place.

A bench's ``main`` is ``report(await run(plugins, measure), baseline="...")``: ``measure``
gets the URL of a fresh database (the core's and the plugins' migrations applied) and
returns the samples of each page, in milliseconds; :func:`report` prints them as
``dashboard_<page>_p50`` / ``_p95`` lines, each page's p95 also as a ratio of the baseline
page's, opened by the same dashboard in the same run.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from alphapy.db.migrate import MigrationRunner, core_source
from alphapy.log import configure_logging
from alphapy.plugins import PluginManager
from alphapy.runner import BotRunner
from alphapy.testing.bot import running_alphapy
from alphapy.testing.dashboard import DashboardBrowser, running_dashboard
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator import DiscordEmulator

REQUESTS = 300
WARM_UP = 20  # requests per page before the measured ones (caches, plans, connections)

Samples = dict[str, list[float]]
#: how a page's ratio to the baseline is printed: on its own ``_p95_ratio`` line (the baseline's
#: own line too, or ``"lines_but_baseline"``), or ``"inline"`` after the p95 ("1.20x the overview")
RatioStyle = Literal["lines", "lines_but_baseline", "inline"]


def greeter_plugin() -> Any:
    """The worked example's greeter (docs/example, not installed): a plugin page that reads
    one count, the baseline of the benches whose plugin has no page of the core's own to compare with."""
    example = str(Path(__file__).resolve().parents[1] / "docs" / "example" / "alphapy_greeter")
    if example not in sys.path:
        sys.path.insert(0, example)
    from alphapy_greeter import plugin

    return plugin


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def timed(browser: DashboardBrowser, path: str, expect: str, **params: str) -> list[float]:
    """``REQUESTS`` loads of ``path`` (after ``WARM_UP`` unmeasured ones), in ms; every answer
    must be a 200 showing ``expect``, so that a bench never times an error page."""
    samples = []
    for number in range(REQUESTS + WARM_UP):
        started = time.perf_counter()
        page = await browser.get(path, **params)
        elapsed = (time.perf_counter() - started) * 1000
        assert page.status == 200 and expect in page.text, (path, page.status, page.text[:300])
        if number >= WARM_UP:
            samples.append(elapsed)
    return samples


async def timed_in_turn(browser: DashboardBrowser, pages: Mapping[str, tuple[str, str]]) -> Samples:
    """Like :func:`timed` for several pages ``{name: (path, expect)}`` opened in turn, one
    request each per pass, so that every page sees the same machine at the same moment."""
    samples: Samples = {name: [] for name in pages}
    for number in range(REQUESTS + WARM_UP):
        for name, (path, expect) in pages.items():
            started = time.perf_counter()
            page = await browser.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            assert page.status == 200 and expect in page.text, (path, page.status, page.text[:300])
            if number >= WARM_UP:
                samples[name].append(elapsed)
    return samples


@asynccontextmanager
async def bot_and_dashboard(emulator: DiscordEmulator, url: str, plugins: Sequence[tuple[str, Any]],
                            prepare: Callable[[BotRunner], Awaitable[None]] | None = None,
                            ) -> AsyncIterator[tuple[BotRunner, str]]:
    """The emulator started, the real bot with ``plugins`` on ``url``, ``prepare(runner)``
    (settings, seeded rows) and then the dashboard beside the bot; yields the runner and the
    dashboard's URL, and stops all three on exit."""
    await emulator.start()
    try:
        async with running_alphapy(emulator, url, plugins=list(plugins)) as runner:
            if prepare is not None:
                await prepare(runner)
            with tempfile.TemporaryDirectory() as data_dir:
                async with running_dashboard(runner, emulator, Path(data_dir)) as dashboard:
                    yield runner, dashboard
    finally:
        await emulator.stop()


@asynccontextmanager
async def signed_in(dashboard: str, person: Any) -> AsyncIterator[DashboardBrowser]:
    """A browser on ``dashboard`` logged in as ``person`` (an emulator member or user)."""
    async with DashboardBrowser(dashboard) as browser:
        await browser.log_in(person)
        yield browser


async def run(plugins: Sequence[tuple[str, Any]], measure: Callable[[str], Awaitable[Samples]]) -> Samples:
    """``measure(url)`` on a fresh database of an embedded PostgreSQL (``TEST_DATABASE_URL``
    when set) migrated for the core and ``plugins``; the database is dropped afterwards."""
    configure_logging("warning")
    server = TestDatabaseServer()
    manager = PluginManager()
    for name, module in plugins:
        manager.register(module, name)
    url = server.create_database()
    try:
        MigrationRunner(url, [core_source(), *manager.migration_sources()[1:]]).apply()
        return await measure(url)
    finally:
        server.drop_database(url)
        server.close()


def report(found: Samples, baseline: str, *, style: RatioStyle = "lines", baseline_label: str = "the baseline") -> None:
    """Print each page's p50 and p95 and its p95 over the ``baseline`` page's p95."""
    reference = percentile(found[baseline], 0.95)
    for name, samples in found.items():
        p95 = percentile(samples, 0.95)
        print(f"dashboard_{name}_p50: {statistics.median(samples):.1f} ms ({len(samples)} requests)")
        if style == "inline":
            print(f"dashboard_{name}_p95: {p95:.1f} ms ({p95 / reference:.2f}x {baseline_label})")
            continue
        print(f"dashboard_{name}_p95: {p95:.1f} ms")
        if style == "lines" or name != baseline:
            print(f"dashboard_{name}_p95_ratio: {p95 / reference:.2f} x {baseline_label}")

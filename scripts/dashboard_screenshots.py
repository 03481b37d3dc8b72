"""Write the README's dashboard screenshots: every page of the host's flow, light and dark,
at a desktop and a phone width, as ``docs/images/dashboard-<page>-<theme>-<device>.png``.

Runs offline like ``alphapy demo`` (embedded PostgreSQL in a temporary folder, the Discord
emulator, the bot with every installed plugin) and drives Debian's Chromium through the
testing kit's browser, so each page is also checked as the browser tests check it (no
inline script, no CSP violation, a label on every control). A little history is made
first (the timezone set, a plugin switched off) so the pages show something. A long page
is shown from its top (``MAX_HEIGHT``); the tests keep whole pages.

    .venv/bin/python scripts/dashboard_screenshots.py [--out docs/images]

Each file must stay under 150 KB (the README loads them all); the script fails otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alphapy.config import load_config
from alphapy.dashboard.server import DashboardServer, options_from
from alphapy.demo import build_demo_guild
from alphapy.plugin_switch import switch_plugin
from alphapy.runner import BotRunner
from alphapy.runtime import prepare
from alphapy.testing import ChromiumProcess, DashboardFlow, DiscordEmulator, find_chromium, open_browser_page
from alphapy.testing.browser import DESKTOP, NO_CHROMIUM, PHONE

if TYPE_CHECKING:
    from playwright.async_api import Page

REPO = Path(__file__).resolve().parent.parent
MAX_BYTES = 150 * 1024
THEMES = ("light", "dark")
DEVICES = {"desktop": (DESKTOP, 1), "phone": (PHONE, 2)}  # viewport, device pixel ratio
SWITCHED_OFF = "faq"
#: The server menu's pages to show, when the dashboard has them.
MENU = ("Settings", "History", "Premium", "Your premium")
#: A long page (the settings) is shown down to this many CSS pixels: a README image is a
#: look at the page, and a whole long page at a phone's pixel ratio is megabytes.
MAX_HEIGHT = {"desktop": 1100, "phone": 640}  # a phone shot is the first screenful (at 2x it must stay < 150 KB)


#: slash commands the host and a member use before the shots, so the overview charts real usage
USED = (("host", "plugins list"), ("host", "settings history"), ("host", "reminder list"), ("member", "premium"),
        ("host", "ticket stats"), ("host", "ticket list"), ("member", "premium"), ("host", "plugins list"))


async def make_history(runner: BotRunner, emulator: DiscordEmulator, guild: Any, host: Any) -> None:
    """A timezone change and a plugin switched off, by the host, for the history page; a few
    commands used in Discord and a health report, for the overview."""
    services = runner.services
    if services is None:
        raise RuntimeError("the bot has not started")
    await services.settings.set(guild.id, "core", "timezone", "Europe/Amsterdam", changed_by=host.id)
    if SWITCHED_OFF in services.plugins.loaded:
        await switch_plugin(services.settings, services.plugins, guild.id, SWITCHED_OFF, False, changed_by=host.id)
    synced = {command.name for command in emulator.state.application.all_commands()}
    for who, command in USED:
        if command.split()[0] in synced:  # a plugin left out of this run has no commands
            await emulator.slash(guild.member(who), command)
    await services.tracker.flush()
    if services.health is not None:
        await services.health.record()


async def host_pages(flow: DashboardFlow, guild: Any, host: Any) -> AsyncIterator[str]:
    """The host's flow: the picker, the overview, then each page of the server's menu that
    this dashboard has; each page's name once it is shown."""
    await flow.log_in(host)
    yield "servers"
    await flow.open_server(guild.name)
    yield "overview"
    overview = flow.page.url
    for entry in MENU:
        if await flow.page.get_by_role("link", name=entry, exact=True).count():
            await flow.open(entry)
            yield entry.lower().replace(" ", "")
            await flow.page.goto(overview)


async def top_of_page(page: Page, target: Path, max_height: int) -> None:
    """The page down to ``max_height`` CSS pixels (all of it when shorter)."""
    height = int(await page.evaluate("document.documentElement.scrollHeight"))
    width = int(await page.evaluate("document.documentElement.clientWidth"))
    await page.screenshot(path=str(target), full_page=True,
                          clip={"x": 0, "y": 0, "width": width, "height": min(height, max_height)})


async def shoot(endpoint: str, dashboard: str, guild: Any, host: Any, out: Path, scratch: Path) -> list[Path]:
    """The host's flow once per device, each page shot in every theme; the files written."""
    written: list[Path] = []
    for device, (viewport, scale) in DEVICES.items():
        async with open_browser_page(endpoint, scratch / device, viewport=viewport,
                                     device_scale_factor=scale) as browser:
            async for page in host_pages(DashboardFlow(browser, dashboard), guild, host):
                for theme in THEMES:
                    # The theme is a media feature: switching it restyles the page in place.
                    await browser.page.emulate_media(color_scheme=theme)  # type: ignore[arg-type]
                    await browser.check(f"{page} {theme}")  # the page is checked in each theme too
                    target = out / f"dashboard-{page}-{theme}-{device}.png"
                    await top_of_page(browser.page, target, MAX_HEIGHT[device])
                    written.append(target)
                await browser.page.emulate_media(color_scheme=THEMES[0])  # type: ignore[arg-type]
    return written


async def write_screenshots(out: Path, chromium_endpoint: str, scratch: Path,
                            database_url: str | None = None) -> list[Path]:
    """Run the bot, the emulator and the dashboard, and shoot every page into ``out``.

    Without ``database_url`` an embedded PostgreSQL starts in ``scratch``; the tests give
    theirs (and their Chromium), so checking this script costs no second server.
    """
    out.mkdir(parents=True, exist_ok=True)
    config = load_config(_env_file=None, database_url=database_url, alphapy_data_dir=scratch, discord_token=None,
                         health_port=0, health_host="127.0.0.1", dashboard_port=0, log_level="warning")
    runtime = prepare(config, log_level="warning")
    emulator = DiscordEmulator()
    await emulator.start()
    guild: Any = build_demo_guild(emulator)
    host = guild.member("host")
    runner = BotRunner(runtime, emulator=emulator, guild_ready_timeout=0.1)
    dashboard: DashboardServer | None = None
    try:
        await runner.start()
        await make_history(runner, emulator, guild, host)
        dashboard = DashboardServer(config, options_from(config, runner.services, emulator=emulator))
        url = await dashboard.start()
        return await shoot(chromium_endpoint, url, guild, host, out, scratch / "shots")
    finally:
        if dashboard is not None:
            await dashboard.stop()
        await runner.stop()
        await emulator.stop()
        runtime.close()


async def main(out: Path) -> int:
    chromium = find_chromium()
    if chromium is None:
        print(NO_CHROMIUM, file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="alphapy-screenshots-") as folder, ChromiumProcess(chromium) as browser:
        written = await write_screenshots(out, browser.endpoint, Path(folder))
    too_big = [p for p in written if p.stat().st_size > MAX_BYTES]
    for path in written:
        print(f"{path.relative_to(REPO) if path.is_relative_to(REPO) else path}: {path.stat().st_size // 1024} KB")
    if too_big:
        print(f"over {MAX_BYTES // 1024} KB: {', '.join(p.name for p in too_big)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "images", help="where the PNG files go")
    sys.exit(asyncio.run(main(parser.parse_args().out)))

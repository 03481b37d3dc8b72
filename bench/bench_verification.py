"""Verification figures (issue 10). Prints ``name: value unit`` lines.

- ``screenshot_check_phone_png_p50`` / ``_p95``: vetting one 1080 x 2400 PNG phone
  screenshot (magic bytes, full decode, 256-bit dHash, the re-encoded copy for the model);
  ``screenshot_check_photo_jpeg_p50``: the same for a 4000 x 3000 JPEG photo (scaled to
  2048 px for the model). Runs in a worker thread in the bot, off the event loop.
- ``sanitize_reason_p50``: the personal-data removal (``alphapy.personal_data.one_line``) on a 300-character reason full of card numbers,
  IBANs, e-mail addresses, phone numbers, names and order ids.
- ``duplicate_lookup_10k_p50`` / ``duplicate_lookup_100k_p50``: the near-duplicate query
  (Hamming distance on ``BIT(256)`` in SQL) over 10,000 and 100,000 hashes of one guild.
- ``upload_to_verified_p50`` / ``_p95``: a member's upload in the emulator to the bot's
  "you are verified" message, through the real bot, a real PostgreSQL and the fake AI
  server (auto mode: download, vetting, hash lookup, model call, role, messages).
The machine is shared: read the figures as orders of magnitude.
"""

from __future__ import annotations

import asyncio
import io
import random
import statistics
import time
from typing import Any

from alphapy_verification import plugin, store
from alphapy_verification.images import check_screenshot
from PIL import Image, ImageDraw

from alphapy.db import Database
from alphapy.log import configure_logging
from alphapy.personal_data import one_line
from alphapy.plugins import PluginManager
from alphapy.testing.bot import running_alphapy
from alphapy.testing.database import TestDatabaseServer
from alphapy.testing.emulator import DiscordEmulator
from alphapy.testing.fake_ai import FakeAI

UPLOADS = 60
WARM_UP = 10
REASON = ("Paid with card 4111 1111 1111 1111 by Account holder: Jan de Vries (jan@example.com, +31 6 12345678), "
          "IBAN NL91 ABNA 0417 1643 00, Order ID: A-99812-XZ, on 2024-05-01 for 49.99 EUR; receipt from Shop Y "
          "for Gold, mailed to shop@example.nl, call (415) 555-2671.")


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def screenshot(seed: int, size: tuple[int, int], fmt: str) -> bytes:
    rng = random.Random(seed)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0], size[1] // 10), fill=(rng.randrange(256), 90, 160))
    for y in range(size[1] // 8, size[1] - 60, 60):
        width = rng.randrange(size[0] // 5, size[0] * 4 // 5)
        draw.rectangle((40, y, 40 + width, y + 24), fill=(40, 40, 40))
        draw.text((60 + width, y), str(rng.randrange(10**6)), fill=(0, 0, 0))
    out = io.BytesIO()
    image.save(out, format=fmt, **({"quality": 88} if fmt == "JPEG" else {}))
    return out.getvalue()


def timed(fn: Any, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def local_figures() -> None:
    phone = screenshot(1, (1080, 2400), "PNG")
    photo = screenshot(2, (4000, 3000), "JPEG")
    limit = 20 * 1024 * 1024
    png = timed(lambda: check_screenshot(phone, limit), 20)
    print(f"screenshot_check_phone_png_p50: {statistics.median(png):.1f} ms ({len(phone) // 1024} KB file)")
    print(f"screenshot_check_phone_png_p95: {percentile(png, 0.95):.1f} ms")
    jpeg = timed(lambda: check_screenshot(photo, limit), 10)
    print(f"screenshot_check_photo_jpeg_p50: {statistics.median(jpeg):.1f} ms ({len(photo) // 1024} KB file)")
    clean = timed(lambda: one_line(REASON), 500)
    print(f"sanitize_reason_p50: {statistics.median(clean) * 1000:.0f} us")


async def duplicate_lookups(url: str) -> None:
    guild = 1 << 42
    rng = random.Random(3)
    async with Database(url, min_size=1, max_size=2, tracker_size=1) as db:
        inserted = 0
        for total in (10_000, 100_000):
            rows = [(guild, 1000 + n % 5000, None, store.as_bits(rng.getrandbits(256))) for n in range(total - inserted)]
            async with db.acquire() as conn:
                await conn.copy_records_to_table("verification_image_hashes", records=rows,
                                                 columns=["guild_id", "user_id", "ticket_id", "dhash"])
                await conn.execute("ANALYZE verification_image_hashes")
            inserted = total
            samples = []
            for _ in range(20):
                probe = rng.getrandbits(256)
                started = time.perf_counter()
                async with db.acquire() as conn:
                    await store.near_duplicate(conn, guild, 1, probe, 25)
                samples.append((time.perf_counter() - started) * 1000)
            print(f"duplicate_lookup_{total // 1000}k_p50: {statistics.median(samples):.1f} ms")


async def uploads(url: str) -> None:
    emulator = DiscordEmulator(openapi_spec=None, timeout=30)
    guild = emulator.add_guild("Shop", members=0)
    verified = guild.add_role("Verified")
    staff = guild.add_role("Staff")
    members = [guild.add_member(f"buyer{n}") for n in range(UPLOADS + WARM_UP)]
    images = [screenshot(100 + n, (720, 1280), "PNG") for n in range(len(members))]
    await emulator.start()
    samples: list[float] = []
    try:
        async with FakeAI() as fake, running_alphapy(emulator, url, plugins=[("verification", plugin)],
                                                     **fake.config_overrides()) as runner:
            bot = runner.bot
            for key, value in (("verified_role", verified.id), ("staff_role", staff.id), ("mode", "auto"),
                               ("close_delay_seconds", 3600)):
                await bot.settings.set(guild.id, "verification", key, value)
            fake.reply_with(lambda _request: {"can_verify": True, "needs_manual_review": False,
                                              "reason": "A paid receipt."}, times=None)
            for number, (member, data) in enumerate(zip(members, images, strict=True)):
                await emulator.slash(member, "verify")
                room = guild.channel(f"verify-buyer{number}")
                started = time.perf_counter()
                await emulator.post(room, "", author=member, attachments=[("r.png", data, "image/png")], settle=False)
                await emulator.wait_until(lambda r=room: any(m.content.startswith("✅") for m in r.messages),
                                          timeout=30)
                elapsed = (time.perf_counter() - started) * 1000
                assert member.has_role("Verified")
                if number >= WARM_UP:
                    samples.append(elapsed)
    finally:
        await emulator.stop()
    print(f"upload_to_verified_p50: {statistics.median(samples):.1f} ms")
    print(f"upload_to_verified_p95: {percentile(samples, 0.95):.1f} ms")


async def main() -> None:
    configure_logging("warning", "json")
    local_figures()
    server = TestDatabaseServer()
    try:
        manager = PluginManager()
        manager.register(plugin, "verification")
        url = server.migrated_database(manager.migration_sources())
        await duplicate_lookups(url)
        url = server.migrated_database(manager.migration_sources())
        await uploads(url)
    finally:
        server.close()


if __name__ == "__main__":
    asyncio.run(main())

"""More plugins in the playground, in Chromium: an FAQ entry added through its form and
found by a member, a verification screenshot uploaded from the page, a premium status."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw

from .test_playground_browser import become, page, press, shoot, use_command

__all__ = ["page"]  # the browser page fixture, shared with the first module


@pytest.fixture
def alphapy_plugins() -> list[tuple[str, Any]]:
    from alphapy_faq import plugin as faq
    from alphapy_premium import plugin as premium
    from alphapy_verification import plugin as verification

    return [("faq", faq), ("premium", premium), ("verification", verification)]


@pytest.fixture(autouse=True)
def no_premium_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer's PREMIUM_* variables or .env reach the premium plugin."""
    import os

    for key in [k for k in os.environ if k.upper().startswith("PREMIUM_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def screenshot_png() -> bytes:
    """A small receipt-like PNG, as a member would upload."""
    image = Image.new("RGB", (360, 480), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 360, 60), fill=(88, 101, 242))
    for row in range(8):
        draw.rectangle((24, 90 + row * 40, 24 + 30 * (row + 3), 106 + row * 40), fill=(40, 40, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


async def test_a_host_adds_an_faq_entry_through_its_form_and_a_member_finds_it(page: Any, guild: Any,
                                                                               screenshots: Path) -> None:
    await page.goto(f"/g/{guild.id}")
    await become(page, "host (host)")
    await use_command(page, "faq add")
    await page.get_by_label("Title").fill("Opening hours")
    await page.get_by_label("Keywords (comma-separated)").fill("hours, open")
    await page.get_by_label("Answer").fill("We are open from **10 to 6**, every day.")
    async with page.expect_navigation():
        await page.click("text=Submit")
    await become(page, "member (member)")
    await use_command(page, "faq search", query="opening")
    await page.locator("article.message.ephemeral", has_text="10 to 6").wait_for()
    await shoot(page, screenshots, "faq")


async def test_a_member_uploads_a_verification_screenshot_from_the_page(page: Any, bot: Any, guild: Any,
                                                                        emulator: Any, screenshots: Path) -> None:
    staff = guild.add_role("Staff")
    verified = guild.add_role("Verified")
    guild.add_member("sam", roles=[staff])
    await emulator.settle()
    for key, value in {"staff_role": staff.id, "verified_role": verified.id, "mode": "manual"}.items():
        await bot.settings.set(guild.id, "verification", key, value)
    await page.goto(f"/g/{guild.id}")
    await become(page, "member (member)")
    await use_command(page, "verify")
    room = await emulator.wait_until(lambda: [c for c in guild.channels.values() if (c.name or "").startswith("verify")])
    await page.goto(f"/g/{guild.id}/c/{room[0].id}")
    await page.set_input_files("input[name=file]", files=[{"name": "receipt.png", "mimeType": "image/png",
                                                           "buffer": screenshot_png()}])
    async with page.expect_navigation():
        await page.click("form.composer button[type=submit]")
    await page.locator("article.message img.attachment").first.wait_for()
    await become(page, "sam (member)")
    await page.goto(f"/g/{guild.id}/c/{room[0].id}")
    await press(page, "Approve")
    member = guild.member("member")
    await emulator.wait_until(lambda: member.has_role("Verified"))
    await shoot(page, screenshots, "verification")


async def test_a_member_asks_for_their_premium_status(page: Any, guild: Any, screenshots: Path) -> None:
    await page.goto(f"/g/{guild.id}")
    await become(page, "member (member)")
    await use_command(page, "premium")
    await page.locator("article.message.ephemeral").last.wait_for()
    await shoot(page, screenshots, "premium")

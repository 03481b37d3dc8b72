"""Plugins working together only through the core: hooks and services, never imports.

- tickets -> faq: three closed, AI-summarised tickets on one topic become an FAQ proposal,
  which a host turns into an entry that members then find;
- premium -> reminders: an operator's grant on the command line switches on a reminder's
  image (asked through the core's premium hook); a revoke switches it off again without
  losing it.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Any

import pytest


def plugin(name: str) -> Any:
    from importlib import import_module

    return import_module(f"alphapy_{name}.plugin")


# --- tickets and faq -------------------------------------------------------------------------

class TestTicketsBecomeFaq:
    @pytest.fixture
    def alphapy_plugins(self) -> list[tuple[str, Any]]:
        return [("faq", plugin("faq")), ("tickets", plugin("tickets"))]

    @pytest.fixture
    def alphapy_config(self, fake_ai: Any) -> dict[str, Any]:
        return {**fake_ai.config_overrides(), "openai_timeout": 5}

    def test_faq_implements_the_hook_tickets_declares_whichever_registers_first(self, plugin_manager) -> None:
        """FAQ's name sorts first: its implementation is registered before tickets declares
        ``ticket_summarized``, which then checks it; both load."""
        from alphapy.plugin_checks import check_plugins

        check_plugins(plugin_manager, log_failures=False)
        assert plugin_manager.loaded == ["faq", "tickets"]
        caller = plugin_manager.pm.hook.ticket_summarized
        assert caller.spec is not None and caller.spec.namespace is plugin("tickets").alphapy_hookspecs
        assert [impl.plugin_name for impl in caller.get_hookimpls()] == ["faq"]

    async def test_three_closed_tickets_become_an_faq_entry(self, bot, emulator, guild, host, fake_ai) -> None:
        def answer(request: Any) -> dict[str, Any]:
            properties = request.schema.get("properties", {}) if request.schema else {}
            if "similarity_key" in properties:  # the tickets plugin summarising a ticket
                return {"summary": "The member could not log in; a password reset fixed it.",
                        "similarity_key": "password reset"}
            return {"title": "I cannot log in", "keywords": ["login", "password"],
                    "answer": "Reset your password from the login page, then sign in again."}

        fake_ai.reply_with(answer, times=None)
        staff_role = guild.add_role("Support")
        staff = guild.add_member("sam", roles=[staff_role])
        category = guild.add_category("Tickets")
        log = guild.add_text_channel("ticket-log")
        await emulator.settle()
        for key, value in {"category": category.id, "staff_role": staff_role.id, "log_channel": log.id,
                           "cooldown_minutes": 0, "ai_summaries": True}.items():
            await bot.settings.set(guild.id, "tickets", key, value)
        await bot.settings.set(guild.id, "faq", "proposals_channel", guild.channel("staff-room").id)

        for number in range(3):
            person = guild.add_member(f"customer{number}")
            await emulator.settle()
            opened = await emulator.slash(person, "ticket open", description="I cannot log in to my account")
            ticket_id = int(re.search(r"#(\d+)", opened.content)[1])  # type: ignore[index]
            control = guild.channel(f"ticket-{ticket_id}").messages[0]
            await emulator.click(control, "Claim", by=staff)
            confirm = await emulator.click(control, "Close", by=staff)
            await emulator.click(confirm, "Yes, close it", by=staff)

        staff_room = guild.channel("staff-room")
        proposal = await emulator.wait_until(lambda: staff_room.messages and staff_room.messages[-1], timeout=15)
        assert proposal.embed["title"] == "FAQ proposal" and "Add to FAQ" in proposal.button_labels
        assert "password reset" in proposal.embed["description"]
        assert await bot.db.fetchval("SELECT count(*) FROM ticket_summaries") == 3

        # The proposal is posted first and drafted by the AI right after: wait for the draft.
        await emulator.wait_until(lambda: bot.db.fetchval("SELECT draft_title IS NOT NULL FROM faq_proposals"))
        form = await emulator.click(proposal, "Add to FAQ", by=host)
        assert form.modal.field("Title").value == "I cannot log in"
        await emulator.submit_modal(form, {})
        found = await emulator.slash(guild.member("member"), "faq search", query="password login")
        assert "I cannot log in" in str(found.embeds)


# --- premium and reminders --------------------------------------------------------------------

class TestPremiumSwitchesReminderImages:
    @pytest.fixture
    def alphapy_plugins(self) -> list[tuple[str, Any]]:
        return [("premium", plugin("premium")), ("reminders", plugin("reminders"))]

    def operator(self, url: str, *args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DATABASE_URL": url, "ALPHAPY_PLUGINS": "premium,reminders"}
        for name in ("PREMIUM_API_URL", "PREMIUM_SKU_IDS"):
            env.pop(name, None)
        done = subprocess.run([sys.executable, "-m", "alphapy", "premium", *args], env=env,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done

    async def test_grant_and_revoke_on_the_command_line(self, bot, bot_runner, emulator, guild, host, channel,
                                                       migrated_database_url) -> None:
        options = {"name": "Raid night", "channel": channel, "days": "mon", "time": "19:00",
                   "message": "Raid at 20:00", "image_url": "https://cdn.example.org/raid.png"}
        refused = await emulator.slash(host, "reminder add", **options)
        assert refused.content.startswith("Images on reminders are a premium feature.")

        self.operator(migrated_database_url, "grant", "--user", str(host.id), "--guild", str(guild.id),
                      "--tier", "lifetime")
        saved = await emulator.slash(host, "reminder add", **options)
        assert saved.content.startswith("Saved reminder")
        preview = await emulator.slash(host, "reminder test", reminder=1)
        assert preview.embed["image"]["url"] == "https://cdn.example.org/raid.png"

        self.operator(migrated_database_url, "revoke", "--user", str(host.id))
        plain = await emulator.slash(host, "reminder test", reminder=1)
        assert "image" not in plain.embed  # premium lapsed: the image is not shown ...
        kept = await bot.db.fetchval("SELECT image_url FROM reminders WHERE id = 1")
        assert kept == "https://cdn.example.org/raid.png"  # ... but nothing the guild made is lost

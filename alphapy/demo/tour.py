"""The scripted tour of ``alphapy demo``: people act, the bot answers, checks are counted.

Each chapter is an ``async def steps(t)`` that acts through :class:`TourContext` like
the people of the demo guild would. Every action and every message the bot wrote in
answer is printed as a readable transcript; ``t.expect`` records a check. A chapter that
raises or fails a check does not stop the others; the demo's exit code tells.
"""

from __future__ import annotations

import io
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from alphapy.redaction import redact_text

Steps = Callable[["TourContext"], Awaitable[None]]


class CheckFailed(AssertionError):
    """A chapter's expectation did not hold."""


@dataclass
class Chapter:
    title: str
    steps: Steps
    plugin: str | None = None


@dataclass
class Tour:
    """What ``register_demo(tour)`` receives: ``tour.chapter(title, steps)``."""

    chapters: list[Chapter] = field(default_factory=list)
    _plugin: str | None = None

    def chapter(self, title: str, steps: Steps) -> None:
        self.chapters.append(Chapter(title, steps, self._plugin))

    def for_plugin(self, plugin: str) -> Tour:
        """The tour as one plugin's ``register_demo`` sees it: its chapters are marked as its own."""
        return Tour(self.chapters, plugin)


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class TourContext:
    """The demo guild's people and the bot, with every exchange written to the transcript."""

    def __init__(self, emulator: Any, guild: Any, bot: Any, out: TextIO, fake_ai: Any = None) -> None:
        self.emulator = emulator
        self.guild = guild
        self.bot = bot
        self.fake_ai = fake_ai
        self.out = out
        self.host = guild.member("host")
        self.member = guild.member("member")
        self.channel = guild.channel("general")
        self.passed = 0
        self.failed: list[str] = []

    # --- transcript ---------------------------------------------------------------------
    def say(self, text: str) -> None:
        """Narration between the exchanges."""
        self.out.write(f"  · {text}\n")

    def _line(self, who: str, arrow: str, text: str) -> None:
        self.out.write(f"  {who:<10.10} {arrow} {text}\n")

    def _show_message(self, message: Any, prefix: str = "") -> None:
        parts = []
        if message.content:
            parts.append(_short(message.content))
        for embed in message.embeds:
            title = embed.get("title") or ""
            description = embed.get("description") or ""
            fields = "; ".join(f"{f.get('name')}: {f.get('value')}" for f in embed.get("fields", [])[:4])
            parts.append("[" + _short(" — ".join(p for p in (title, description, fields) if p), 200) + "]")
        labels = [b.get("label") for b in message.buttons if b.get("label")]
        if labels:
            parts.append(" ".join(f"({label})" for label in labels))
        if message.attachments:
            parts.append(" ".join(f"📎{a.filename}" for a in message.attachments))
        self._line(self.bot.user.name if self.bot.user else "bot", "▹", prefix + (" ".join(parts) or "(empty)"))

    def _snapshot(self) -> dict[int, int]:
        return {cid: len(ch.messages) for cid, ch in self.emulator.state.channels.items()}

    def _show_new(self, before: dict[int, int], skip: set[int]) -> None:
        bot_id = self.emulator.bot_user.id
        for cid, channel in self.emulator.state.channels.items():
            for message in channel.messages[before.get(cid, 0):]:
                if message.author.id == bot_id and message.id not in skip:
                    where = f"#{channel.name}" if channel.name else "DM"
                    self._show_message(message, f"in {where}: ")

    async def _act(self, who: Any, described: str, action: Awaitable[Any],
                   until: Callable[[], Any] | None = None) -> Any:
        self._line(who.name if hasattr(who, "name") else str(who), "▸", described)
        before = self._snapshot()
        result = await action
        if until is not None:  # the bot answers after slower work (parsing, AI): wait for it
            await self.emulator.wait_until(until, timeout=15)
        await self.emulator.settle()
        shown: set[int] = set()
        response = getattr(result, "response", None)
        if response is not None:
            shown.add(response.id)
            self._show_message(response, f"(only {who.name} sees this) " if response.ephemeral else "")
        elif getattr(result, "modal", None) is not None:
            self._line("", "▹", f"opens a form: {result.modal.title}")
        self._show_new(before, shown)
        return result

    # --- acting -------------------------------------------------------------------------
    async def slash(self, who: Any, command: str, **options: Any) -> Any:
        shown = " ".join(f"{k}:{_short(str(getattr(v, 'name', v)), 60)}" for k, v in options.items())
        return await self._act(who, f"/{command} {shown}".rstrip(),
                               self.emulator.slash(who, command, **options))

    async def click(self, who: Any, message: Any, label: str) -> Any:
        return await self._act(who, f"clicks [{label}]", self.emulator.click(message, label, by=who))

    async def select(self, who: Any, message: Any, values: Any, **kwargs: Any) -> Any:
        return await self._act(who, f"picks {values}", self.emulator.select(message, values, by=who, **kwargs))

    async def submit_modal(self, who: Any, result: Any, values: dict[str, Any]) -> Any:
        shown = ", ".join(f"{k}={_short(str(v), 40)!r}" for k, v in values.items())
        return await self._act(who, f"fills in the form: {shown}",
                               self.emulator.submit_modal(result, values, by=who))

    async def post(self, who: Any, content: str = "", *, until: Callable[[], Any] | None = None,
                   **kwargs: Any) -> Any:
        """``who`` posts in ``channel`` (default #general); ``until`` is a predicate to wait
        for before showing what the bot did, when it answers after slow work."""
        channel = kwargs.pop("channel", self.channel)
        extra = ""
        for embed in kwargs.get("embeds") or []:
            data = embed.to_dict() if hasattr(embed, "to_dict") else embed
            shown = " — ".join(p for p in (data.get("title"), data.get("description")) if p)
            extra += f" [{_short(shown, 120)}]"
        return await self._act(who, f"writes in #{channel.name}: {_short(content, 100)!r}{extra}",
                               self.emulator.post(channel, content, author=who, **kwargs), until)

    def show(self, message: Any, where: str = "") -> None:
        """Print a message the bot wrote outside an exchange (a scheduled post, say)."""
        self._show_message(message, f"in {where}: " if where else "")

    async def member_join(self, name: str, **kwargs: Any) -> Any:
        self._line(name, "▸", "joins the server")
        before = self._snapshot()
        member = await self.emulator.member_join(self.guild, name, **kwargs)
        await self.emulator.settle()
        self._show_new(before, set())
        return member

    # --- checking -----------------------------------------------------------------------
    def expect(self, ok: Any, what: str) -> None:
        """Record a check; a failed one is printed and counted, the chapter goes on."""
        if ok:
            self.passed += 1
            self.out.write(f"    ✓ {what}\n")
        else:
            self.failed.append(what)
            self.out.write(f"    ✗ {what}\n")


async def run_tour(tour: Tour, context: TourContext) -> bool:
    """Every chapter in order; True when every check passed and no chapter crashed."""
    started = time.perf_counter()
    for chapter in tour.chapters:
        owner = f" ({chapter.plugin})" if chapter.plugin else ""
        context.out.write(f"\n━━ {chapter.title}{owner} ━━\n")
        try:
            await chapter.steps(context)
        except Exception as exc:  # a broken chapter is a failed demo, not a crash
            error = redact_text(f"{type(exc).__name__}: {exc}")
            context.failed.append(f"{chapter.title}: {error}")
            context.out.write(f"    ✗ the chapter stopped: {_short(error, 300)}\n")
            sys.stderr.write(redact_text("".join(traceback.format_exception(exc))))
    elapsed = time.perf_counter() - started
    total = context.passed + len(context.failed)
    context.out.write(f"\n{context.passed} of {total} checks passed in {elapsed:.1f} s"
                      f"{'' if not context.failed else ' — failed: ' + '; '.join(context.failed)}\n")
    return not context.failed


async def run_steps_alone(steps: Steps, emulator: Any, guild: Any, bot: Any,
                          fake_ai: Any = None) -> tuple[TourContext, str]:
    """One chapter's steps outside the tour with no quiet period; returns the context and transcript.

    A loaded machine makes the bot answer later than the emulator's quiet period, after
    which ``settle()`` returns. A quiet period of zero is that machine at its worst, so a
    chapter that passes here waits for what it checks, never for a fixed time.
    """
    await emulator.settle()
    emulator.quiet_period = 0.0
    out = io.StringIO()
    context = TourContext(emulator, guild, bot, out, fake_ai)
    await steps(context)
    return context, out.getvalue()

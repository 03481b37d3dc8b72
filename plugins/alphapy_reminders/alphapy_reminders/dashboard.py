"""The reminders plugin's dashboard page: the server's reminders in a table, for its staff.

Staff (Manage Server, ``core.staff_role`` or ``reminders.staff_role``, as for ``/reminder``)
filter the table, add a recurring reminder and pause, resume or delete one. Each calls the
same functions in :mod:`.actions` and :mod:`.inputs` as the slash command, so the rules and
the refusal sentences are the same; the page writes them without Discord's markdown.

Adding judges the channel, the mention and the person's permissions in the bot's view of
Discord, as ``/reminder add`` does, so it needs the bot running beside the dashboard
(``alphapy run``); the dashboard alone shows the table and says so.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib.resources import files
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import discord
from aiohttp import web

from alphapy import DashboardPages, PageContext, UserError, has_premium, utcnow
from alphapy_reminders import actions, clock, days as weekdays, store
from alphapy_reminders.inputs import checked_days, checked_image_url, checked_message, checked_name, checked_time
from alphapy_reminders.render import KeptImage, render

T = TypeVar("T")
PAGE_SIZE = 50
LARGEST_ID = 2_147_483_647
"""Reminder numbers are PostgreSQL ``integer``s, as the slash commands' ``reminder`` option."""
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The form's weekday toggles post their index; the names are what ``/reminder add`` reads."""
NO_BOT = "Adding reminders from the dashboard needs the bot running beside it; use /reminder add in Discord."
NOT_A_MEMBER = "You are no longer a member of this server, so you cannot schedule reminders in it."


def register(pages: DashboardPages) -> None:
    pages.templates(files(__package__) / "templates")
    pages.server_page("", reminders_page, title="Reminders", access="staff")
    pages.server_page("add", add, access="staff", methods=("POST",))
    pages.server_page("{reminder_id}/test", preview, access="staff")
    pages.server_page("{reminder_id}/edit", edit_page, access="staff")
    pages.server_page("{reminder_id}/edit", save, access="staff", methods=("POST",))
    for action in ("pause", "resume", "delete"):
        pages.server_page(f"{{reminder_id}}/{action}", ACTIONS[action], access="staff", methods=("POST",))


def on_the_web(sentence: str) -> str:
    """A slash command's sentence as a page writes it: no code spans, no bold."""
    return sentence.replace("`", "").replace("**", "")


@dataclass(frozen=True)
class Line:
    """One row of the table, in the server's timezone."""

    id: int
    name: str
    kind: str
    schedule: str
    channel_id: int
    next_time: str
    state: str
    can_pause: bool
    can_resume: bool
    source_url: str | None
    location: str | None


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return f"{moment.astimezone(tz):%a %d %b %Y %H:%M}" if moment is not None else "–"


def _state(row: Mapping[str, Any]) -> str:
    if row["disabled_reason"]:
        return f"stopped: {row['disabled_reason']}"
    if row["paused"]:
        return "paused"
    return "scheduled" if row["next_fire_at"] is not None else "sent"


def line_of(row: Mapping[str, Any], guild_id: int, tz: ZoneInfo) -> Line:
    event = row["event_time"] is not None
    if event:
        schedule = f"event {_when(row['event_time'], tz)}"
    else:
        schedule = f"{weekdays.format_days(weekdays.from_db(row['days']))} at {clock.format_time(row['time'])}"
        if row["call_time"] is not None and row["call_time"] != row["time"]:
            schedule += f" (call {clock.format_time(row['call_time'])})"
    source = (f"https://discord.com/channels/{guild_id}/{row['origin_channel_id']}/{row['origin_message_id']}"
              if row["origin_message_id"] is not None else None)
    stopped_or_paused = bool(row["paused"] or row["disabled_reason"])
    return Line(id=row["id"], name=row["name"], kind="event" if event else "recurring", schedule=schedule,
                channel_id=row["channel_id"], next_time=_when(row["next_fire_at"], tz), state=_state(row),
                can_pause=not row["paused"], can_resume=stopped_or_paused, source_url=source,
                location=row["location"])


def _choice(value: str | None, allowed: tuple[str, ...]) -> str:
    """A filter from the address; anything else (an old link, a typo) shows everything."""
    return value if value in allowed else "all"


def _page_number(value: str | None) -> int:
    return int(value) if value is not None and value.isdigit() and len(value) <= 6 and int(value) > 0 else 1


async def reminders_page(ctx: PageContext) -> web.StreamResponse:
    assert ctx.guild_id is not None
    state, kind = _choice(ctx.query.get("state"), store.STATES), _choice(ctx.query.get("kind"), store.KINDS)
    wanted = _page_number(ctx.query.get("page"))
    tz = await actions.server_timezone(ctx.settings, ctx.guild_id)
    async with ctx.db.acquire() as conn:
        total, rows = await store.filtered_page(conn, ctx.guild_id, state=state, kind=kind,
                                                offset=(wanted - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    guild = _guild_of(ctx)
    return await ctx.render("reminders/list.html", {
        **_form_values(guild), "can_add": guild is not None,
        "channel_names": {} if guild is None else {c.id: f"#{c.name}" for c in guild.channels},
        "lines": [line_of(dict(row), ctx.guild_id, tz) for row in rows], "total": total, "timezone": tz.key,
        "state": state, "kind": kind, "states": store.STATES, "kinds": store.KINDS,
        "page": wanted, "pages": pages,
    })


def _reminder_id(ctx: PageContext) -> int:
    raw = ctx.request.match_info.get("reminder_id", "")
    if not raw.isdigit() or len(raw) > 10 or not 0 < int(raw) <= LARGEST_ID:
        raise UserError(on_the_web(actions.NO_SUCH.format(id=raw[:20])))
    return int(raw)


async def _as_on_the_web(action: Awaitable[T]) -> T:
    """Run a shared action; its refusal is shown on the page as the slash command words it."""
    try:
        return await action
    except UserError as refused:
        raise UserError(on_the_web(refused.message)) from None


async def pause(ctx: PageContext) -> web.StreamResponse:
    assert ctx.guild_id is not None
    reminder_id = _reminder_id(ctx)
    row = await _as_on_the_web(actions.pause(ctx.db, ctx.guild_id, reminder_id))
    ctx.flash(f"Paused reminder #{reminder_id} {row['name']}. Resume starts it again.")
    ctx.redirect(ctx.url())


async def resume(ctx: PageContext) -> web.StreamResponse:
    assert ctx.guild_id is not None
    reminder_id = _reminder_id(ctx)

    async def check_channel(row: Any) -> None:
        """As ``/reminder resume``: the channel still exists and you and the bot may post there. The
        dashboard alone cannot see Discord's permissions; delivery then stops it again if it must."""
        guild = _guild_of(ctx)
        if guild is None:
            return
        if guild.get_channel(row["channel_id"]) is None:
            raise UserError(actions.CHANNEL_GONE.format(id=reminder_id))
        actions.check_channel(guild, await _member(guild, ctx.user.id), row["channel_id"], image=row["has_image"])

    done = await _as_on_the_web(actions.resume(ctx.db, ctx.settings, ctx.guild_id, reminder_id, check_channel))
    tz = await actions.server_timezone(ctx.settings, ctx.guild_id)
    when = f"Next: {_when(done.fires, tz)} ({tz.key})." if done.fires else "Its reminder was already sent."
    ctx.flash(f"Resumed reminder #{reminder_id} {done.row['name']}. {when}")
    ctx.redirect(ctx.url())


async def delete(ctx: PageContext) -> web.StreamResponse:
    assert ctx.guild_id is not None
    reminder_id = _reminder_id(ctx)
    deleted = await _as_on_the_web(actions.delete(ctx.db, ctx.guild_id, reminder_id))
    ctx.flash(f"Deleted reminder #{reminder_id} {deleted['name']}.")
    ctx.redirect(ctx.url())


ACTIONS = {"pause": pause, "resume": resume, "delete": delete}


def running_bot(ctx: PageContext) -> Any:
    """The bot running beside the dashboard in this process, or None (``alphapy dashboard`` alone):
    adding a reminder checks channels, roles and permissions in the bot's view of Discord."""
    return ctx.bot


def _guild_of(ctx: PageContext) -> discord.Guild | None:
    bot = running_bot(ctx)
    return bot.get_guild(ctx.guild_id) if bot is not None and ctx.guild_id is not None else None


def _snowflake(text: str | None) -> int:
    """An id from a form's select; anything else is 0, which no channel or role has."""
    return int(text) if text is not None and text.isdigit() and len(text) <= 20 else 0


async def _member(guild: discord.Guild, user_id: int) -> discord.Member:
    member = guild.get_member(user_id)
    if member is not None:
        return member
    try:
        return await guild.fetch_member(user_id)
    except discord.HTTPException:
        raise UserError(NOT_A_MEMBER) from None


async def add(ctx: PageContext) -> web.StreamResponse:
    """``/reminder add`` from the form: the same checks, in the same order, then the same store."""
    assert ctx.guild_id is not None
    guild = _guild_of(ctx)
    if guild is None:
        raise UserError(NO_BOT)
    bot = running_bot(ctx)
    posted = await ctx.request.post()
    form = {key: value for key, value in posted.items() if isinstance(value, str)}
    toggles = {value for value in posted.getall("days", []) if isinstance(value, str)}
    try:
        name = checked_name(form.get("name", ""))
        text = checked_message(form.get("message", "").replace("\r\n", "\n"))  # a browser's line breaks
        day_list = checked_days(",".join(day for index, day in enumerate(WEEKDAYS) if str(index) in toggles))
        at = checked_time(form.get("time", ""), "time")
        call = checked_time(form["call_time"], "call time") if form.get("call_time") else at
        member = await _member(guild, ctx.user.id)
        channel = actions.check_channel(guild, member, _snowflake(form.get("channel")), image=False)
        role_id = actions.check_mention(guild, member, _snowflake(form.get("mention")) or None, channel)
        limit = await actions.limit_for(bot, ctx.guild_id, ctx.user.id)
        url = None
        if form.get("image_url"):
            if not await has_premium(bot, ctx.user.id, ctx.guild_id):
                raise UserError(actions.IMAGES_ARE_PREMIUM)
            url = checked_image_url(form["image_url"])
        added = await actions.add_recurring(
            bot, ctx.guild_id, ctx.user.id, name=name, channel_id=channel.id, days=day_list, at=at,
            call_time=call, message=text, mention_role_id=role_id, image_url=url, limit=limit)
    except UserError as refused:
        raise UserError(on_the_web(refused.message)) from None
    line = line_of({"event_time": None, "days": day_list, "time": at, "call_time": call, "origin_message_id": None,
                    "id": added.id, "name": name, "channel_id": channel.id, "next_fire_at": added.fires,
                    "paused": False, "disabled_reason": None, "location": None}, ctx.guild_id, added.timezone)
    ctx.flash(f"Saved reminder #{added.id} {name}: {line.schedule} ({added.timezone.key}) in #{channel.name}. "
              f"First one: {line.next_time}.")
    ctx.redirect(ctx.url())



_TIMESTAMP = re.compile(r"<t:(\d{1,12}):([a-zA-Z])>")


def _plain_times(text: str, tz: ZoneInfo) -> str:
    """Discord's timestamp markup as the server's wall-clock time (relative ones as well)."""
    return _TIMESTAMP.sub(lambda m: _when(datetime.fromtimestamp(int(m.group(1)), tz), tz), text)


async def preview(ctx: PageContext) -> web.StreamResponse:
    """What ``/reminder test`` shows: the next message exactly as members will see it, sent nowhere."""
    assert ctx.guild_id is not None
    reminder_id = _reminder_id(ctx)
    row = await _as_on_the_web(actions.existing(ctx.db, ctx.guild_id, reminder_id))
    tz = await actions.server_timezone(ctx.settings, ctx.guild_id)
    bot = running_bot(ctx)
    show_image = bot is not None and bool(row["created_by"]) and await has_premium(bot, row["created_by"],
                                                                                   ctx.guild_id)
    kept = None
    if show_image and row["has_image"]:
        async with ctx.db.acquire() as conn:
            image = await store.image_of(conn, ctx.guild_id, reminder_id)
        if image is not None:
            kept = KeptImage(image["filename"], image["content_type"], bytes(image["data"]))
    shown = render(row, tz=tz, occurrence=row["next_fire_at"] or utcnow().astimezone(tz), image=kept,
                   show_image=show_image, preview=True)
    embed = shown.embed.to_dict()
    guild = _guild_of(ctx)
    role = guild.get_role(row["mention_role_id"]) if guild is not None and row["mention_role_id"] else None
    return await ctx.render("reminders/preview.html", {
        "id": reminder_id, "title": embed.get("title", ""),
        "description": _plain_times(embed.get("description", ""), tz),
        "fields": [(f["name"], _plain_times(f["value"], tz)) for f in embed.get("fields", [])],
        "mention": (f"@{role.name}" if role is not None else
                    f"role {row['mention_role_id']}" if row["mention_role_id"] else None),
        "image": kept.filename if kept is not None else embed.get("image", {}).get("url"),
        "timezone": tz.key,
    })


def _form_values(guild: discord.Guild | None) -> dict[str, Any]:
    """What the add and edit forms list: the server's text channels, roles one may pick, weekdays."""
    return {
        "weekdays": [(index, day.title()) for index, day in enumerate(WEEKDAYS)],
        "channels": [] if guild is None else [(c.id, c.name) for c in guild.text_channels],
        "roles": [] if guild is None else [(r.id, r.name) for r in reversed(guild.roles)
                                           if not r.is_default() and not r.managed],
    }


async def edit_page(ctx: PageContext) -> web.StreamResponse:
    """``/reminder edit`` as a form, filled in with the reminder as it is."""
    assert ctx.guild_id is not None
    reminder_id = _reminder_id(ctx)
    guild = _guild_of(ctx)
    if guild is None:
        raise UserError(NO_BOT.replace("Adding", "Editing").replace("/reminder add", "/reminder edit"))
    row = await _as_on_the_web(actions.existing(ctx.db, ctx.guild_id, reminder_id))
    tz = await actions.server_timezone(ctx.settings, ctx.guild_id)
    return await ctx.render("reminders/edit.html", {
        **_form_values(guild), "row": row, "timezone": tz.key, "one_off": row["event_time"] is not None,
        "chosen_days": {int(day) for day in row["days"] or []},
        "time": clock.format_time(row["time"]) if row["time"] else "",
        "call_time": clock.format_time(row["call_time"]) if row["call_time"] else "",
    })


async def save(ctx: PageContext) -> web.StreamResponse:
    """The edit form, judged as ``/reminder edit`` judges what changed: a field left as it was is
    not given, so an old role or channel is not checked again, as in Discord."""
    assert ctx.guild_id is not None
    reminder_id = _reminder_id(ctx)
    guild = _guild_of(ctx)
    bot = running_bot(ctx)
    if guild is None:
        raise UserError(NO_BOT.replace("Adding", "Editing").replace("/reminder add", "/reminder edit"))
    posted = await ctx.request.post()
    form = {key: value for key, value in posted.items() if isinstance(value, str)}
    toggles = {value for value in posted.getall("days", []) if isinstance(value, str)}
    try:
        row = await actions.existing(ctx.db, ctx.guild_id, reminder_id)
        one_off = row["event_time"] is not None
        name = checked_name(form.get("name", ""))
        message = checked_message(form.get("message", "").replace("\r\n", "\n"))
        if one_off:
            day_list, at, call = list(row["days"] or []), row["time"], row["call_time"]
        else:
            day_list = checked_days(",".join(day for index, day in enumerate(WEEKDAYS) if str(index) in toggles))
            at = checked_time(form.get("time", ""), "time")
            call = checked_time(form["call_time"], "call time") if form.get("call_time") else at
        member = await _member(guild, ctx.user.id)
        channel_id = _snowflake(form.get("channel"))
        if channel_id != row["channel_id"]:
            channel = actions.check_channel(guild, member, channel_id, image=row["has_image"])
        else:
            channel = guild.get_channel(channel_id)
        role_id = _snowflake(form.get("mention")) or None
        if role_id is not None and role_id != row["mention_role_id"]:
            role_id = actions.check_mention(guild, member, role_id, channel)
        url, replaces_image = row["image_url"], form.get("remove_image") == "on"
        if replaces_image:
            url = None
        elif (form.get("image_url") or None) != row["image_url"]:
            url, replaces_image = None, True
            if form.get("image_url"):
                if not await has_premium(bot, ctx.user.id, ctx.guild_id):
                    raise UserError(actions.IMAGES_ARE_PREMIUM)
                url = checked_image_url(form["image_url"])
        next_fire = await actions.save_edit(
            bot, ctx.guild_id, row, name=name, message=message, days=day_list, at=at, call_time=call,
            channel_id=channel_id, mention_role_id=role_id, image_url=url, replaces_image=replaces_image,
            reschedule=not one_off and (list(row["days"] or []) != day_list or row["time"] != at))
    except UserError as refused:
        raise UserError(on_the_web(refused.message)) from None
    tz = await actions.server_timezone(ctx.settings, ctx.guild_id)
    when = f" Next: {_when(next_fire, tz)}." if next_fire is not None else ""
    ctx.flash(f"Updated reminder #{reminder_id} {name}.{when}")
    ctx.redirect(ctx.url())

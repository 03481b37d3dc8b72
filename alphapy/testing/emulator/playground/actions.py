"""What a visitor does, each through the same driver a test uses (``slash``, ``click``,
``select``, ``submit_modal``, ``post``, ``member_join``, ...), so the bot receives exactly
the interaction or event Discord would send and cannot tell the page from a test.

Every refusal (Discord would not allow it, the bot did not answer) comes back as one
sentence on the page; a form the bot or Discord refused is shown again with what was typed.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField
from aiohttp_session import Session, get_session

from alphapy.dashboard.render import page

from ..drivers import EmulatorTimeout
from ..errors import DiscordHTTPError
from ..interactions import Interaction
from .commands import FormError, option_values
from .context import Place, base_context, channel_url, identity, note, place
from .keys import STATE_KEY, PlaygroundState
from .pages import REACTIONS, command_context, find_form
from .view import acting_member, find_message

#: what an upload may weigh (Discord's default limit)
UPLOAD_LIMIT = 10 * 1024 * 1024
#: how far the clock may be moved in one go
MAX_MOVE_SECONDS = 366 * 24 * 3600
SLOW = "The bot did not answer in time; please try again."

routes = web.RouteTableDef()


def sentence(exc: BaseException) -> str:
    """A refusal as one polite sentence."""
    if isinstance(exc, EmulatorTimeout):
        return SLOW
    if isinstance(exc, DiscordHTTPError):
        return f"Discord refused that: {exc}."
    text = str(exc).splitlines()[0].strip() if str(exc) else exc.__class__.__name__
    if isinstance(exc, PermissionError):
        return f"Discord would not let you do that: {text.rstrip('.')}."
    return f"That did not work: {text.rstrip('.')}."


async def run_driver(state: PlaygroundState, session: Session, action: Awaitable[Any]) -> Any:
    """Run a driver; a refusal becomes the note on the next page, and None is returned."""
    try:
        return await action
    except (EmulatorTimeout, DiscordHTTPError, LookupError, PermissionError, ValueError, TypeError) as exc:
        note(session, sentence(exc))
        return None
    finally:
        state.acted()


def follow(state: PlaygroundState, result: Any, back: str) -> web.HTTPFound:
    """Where the visitor goes next: the modal the bot opened, else ``back``."""
    if isinstance(result, Interaction) and result.modal is not None:
        return web.HTTPFound(f"/modal/{state.keep_modal(result)}")
    return web.HTTPFound(back)


async def act_and_follow(state: PlaygroundState, session: Session, action: Awaitable[Any],
                         back: str) -> web.StreamResponse:
    raise follow(state, await run_driver(state, session, action), back)


async def _act(where: Place, action: Awaitable[Any]) -> Any:
    return await run_driver(where.state, where.session, action)


def _after(where: Place, result: Any) -> web.HTTPFound:
    return follow(where.state, result, where.url)


async def _form(request: web.Request) -> dict[str, Any]:
    return dict(await request.post())


@routes.post("/identity")
async def switch_identity(request: web.Request) -> web.StreamResponse:
    """Become another person of the server (the session remembers who)."""
    form = await _form(request)
    state = request.app[STATE_KEY]
    user_id = str(form.get("user_id", ""))
    back = str(form.get("back", "/"))
    session = await get_session(request)
    if user_id.isdigit() and int(user_id) in state.emu.state.users:
        session["as"] = int(user_id)
    else:
        note(session, "That person is not in the emulator; nobody was switched.")
    raise web.HTTPFound(back if back.startswith("/g/") else "/")


@routes.post("/g/{guild_id:\\d+}/c/{channel_id:\\d+}/members")
async def add_member(request: web.Request) -> web.StreamResponse:
    """A new person joins (GUILD_MEMBER_ADD reaches the bot) and the visitor becomes them."""
    where = await place(request)
    name = str((await _form(request)).get("name", "")).strip()
    if not name or len(name) > 32:
        note(where.session, "Give the new member a name of 1 to 32 characters.")
        raise web.HTTPFound(where.url)
    joined = await _act(where, where.state.emu.member_join(where.guild, name))
    if joined is not None:
        where.session["as"] = joined.id
        note(where.session, f"{joined.name} joined {where.guild.name}; you are now {joined.name}.")
    raise web.HTTPFound(f"/g/{where.guild.id}")


@routes.post("/g/{guild_id:\\d+}/c/{channel_id:\\d+}/roles")
async def change_role(request: web.Request) -> web.StreamResponse:
    """Give or take a role, as someone allowed to manage roles would."""
    where = await place(request)
    form = await _form(request)
    member = where.guild.members.get(int(form["member_id"])) if str(form.get("member_id", "")).isdigit() else None
    role = where.guild.roles.get(int(form["role_id"])) if str(form.get("role_id", "")).isdigit() else None
    if member is None or role is None or role.is_everyone or role.managed:
        note(where.session, "Choose a member and a role the server has.")
    else:
        emu = where.state.emu
        giving = form.get("action") != "take"
        await _act(where, emu.give_role(member, role) if giving else emu.take_role(member, role))
    raise web.HTTPFound(where.url)


@routes.post("/g/{guild_id:\\d+}/c/{channel_id:\\d+}/post")
async def post_message(request: web.Request) -> web.StreamResponse:
    where = await place(request)
    form = await _form(request)
    content = str(form.get("content", ""))
    upload = form.get("file")
    files = []
    if upload is not None and getattr(upload, "filename", None):
        files.append((upload.filename, upload.file.read(), upload.content_type or "application/octet-stream"))
    if not content.strip() and not files:
        raise web.HTTPFound(where.url)
    if len(content) > 2000:
        note(where.session, "A message holds at most 2000 characters; yours was kept below.")
        where.session["draft"] = content
        raise web.HTTPFound(where.url)
    await _act(where, where.state.emu.post(where.channel, content, author=where.member, attachments=files))
    raise web.HTTPFound(where.url)


def _message(where: Place, message_id: str) -> Any:
    found = find_message(where.state.emu, where.channel, int(message_id), where.member.user)
    if found is None:
        raise web.HTTPNotFound(text="That message is gone or not yours to see.")
    return found


@routes.post("/g/{guild_id:\\d+}/c/{channel_id:\\d+}/m/{message_id:\\d+}/edit")
async def edit_message(request: web.Request) -> web.StreamResponse:
    where = await place(request)
    message = _message(where, request.match_info["message_id"])
    content = str((await _form(request)).get("content", ""))
    if message.author.id != where.member.id:
        note(where.session, "You can only edit your own messages.")
    elif not content.strip() or len(content) > 2000:
        note(where.session, "A message needs 1 to 2000 characters; it was left as it was.")
    else:
        await _act(where, where.state.emu.edit_message(message, content))
    raise web.HTTPFound(where.url)


@routes.post("/g/{guild_id:\\d+}/c/{channel_id:\\d+}/m/{message_id:\\d+}/react")
async def react(request: web.Request) -> web.StreamResponse:
    where = await place(request)
    message = _message(where, request.match_info["message_id"])
    emoji = str((await _form(request)).get("emoji", ""))
    if emoji not in REACTIONS:
        note(where.session, "Pick one of the offered reactions.")
    else:
        mine = where.member.id in message.reactions.get(emoji, set())
        emu = where.state.emu
        await _act(where, emu.unreact(message, emoji, by=where.member) if mine
                   else emu.react(message, emoji, by=where.member))
    raise web.HTTPFound(where.url)


@routes.post("/g/{guild_id:\\d+}/c/{channel_id:\\d+}/m/{message_id:\\d+}/click")
async def click(request: web.Request) -> web.StreamResponse:
    where = await place(request)
    message = _message(where, request.match_info["message_id"])
    custom_id = str((await _form(request)).get("custom_id", ""))
    result = await _act(where, where.state.emu.click(message, custom_id, by=where.member))
    raise _after(where, result)


@routes.post("/g/{guild_id:\\d+}/c/{channel_id:\\d+}/m/{message_id:\\d+}/select")
async def select(request: web.Request) -> web.StreamResponse:
    where = await place(request)
    message = _message(where, request.match_info["message_id"])
    form = await request.post()
    custom_id = str(form.get("custom_id", ""))
    menu = next((c for c in message.iter_components() if c.get("custom_id") == custom_id), None)
    picked = [str(v) for v in form.getall("values", [])]
    if menu is None:
        note(where.session, "That menu is no longer on the message.")
        raise web.HTTPFound(where.url)
    values: list[Any] = picked if menu.get("type") == 3 else [_entity(where, v) for v in picked]
    result = await _act(where, where.state.emu.select(message, values, by=where.member, custom_id=custom_id))
    raise _after(where, result)


def _entity(where: Place, ident: str) -> Any:
    number = int(ident) if ident.isdigit() else 0
    guild = where.guild
    return guild.members.get(number) or guild.roles.get(number) or guild.channels.get(number) or ident


@routes.post("/g/{guild_id:\\d+}/c/{channel_id:\\d+}/command")
async def run_command(request: web.Request) -> web.StreamResponse:
    """The command form, sent: the same interaction ``emu.slash`` builds."""
    where = await place(request)
    submitted = dict(await request.post())
    path = str(submitted.pop("command", "")).strip()
    form = find_form(where, path)
    if form is None:
        raise web.HTTPNotFound(text="There is no such command here for this person.")
    kept = {k: v for k, v in submitted.items() if isinstance(v, str)}
    try:
        options = option_values(form, submitted, where.guild)
        result = await where.state.emu.slash(where.member, path, where.channel, options=options)
    except (FormError, EmulatorTimeout, DiscordHTTPError, LookupError, PermissionError, ValueError,
            TypeError) as exc:
        where.state.acted()
        text = str(exc) if isinstance(exc, FormError) else sentence(exc)
        return await page(request, "command.html", command_context(where, form, kept, text), status=400)
    where.state.acted()
    raise _after(where, result)


@routes.get("/modal/{interaction_id:\\d+}")
async def modal_page(request: web.Request) -> web.StreamResponse:
    opened, session = await _modal(request)
    return await page(request, "modal.html", {**base_context(session), "modal": opened.modal,
                                              "interaction": opened, "values": {}, "error": None})


@routes.post("/modal/{interaction_id:\\d+}")
async def submit_modal(request: web.Request) -> web.StreamResponse:
    opened, session = await _modal(request)
    state = request.app[STATE_KEY]
    form = await request.post()
    modal = opened.modal
    assert modal is not None
    values: dict[str, Any] = {}
    for spec in modal.fields:
        if spec.type == 4:
            values[spec.custom_id] = str(form.get(spec.custom_id, ""))
        elif spec.type == 19:
            uploads = [f for f in form.getall(spec.custom_id, []) if isinstance(f, FileField) and f.filename]
            values[spec.custom_id] = [(f.filename, f.file.read(), f.content_type) for f in uploads]
        else:
            values[spec.custom_id] = [str(v) for v in form.getall(spec.custom_id, [])]
    try:
        result = await state.emu.submit_modal(opened, values)
    except (EmulatorTimeout, DiscordHTTPError, LookupError, PermissionError, ValueError, TypeError) as exc:
        state.acted()
        kept = {k: v for k, v in values.items() if isinstance(v, str)}
        return await page(request, "modal.html", {**base_context(session), "modal": modal, "interaction": opened,
                                                  "values": kept, "error": sentence(exc)}, status=400)
    state.acted()
    state.modals.pop(opened.id, None)
    if result.modal is not None:
        raise web.HTTPFound(f"/modal/{state.keep_modal(result)}")
    guild, channel = opened.guild, opened.channel
    raise web.HTTPFound(channel_url(guild, channel) if guild is not None else "/")


async def _modal(request: web.Request) -> tuple[Interaction, Any]:
    """A modal waiting for this visitor; someone else's is not found."""
    state = request.app[STATE_KEY]
    session, chosen = await identity(request)
    opened = state.modals.get(int(request.match_info["interaction_id"]))
    if opened is None or opened.modal is None:
        raise web.HTTPNotFound(text="This form was closed or already sent.")
    me = acting_member(opened.guild, chosen).id if opened.guild is not None else chosen
    if opened.user.id != me:
        raise web.HTTPNotFound(text="This form was opened by someone else.")
    return opened, session


@routes.post("/time")
async def move_time(request: web.Request) -> web.StreamResponse:
    """Move the emulator's clock forward (interaction tokens age; see the docs for what
    else follows it)."""
    form = await _form(request)
    state = request.app[STATE_KEY]
    session = await get_session(request)
    back = str(form.get("back", "/"))
    try:
        minutes = float(str(form.get("minutes", "")))
    except ValueError:
        minutes = -1
    if not 60 <= minutes * 60 <= MAX_MOVE_SECONDS:
        note(session, "Move the clock forward by a number of minutes between 1 and a year.")
    else:
        await state.move_time(minutes * 60)
        note(session, f"The clock moved forward by {minutes:g} minutes.")
    state.acted()
    raise web.HTTPFound(back if back.startswith("/g/") else "/")


"""The onboarding plugin's dashboard pages: the rules and questions as an editor, a preview of
what a new member sees, and the responses as CSV.

Every change goes through :mod:`alphapy_onboarding.editor`, the functions ``/onboarding
question|rule ...`` call, so the browser gets the same checks, limits, order locks and
sentences. The pages are for the people who may run ``/onboarding`` (Manage Server:
``access="host"``); the CSV holds e-mail addresses, so it is no wider. Roles named on an
option are judged by the core's role rule for the web user (:meth:`PageContext.role_judge`),
as the slash command judges them for the member.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib.resources import files

from aiohttp import web

from alphapy import DashboardPages, Database, PageContext, UserError
from alphapy_onboarding import editor, questions as q, store
from alphapy_onboarding.export import responses_csv
from alphapy_onboarding.flow import LANGUAGE_CHOICES, OPT_IN_CHOICES
from alphapy_onboarding.questions import Question, QuestionDraft

Handler = Callable[[PageContext], Awaitable[web.StreamResponse]]

ROW_ID_MAX = 2_147_483_647
"""Questions and rules are SERIAL rows (as the slash commands' ``RowId``)."""
NUMBER_DIGITS = 10
NO_SUCH_QUESTION = "There is no such onboarding question in this server."
NO_SUCH_RULE = "There is no such onboarding rule in this server."
BAD_POSITION = f"A position is a whole number from 1 to {q.MAX_QUESTIONS}."
BAD_MEMBER = "A member is given by their Discord user id, a number."
BAD_PAGE = "There is no such page of members."
MEMBERS_PER_PAGE = 50
PAGES_MAX = 10_000
BAD_TYPE = f"Choose a question type: {', '.join(q.QUESTION_TYPES)}."
FIELD_LIMITS = {"question": q.QUESTION_MAX, "options": q.JSON_MAX, "followup": q.JSON_MAX,
                "title": q.RULE_TITLE_MAX, "description": q.RULE_DESCRIPTION_MAX,
                "thumbnail_url": q.URL_MAX, "image_url": q.URL_MAX}
"""The longest text each field may carry (the inputs' ``maxlength``; the editor refuses longer)."""


def register(pages: DashboardPages) -> None:
    pages.templates(files(__package__) / "templates")
    pages.static(files(__package__) / "static")  # editor.js: drag to reorder, live preview
    pages.server_page("", overview, title="Onboarding", access="host")
    pages.server_page("questions", add_question, access="host", methods=("POST",))
    pages.server_page("question-preview", preview_question, access="host", methods=("POST",), preview=True)
    pages.server_page("question/{item_id}", question_page, access="host", methods=("GET", "POST"))
    pages.server_page("question/{item_id}/move", move_question, access="host", methods=("POST",))
    pages.server_page("question/{item_id}/remove", remove_question, access="host", methods=("POST",))
    pages.server_page("rules", add_rule, access="host", methods=("POST",))
    pages.server_page("rule/{item_id}", rule_page, access="host", methods=("GET", "POST"))
    pages.server_page("rule/{item_id}/move", move_rule, access="host", methods=("POST",))
    pages.server_page("rule/{item_id}/remove", remove_rule, access="host", methods=("POST",))
    pages.server_page("preview", preview, title="Onboarding preview", access="host")
    pages.server_page("members", members, title="Onboarding members", access="host")
    pages.server_page("members/reset", reset_member, access="host", methods=("POST",))
    pages.server_page("responses", responses, access="host")


# --- reading the request -------------------------------------------------------------------------

def _guild(ctx: PageContext) -> int:
    assert ctx.guild_id is not None  # server pages only
    return ctx.guild_id


def item_id(ctx: PageContext, missing: str) -> int:
    """The question or rule id in the address; anything else is ``missing`` (never a database error)."""
    raw = ctx.request.match_info["item_id"]
    if not raw.isdigit() or len(raw) > NUMBER_DIGITS or not 1 <= int(raw) <= ROW_ID_MAX:
        raise UserError(missing)
    return int(raw)


def text_field(form: dict[str, str], name: str) -> str | None:
    """A text field as typed, None when left empty. Its length is the editor's to judge, with the
    sentence the slash command gives (a body past the dashboard's size limit never gets here)."""
    value = form.get(name, "")
    return value if value.strip() else None


def number_field(form: dict[str, str], name: str) -> int | None:
    value = form.get(name, "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > NUMBER_DIGITS:
        raise UserError(f"{name} must be a whole number.")
    return int(value)


def flag(form: dict[str, str], name: str, default: bool) -> bool:
    """A checkbox (a hidden "false" before it, the last value wins)."""
    value = form.get(name)
    return default if value is None else value in ("true", "on", "1")


def position_field(form: dict[str, str]) -> int | None:
    value = number_field(form, "position")
    if value is not None and not 1 <= value <= q.MAX_QUESTIONS:
        raise UserError(BAD_POSITION)
    return value


def kind_field(form: dict[str, str]) -> str:
    kind = form.get("type", "")
    if kind not in q.QUESTION_TYPES:
        raise UserError(BAD_TYPE)
    return kind


# --- the editor's main page ----------------------------------------------------------------------

async def overview(ctx: PageContext) -> web.StreamResponse:
    guild_id = _guild(ctx)
    async with ctx.db.acquire() as conn:
        found_questions = await store.questions(conn, guild_id)
        found_rules = await store.rules(conn, guild_id)
        finished = await store.finished_count(conn, guild_id)
        running = await store.in_progress_count(conn, guild_id)
    return await ctx.render("onboarding/editor.html", {
        "questions": found_questions, "rules": found_rules, "finished": finished, "running": running,
        "types": q.QUESTION_TYPES, "type_names": q.TYPE_NAMES, "max_questions": q.MAX_QUESTIONS,
        "max_rules": q.MAX_RULES, "limits": FIELD_LIMITS,
    })


# --- questions -----------------------------------------------------------------------------------

def draft_of(form: dict[str, str]) -> QuestionDraft:
    """The question as the form holds it, parsed as ``/onboarding question add`` parses its options."""
    options, followup = text_field(form, "options"), text_field(form, "followup")
    return QuestionDraft(text_field(form, "question") or "", kind_field(form),
                         q.parse_options(options) if options else [],
                         q.parse_followups(followup) if followup else [], flag(form, "required", True),
                         number_field(form, "min_values"), number_field(form, "max_values"),
                         number_field(form, "max_length"))


def fields_of(question: Question) -> dict[str, str]:
    """A stored question as the form's fields, which save it back unchanged."""
    spec = question.spec
    return {"question": spec.text, "type": spec.type, "options": editor.options_json(question),
            "followup": editor.followups_json(question), "required": str(spec.required).lower(),
            "enabled": str(question.enabled).lower(), "min_values": str(spec.min_values or ""),
            "max_values": str(spec.max_values or ""), "max_length": str(spec.max_length or "")}


async def question_form(ctx: PageContext, question_id: int | None, fields: dict[str, str], *,
                        error: str | None = None, preview: Question | None = None,
                        status: int = 200) -> web.Response:
    """The question's form, filled with ``fields``: a refusal or a preview shows what was typed,
    so nothing typed is lost."""
    return await ctx.render("onboarding/question.html", {
        "question_id": question_id, "fields": fields, "error": error, "preview": preview,
        "types": q.QUESTION_TYPES, "type_names": q.TYPE_NAMES, "limits": FIELD_LIMITS,
        "max_questions": q.MAX_QUESTIONS, "any": q.ANY,
    }, status=status)


async def add_question(ctx: PageContext) -> web.StreamResponse:
    form = await ctx.form()
    try:
        draft, position = draft_of(form), position_field(form)
        new_id, landed = await editor.add_question(ctx.db, _guild(ctx), draft, await ctx.role_judge(), position)
    except UserError as refused:
        return await question_form(ctx, None, form, error=str(refused), status=400)
    ctx.flash(f"Question #{new_id} added at position {landed}.")
    ctx.redirect(ctx.url())


async def question_page(ctx: PageContext) -> web.StreamResponse:
    question_id = item_id(ctx, NO_SUCH_QUESTION)
    if ctx.request.method == "POST":
        form = await ctx.form()
        try:
            changes = editor.QuestionChanges(
                text=text_field(form, "question") or "", type=kind_field(form),
                options=text_field(form, "options"), followup=text_field(form, "followup") or "{}",
                required=flag(form, "required", True), enabled=flag(form, "enabled", True),
                min_values=number_field(form, "min_values"), max_values=number_field(form, "max_values"),
                max_length=number_field(form, "max_length"))
            await editor.edit_question(ctx.db, _guild(ctx), question_id, changes, await ctx.role_judge())
        except UserError as refused:
            return await question_form(ctx, question_id, form, error=str(refused), status=400)
        ctx.flash(f"Question #{question_id} saved.")
        ctx.redirect(ctx.url())
    async with ctx.db.acquire() as conn:
        found = await store.question(conn, _guild(ctx), question_id)
    if found is None:
        raise UserError(editor.no_question(question_id))
    return await question_form(ctx, question_id, fields_of(found))


async def preview_question(ctx: PageContext) -> web.StreamResponse:
    """The form's question as a new member would see it, checked as a save checks it, and saved
    nowhere (roles are judged when you save)."""
    form = await ctx.form()
    raw_id = form.get("question_id", "")
    question_id = int(raw_id) if raw_id.isdigit() and len(raw_id) <= NUMBER_DIGITS else None
    try:
        spec, followups = q.check_question(draft_of(form), lambda _role_id: None)
    except UserError as refused:
        # editor.js asks as the host types: for it the sentence is the preview (a 400 would be
        # logged as a failed load on every keystroke that leaves the form unfinished)
        return await question_form(ctx, question_id, form, error=str(refused),
                                   status=200 if ctx.live_preview else 400)
    shown = Question(question_id or 0, 0, spec, tuple(followups))
    return await question_form(ctx, question_id, form, preview=shown)


# --- rules ---------------------------------------------------------------------------------------

async def rule_form(ctx: PageContext, rule_id: int | None, fields: dict[str, str], *, error: str | None = None,
                    status: int = 200) -> web.Response:
    """The rule's form, filled with ``fields`` (after a refusal: what was typed)."""
    return await ctx.render("onboarding/rule.html", {
        "rule_id": rule_id, "fields": fields, "error": error, "limits": FIELD_LIMITS, "max_rules": q.MAX_RULES,
    }, status=status)


async def add_rule(ctx: PageContext) -> web.StreamResponse:
    form = await ctx.form()
    try:
        new_id, landed = await editor.add_rule(
            ctx.db, _guild(ctx), text_field(form, "title") or "", text_field(form, "description") or "",
            text_field(form, "thumbnail_url"), text_field(form, "image_url"), position_field(form))
    except UserError as refused:
        return await rule_form(ctx, None, form, error=str(refused), status=400)
    ctx.flash(f"Rule #{new_id} added at position {landed}.")
    ctx.redirect(ctx.url())


async def rule_page(ctx: PageContext) -> web.StreamResponse:
    rule_id = item_id(ctx, NO_SUCH_RULE)
    if ctx.request.method == "POST":
        form = await ctx.form()
        try:
            await editor.edit_rule(ctx.db, _guild(ctx), rule_id, title=text_field(form, "title") or "",
                                   description=text_field(form, "description") or "",
                                   thumbnail_url=text_field(form, "thumbnail_url") or "none",
                                   image_url=text_field(form, "image_url") or "none",
                                   enabled=flag(form, "enabled", True))
        except UserError as refused:
            return await rule_form(ctx, rule_id, form, error=str(refused), status=400)
        ctx.flash(f"Rule #{rule_id} saved.")
        ctx.redirect(ctx.url())
    async with ctx.db.acquire() as conn:
        found = await store.rule(conn, _guild(ctx), rule_id)
    if found is None:
        raise UserError(editor.no_rule(rule_id))
    return await rule_form(ctx, rule_id, {
        "title": found.title, "description": found.description, "thumbnail_url": found.thumbnail_url or "",
        "image_url": found.image_url or "", "enabled": str(found.enabled).lower()})


def _mover(label: str, anchor: str, missing: str,
           move: Callable[[Database, int, int, int], Awaitable[int]]) -> Handler:
    """The Move form's target, for questions and rules alike: the same steps and sentences."""
    async def move_item(ctx: PageContext) -> web.StreamResponse:
        moved = item_id(ctx, missing)
        position = position_field(await ctx.form())
        if position is None:
            raise UserError(BAD_POSITION)
        landed = await move(ctx.db, _guild(ctx), moved, position)
        ctx.flash(f"{label} #{moved} is now number {landed}.")
        ctx.redirect(ctx.url() + f"#{anchor}-{moved}")

    return move_item


def _remover(label: str, missing: str, remove: Callable[[Database, int, int], Awaitable[None]]) -> Handler:
    """The Remove form's target, for questions and rules alike."""
    async def remove_item(ctx: PageContext) -> web.StreamResponse:
        removed = item_id(ctx, missing)
        await remove(ctx.db, _guild(ctx), removed)
        ctx.flash(f"{label} #{removed} removed.")
        ctx.redirect(ctx.url())

    return remove_item


move_question = _mover("Question", "question", NO_SUCH_QUESTION, editor.move_question)
remove_question = _remover("Question", NO_SUCH_QUESTION, editor.remove_question)
move_rule = _mover("Rule", "rule", NO_SUCH_RULE, editor.move_rule)
remove_rule = _remover("Rule", NO_SUCH_RULE, editor.remove_rule)


# --- what a member sees, and what members answered -----------------------------------------------

async def preview(ctx: PageContext) -> web.StreamResponse:
    """The enabled rules and questions in the order a new member meets them (as ``/onboarding preview``)."""
    async with ctx.db.acquire() as conn:
        flow = await store.load_flow(conn, _guild(ctx))
    return await ctx.render("onboarding/preview.html", {
        "flow": flow, "opt_in": OPT_IN_CHOICES, "languages": LANGUAGE_CHOICES, "any": q.ANY,
    })


async def members(ctx: PageContext) -> web.StreamResponse:
    """Who finished, newest first, with a Reset button each (``/onboarding reset``)."""
    raw = ctx.query.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= PAGES_MAX:
        raise UserError(BAD_PAGE)
    page = int(raw)
    async with ctx.db.acquire() as conn:
        total = await store.finished_count(conn, _guild(ctx))
        rows = await store.finished_page(conn, _guild(ctx), MEMBERS_PER_PAGE, (page - 1) * MEMBERS_PER_PAGE)
    return await ctx.render("onboarding/members.html", {
        "rows": rows, "total": total, "page": page, "last_page": max(1, -(-total // MEMBERS_PER_PAGE)),
    })


async def reset_member(ctx: PageContext) -> web.StreamResponse:
    raw = (await ctx.form()).get("user_id", "").strip()
    if not raw.isdigit() or len(raw) > 20 or int(raw) >= 2**63:
        raise UserError(BAD_MEMBER)
    await editor.reset_member(ctx.db, _guild(ctx), int(raw), f"The member {raw}")
    ctx.flash(f"Onboarding answers of the member {raw} erased; they can start afresh. Their roles are unchanged.")
    ctx.redirect(ctx.url("members"))


async def responses(ctx: PageContext) -> web.StreamResponse:
    """The CSV ``/onboarding responses`` sends. Names come from the bot's member cache there; the
    dashboard has no such cache, so the name column is empty and the user id identifies people."""
    guild_id = _guild(ctx)
    async with ctx.db.acquire() as conn:
        found = await store.questions(conn, guild_id)
        rows = await store.all_responses(conn, guild_id)
    data = responses_csv(found, [dict(row) for row in rows], lambda _user_id: "")
    return web.Response(body=data, content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": f'attachment; filename="onboarding-{guild_id}.csv"',
        "Cache-Control": "no-store"})


"""The FAQ plugin's dashboard pages: the server's entries with a search, and the editor.

Writing goes through :mod:`alphapy_faq.entries`, the module the ``/faq add|edit|remove``
forms use, so an entry is checked and its search vocabulary kept in step the same way
whichever door it came through, with the same sentences. A refused form is shown again
with what was typed in it: bad input loses nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import files
from typing import Any

from aiohttp import web

from alphapy import DashboardPages, PageContext, UserError
from alphapy_faq import decisions, entries, search, store
from alphapy_faq.cog import PERIODS
from alphapy_faq.entries import SUMMARY_MAX, TITLE_MAX, Draft, EntryError
from alphapy_faq.text import MAX_KEYWORDS, clean
from alphapy_faq.views import entry_embed

MAX_ID = 2**31 - 1
LISTED = 200
NO_SUCH_ENTRY = "There is no FAQ entry with that number in this server."
GLOBAL_ENTRY = ("FAQ #{id} is a global entry, kept by the bot's operators; add your own entry with "
                "`/faq add` instead.")
BAD_ACTION = "Choose save, preview or remove."
BAD_PERIOD = "Choose a period: the last 24 hours, 7 days, 30 days or all time."
PERIOD_LABELS = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days", "all": "All time"}


def register(pages: DashboardPages) -> None:
    pages.templates(files(__package__) / "templates")
    pages.server_page("", entry_list, title="FAQ", access="staff")
    pages.server_page("searches", search_analytics, title="FAQ searches", access="staff")
    pages.server_page("proposals", proposal_list, title="FAQ proposals", access="staff", methods=("GET", "POST"))
    pages.server_page("new", new_entry, access="staff", methods=("GET", "POST"))
    pages.server_page("entry/{entry_id}", edit_entry, access="staff", methods=("GET", "POST"))


def _entry_id(ctx: PageContext) -> int:
    raw = ctx.request.match_info["entry_id"]
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise UserError(NO_SUCH_ENTRY)
    return int(raw)


def _typed(form: dict[str, str]) -> dict[str, str]:
    """The form's three fields as typed (shown again after a refusal)."""
    return {"title": form.get("title", ""), "keywords": form.get("keywords", ""), "answer": form.get("answer", "")}


def preview(record: dict[str, Any]) -> dict[str, Any]:
    """The answer as Discord shows it: the very embed ``/faq show`` posts, as a dict."""
    return entry_embed(record).to_dict()  # type: ignore[return-value]


async def _form_page(ctx: PageContext, values: dict[str, str], *, entry_id: int | None,
                     problem: str | None = None, shown: dict[str, Any] | None = None,
                     proposal_id: int | None = None) -> web.Response:
    return await ctx.render("faq/edit.html", {
        "values": values, "entry_id": entry_id, "problem": problem, "preview": shown, "proposal_id": proposal_id,
        "title_max": TITLE_MAX, "summary_max": SUMMARY_MAX, "max_keywords": MAX_KEYWORDS,
    }, status=400 if problem else 200)


# --- the pages ---------------------------------------------------------------------------------

async def entry_list(ctx: PageContext) -> web.StreamResponse:
    """The server's own entries (searchable by title), and how many global ones it also sees."""
    assert ctx.guild_id is not None
    typed = clean(ctx.query.get("q", ""), 100)
    async with ctx.db.acquire() as conn:
        if typed:
            rows = await store.entries_titled_like(conn, ctx.guild_id, f"%{search.like_pattern(typed)}%",
                                                   limit=LISTED)
        else:
            rows = await store.list_entries(conn, ctx.guild_id, limit=LISTED)
        own, shared = await store.count_entries(conn, ctx.guild_id)
    return await ctx.render("faq/list.html", {"entries": rows, "q": typed, "own": own, "shared": shared,
                                              "listed": LISTED})


def _proposal_id(raw: str) -> int | None:
    """The proposal a new entry answers (``?proposal=`` or the form's hidden field), if any."""
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise UserError("That proposal does not exist in this server.")
    return int(raw)


async def new_entry(ctx: PageContext) -> web.StreamResponse:
    """A new entry; from a proposal ("Accept"), prefilled with its draft and saved as the
    proposal's button form saves it (the proposal marked added, its message updated)."""
    assert ctx.guild_id is not None
    if ctx.request.method == "GET":
        proposal_id = _proposal_id(ctx.query.get("proposal", ""))
        if proposal_id is not None:
            async with ctx.db.acquire() as conn:
                record = await decisions.open_proposal(conn, ctx.guild_id, proposal_id)
                title, keywords, answer = await decisions.draft_of(conn, ctx.guild_id, record)
            values = {"title": title, "keywords": ", ".join(keywords), "answer": answer}
        else:  # ?title= prefills it (a search that found nothing)
            values = _typed({"title": clean(ctx.query.get("title", ""), TITLE_MAX)})
        return await _form_page(ctx, values, entry_id=None, proposal_id=proposal_id)
    form = await ctx.form()
    values = _typed(form)
    proposal_id = _proposal_id(form.get("proposal", ""))
    try:
        draft = Draft.parse(values["title"], values["answer"], values["keywords"])
        if form.get("action") == "preview":
            return await _form_page(ctx, values, entry_id=None, proposal_id=proposal_id, shown=preview(
                {"id": "new", "guild_id": ctx.guild_id, **_draft_fields(draft)}))
        if proposal_id is not None:
            record, proposal = await decisions.accept(ctx.db, ctx.guild_id, proposal_id, draft, ctx.user.id)
            await _show_outcome(ctx, proposal, f"Added as FAQ #{record['id']} by <@{ctx.user.id}> (dashboard).")
        else:
            async with ctx.db.acquire() as conn:
                record = await entries.add(conn, ctx.guild_id, draft, ctx.user.id)
    except EntryError as exc:
        return await _form_page(ctx, values, entry_id=None, proposal_id=proposal_id, problem=str(exc))
    ctx.flash(f"Added FAQ #{record['id']}.")
    ctx.redirect(ctx.url("entry/{entry_id}", entry_id=record["id"]))


async def _show_outcome(ctx: PageContext, proposal: Any, outcome: str) -> None:
    bot = ctx.bot
    if bot is not None:
        assert ctx.guild_id is not None
        await decisions.show_outcome(bot, ctx.guild_id, proposal, outcome)


async def proposal_list(ctx: PageContext) -> web.StreamResponse:
    """Proposals drawn from closed tickets: accept (the editor, prefilled) or dismiss."""
    assert ctx.guild_id is not None
    if ctx.request.method == "POST":
        proposal_id = _proposal_id((await ctx.form()).get("proposal", "")) or 0
        if proposal_id == 0:
            raise UserError("That proposal does not exist in this server.")
        record = await decisions.dismiss(ctx.db, ctx.guild_id, proposal_id, ctx.user.id)
        await _show_outcome(ctx, record, f"Dismissed by <@{ctx.user.id}> (dashboard); this topic will not be "
                                         "proposed again.")
        ctx.flash(f"Dismissed the proposal about “{record['similarity_key']}”; it will not be proposed again.")
        ctx.redirect(ctx.url("proposals"))
    async with ctx.db.acquire() as conn:
        waiting = await store.open_proposals(conn, ctx.guild_id)
    return await ctx.render("faq/proposals.html", {"proposals": waiting})


async def edit_entry(ctx: PageContext) -> web.StreamResponse:
    assert ctx.guild_id is not None
    entry_id = _entry_id(ctx)
    async with ctx.db.acquire() as conn:
        record = await store.entry_for_guild(conn, entry_id, ctx.guild_id)
    if record is None:
        raise UserError(f"There is no FAQ entry #{entry_id} of this server any more.")
    if record["guild_id"] is None:
        raise UserError(GLOBAL_ENTRY.format(id=entry_id))
    if ctx.request.method == "GET":
        values = {"title": record["title"], "keywords": ", ".join(record["keywords"] or []),
                  "answer": record["summary"]}
        return await _form_page(ctx, values, entry_id=entry_id, shown=preview(dict(record)))
    form = await ctx.form()
    action = form.get("action", "save")
    if action == "remove":
        async with ctx.db.acquire() as conn:
            removed = await entries.remove(conn, entry_id, ctx.guild_id)
        if removed is None:
            raise UserError("That entry was removed a moment ago.")
        ctx.flash(f"Removed FAQ #{entry_id} “{removed['title']}”.")
        ctx.redirect(ctx.url())
    if action not in ("save", "preview"):
        raise UserError(BAD_ACTION)
    values = _typed(form)
    try:
        draft = Draft.parse(values["title"], values["answer"], values["keywords"])
        if action == "preview":
            return await _form_page(ctx, values, entry_id=entry_id, shown=preview(
                {**dict(record), **_draft_fields(draft)}))
        async with ctx.db.acquire() as conn:
            saved = await entries.edit(conn, entry_id, ctx.guild_id, draft, ctx.user.id)
    except EntryError as exc:
        return await _form_page(ctx, values, entry_id=entry_id, problem=str(exc))
    if saved is None:
        raise UserError(f"There is no FAQ entry #{entry_id} of this server any more.")
    ctx.flash(f"Updated FAQ #{entry_id}.")
    ctx.redirect(ctx.url("entry/{entry_id}", entry_id=entry_id))


def _draft_fields(draft: Draft) -> dict[str, Any]:
    return {"title": draft.title, "summary": draft.summary, "keywords": draft.keywords}


async def search_analytics(ctx: PageContext) -> web.StreamResponse:
    """``/faq stats`` on a page: what people search for, and what they do not find (write those next)."""
    assert ctx.guild_id is not None
    period = ctx.query.get("period", "7d")
    if period not in PERIODS:
        raise UserError(BAD_PERIOD)
    window = PERIODS[period]
    since = None if window is None else datetime.now(UTC) - window
    async with ctx.db.acquire() as conn:
        totals = await store.search_totals(conn, ctx.guild_id, since)
        top = await store.top_queries(conn, ctx.guild_id, since, empty_only=False, limit=20)
        missing = await store.top_queries(conn, ctx.guild_id, since, empty_only=True, limit=20)
    return await ctx.render("faq/searches.html", {
        "period": period, "periods": PERIOD_LABELS, "totals": totals, "top": top, "missing": missing,
        "top_bars": [(r["query"], r["times"]) for r in top],
        "missing_bars": [(r["query"], r["times"]) for r in missing],
        "rate": round(100 * totals["empty"] / totals["searches"]) if totals["searches"] else 0,
    })


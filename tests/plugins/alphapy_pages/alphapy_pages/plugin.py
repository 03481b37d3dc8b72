"""Hook implementations of the test plugin ``pages``: one page per access level, a form,
a refusal, a crash and a your-page, to test the core's ``register_dashboard`` wrapper."""

from importlib.resources import files

from alphapy import UserError, hookimpl

SECRET_DETAIL = "the crash's private detail"


@hookimpl
def register_settings(register):
    register("staff_role", "role", help="who counts as staff for the pages plugin")
    register("note", "str", default="none yet", max_length=100, help="a note the host writes on the page")


async def board(ctx):
    return await ctx.render("pages/board.html", {"heading": f"{ctx.page.access} board", "note": await ctx.setting("note")})


async def write_note(ctx):
    note = (await ctx.form()).get("note", "")
    if not note:
        raise UserError("Write a note first; an empty one would change nothing.")
    await ctx.settings.set(ctx.guild_id, "pages", "note", note, changed_by=ctx.user.id)
    ctx.flash("The note is saved.")
    ctx.redirect(ctx.url("host"))


async def refuse_always(ctx):
    raise UserError("Members may look, not write.")


async def crash(ctx):
    raise RuntimeError(SECRET_DETAIL)


async def mine(ctx):
    return await ctx.render("pages/board.html", {"heading": f"{ctx.user.name}'s page", "note": len(ctx.guilds)})


@hookimpl
def register_dashboard(pages):
    pages.templates(files(__package__) / "templates")
    pages.static(files(__package__) / "static")
    pages.server_page("host", board, title="Host board", access="host")
    pages.server_page("host", write_note, methods=["POST"], access="host")
    pages.server_page("staff", board, title="Staff board", access="staff")
    pages.server_page("member", board, title="Member board", access="member")
    pages.server_page("member", refuse_always, methods=["POST"], access="member")
    pages.server_page("crash", crash, access="member")
    pages.user_page("", mine, title="Your pages page")

"""Hook implementations of the verification plugin (kept light: ``alphapy --help`` imports it)."""

from __future__ import annotations

from importlib.resources import files
from typing import TYPE_CHECKING, Any

from alphapy import hookimpl

if TYPE_CHECKING:
    from importlib.abc import Traversable

    from alphapy import AlphapyBot, Database, PluginCog, RegisterSetting, Tour

DEFAULT_INSTRUCTIONS = (
    "A screenshot of your payment receipt or order confirmation that shows what you bought, "
    "from which shop, and when."
)


@hookimpl
def register_migrations() -> Traversable:
    return files(__package__) / "migrations"


@hookimpl
def register_settings(register: RegisterSetting) -> None:
    register("mode", "choice", default="assist", choices=["auto", "assist", "manual"],
             help="auto: the AI may verify on its own; assist: the AI advises, staff decide; manual: no AI")
    register("staff_role", "role", purpose="ping",
             help="who reviews verifications (sees the private channels, gets pinged)")
    register("verified_role", "role", purpose="grant", help="the role a verified member gets (required)")
    register("instructions", "str", default=DEFAULT_INSTRUCTIONS, max_length=1500,
             help="what proof this server accepts; shown to members and given to the AI")
    register("category", "channel", help="the category the private verification channels go in")
    register("delete_screenshots", "bool", default=True,
             help="delete screenshots from the channel once a verification is decided")
    register("close_delay_seconds", "int", default=60, min=0, max=86400,
             help="how long a decided verification's channel stays before it is deleted")
    register("cooldown_minutes", "int", default=60, min=0, max=525600,
             help="how long a member waits after a rejection before trying again")
    register("max_attempts", "int", default=3, min=1, max=100,
             help="how many verifications a member may start here (staff can always open one)")
    register("max_image_mb", "int", default=8, min=1, max=20, help="the largest screenshot taken, in MB")


@hookimpl
def register_cogs(bot: AlphapyBot) -> PluginCog:
    from alphapy_verification.cog import VerificationCog

    return VerificationCog(bot)


@hookimpl
async def startup(bot: AlphapyBot) -> None:
    from alphapy_verification.flow import Verifications

    bot.scheduler.add_due_work(Verifications(bot).due_work())


@hookimpl
async def health(bot: AlphapyBot) -> dict[str, Any]:
    from alphapy_verification import store

    async with bot.db.acquire() as conn:
        return {"status": "ok", "waiting_for_staff": await store.waiting_everywhere(conn)}


@hookimpl
def register_demo(tour: Tour) -> None:
    from alphapy_verification.demo import chapter

    tour.chapter("Verification: a payment screenshot, checked by AI and staff", chapter)


@hookimpl
async def user_data(user_id: int, db: Database) -> dict[str, Any] | None:
    from alphapy_verification import store

    async with db.acquire() as conn:
        tickets = await store.user_tickets(conn, user_id)
        hashes = await store.user_hashes(conn, user_id)
    if not tickets and not hashes:
        return None
    return {"verification_tickets": tickets, "screenshot_hashes": hashes}


@hookimpl
async def forget_user(user_id: int, guild_id: int | None, db: Database) -> int:
    from alphapy_verification import store

    async with db.transaction() as conn:
        return await store.forget(conn, user_id, guild_id)


@hookimpl
def register_dashboard(pages: Any) -> None:
    from alphapy_verification.dashboard import register  # aiohttp code stays out of `alphapy --help`

    register(pages)

"""A user or guild buying the bot's premium subscription."""

from __future__ import annotations

from ..state import Entitlement, Guild, Member, User, iso
from .base import DriverBase


class EntitlementDriver(DriverBase):
    """Part of :class:`~alphapy.testing.emulator.drivers.DriversMixin`; ``self`` is the emulator."""

    async def grant_entitlement(
        self,
        user: Member | User | None = None,
        *,
        guild: Guild | None = None,
        sku_id: int | None = None,
        type: int = 8,
        ends_at: str | None = None,
        settle: bool = True,
    ) -> Entitlement:
        """Give ``user`` (or ``guild``) an entitlement, by default a Discord App Subscription
        (type 8) to the application's SKU; ENTITLEMENT_CREATE goes to the bot and it is
        listed by ``GET /applications/{id}/entitlements`` and in later interactions."""
        state = self.state
        app = state.application
        target = user.user if isinstance(user, Member) else user
        entitlement = Entitlement(
            state.ids.next(),
            sku_id or app.sku_id,
            app.id,
            target.id if target is not None else None,
            guild.id if guild is not None else None,
            type,
            starts_at=iso(),
            ends_at=ends_at,
        )
        app.entitlements.append(entitlement)
        state.dispatch("ENTITLEMENT_CREATE", entitlement.payload(), None)
        if settle:
            await self.settle()
        return entitlement

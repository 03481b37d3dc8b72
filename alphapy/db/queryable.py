"""What a store function needs to run a statement: a connection, or the core's Database.

A plugin's ``store.py`` often takes either one (a read outside a transaction uses ``db``
itself; a write inside one gets the transaction's connection). Typing that argument as
``Queryable`` keeps both callers checked without an ``Any``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from asyncpg import Record


class Queryable(Protocol):
    """An asyncpg connection (pooled or not) or :class:`alphapy.Database`."""

    async def execute(self, query: str, *args: Any) -> str: ...

    async def fetch(self, query: str, *args: Any) -> list[Record]: ...

    async def fetchrow(self, query: str, *args: Any) -> Record | None: ...

    async def fetchval(self, query: str, *args: Any) -> Any: ...

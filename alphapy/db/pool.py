"""The asyncpg pools: the core owns every connection, plugins borrow them.

Two pools: the main one for plugins and core services, and a small dedicated one for
command tracking so that a burst of audit writes can never starve a command of a
connection. JSONB travels in binary form: asyncpg's text codec breaks
``copy_records_to_table``, and binary saves a parse on every row.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, cast

from alphapy.db.urls import describe_server

if TYPE_CHECKING:
    import asyncpg

JSONB_BINARY_VERSION = b"\x01"


class DatabaseUnavailable(Exception):
    """The PostgreSQL server cannot be reached; the message names it, without secrets.

    The one form a database outage takes in the core: whatever asyncpg or the socket
    raised is translated into this (the original stays as ``__cause__``), so that the
    error handler can tell members "try again in a minute" instead of reporting a bug.
    """


def _cannot_connect(exc: BaseException) -> bool:
    """Whether ``exc`` means the server is away (down, restarting, full, unreachable).

    A failed query, a constraint or a bug is no outage: those keep their own type.
    """
    import asyncpg

    return isinstance(exc, (OSError, asyncio.TimeoutError, *_lost_connection_errors(asyncpg)))


def database_outage(error: BaseException) -> DatabaseUnavailable | None:
    """The :class:`~alphapy.db.DatabaseUnavailable` behind ``error``, if an outage caused it.

    Follows discord.py's ``original`` and ``raise ... from``, so that an outage is
    recognised however a plugin or discord.py wrapped it; an error raised while handling
    one (``__context__`` only) is a bug of its own.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, DatabaseUnavailable):
            return current
        seen.add(id(current))
        current = getattr(current, "original", None) or current.__cause__
    return None


def _lost_connection_errors(asyncpg: Any) -> tuple[type[BaseException], ...]:
    """asyncpg's errors for a server that went away or refuses connections for now."""
    return (
        asyncpg.ConnectionDoesNotExistError,  # closed in the middle of an operation
        asyncpg.PostgresConnectionError,  # class 08: connection exceptions
        asyncpg.CannotConnectNowError,  # starting up or shutting down
        asyncpg.AdminShutdownError,
        asyncpg.CrashShutdownError,
        asyncpg.TooManyConnectionsError,
    )


def _is_gone(conn: Any) -> bool:
    """Whether a borrowed connection was closed under us (the pool then takes it back)."""
    import asyncpg

    try:
        return bool(conn.is_closed())
    except asyncpg.InterfaceError:  # "released back to the pool": it closed, and was taken
        return True


def _encode_jsonb(value: Any) -> bytes:
    return JSONB_BINARY_VERSION + json.dumps(value, separators=(",", ":")).encode()


def _decode_jsonb(data: bytes) -> Any:
    return json.loads(data[1:])


def _unavailable(url: str, exc: BaseException) -> DatabaseUnavailable:
    return DatabaseUnavailable(f"cannot reach PostgreSQL at {describe_server(url)}: {_reason(exc)}")


async def init_connection(conn: asyncpg.Connection) -> None:
    """Per-connection set-up: JSON codecs (binary JSONB, text JSON)."""
    await conn.set_type_codec(
        "jsonb", schema="pg_catalog", encoder=_encode_jsonb, decoder=_decode_jsonb, format="binary"
    )
    await conn.set_type_codec("json", schema="pg_catalog", encoder=json.dumps, decoder=json.loads)


async def connect(url: str, *, timeout: float = 10.0) -> asyncpg.Connection:
    """One connection outside the pools (listeners, tools), with our codecs."""
    import asyncpg

    try:
        conn = await asyncpg.connect(url, timeout=timeout)
    except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
        raise _unavailable(url, exc) from exc
    await init_connection(conn)
    return conn


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "connection timed out"
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


class Database:
    """The main pool and the tracker pool, opened and closed together."""

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 2,
        max_size: int = 10,
        tracker_size: int = 2,
        connect_timeout: float = 10.0,
    ) -> None:
        self.url = url
        self.min_size = min_size
        self.max_size = max_size
        self.tracker_size = tracker_size
        self.connect_timeout = connect_timeout
        self._pool: asyncpg.Pool | None = None
        self._tracker_pool: asyncpg.Pool | None = None

    @classmethod
    def from_config(cls, url: str, config: Any) -> Database:
        return cls(
            url,
            min_size=config.db_pool_min_size,
            max_size=config.db_pool_max_size,
            tracker_size=config.db_tracker_pool_size,
            connect_timeout=config.db_connect_timeout,
        )

    async def open(self) -> Database:
        import asyncpg

        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=self.min_size,
                max_size=self.max_size,
                init=init_connection,
                timeout=self.connect_timeout,
            )
            self._tracker_pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self.tracker_size,
                init=init_connection,
                timeout=self.connect_timeout,
            )
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as exc:
            await self.close()
            raise _unavailable(self.url, exc) from exc
        return self

    async def __aenter__(self) -> Database:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database is not open")
        return self._pool

    @property
    def tracker_pool(self) -> asyncpg.Pool:
        if self._tracker_pool is None:
            raise RuntimeError("the database is not open")
        return self._tracker_pool

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        """``async with db.acquire() as conn``: one connection for one unit of work.

        Raises :class:`DatabaseUnavailable` when no connection can be had, or when the
        server goes away during the block; other errors pass unchanged.
        """
        import asyncpg

        acquired = False
        try:
            async with self.pool.acquire() as conn:
                acquired = True
                try:
                    # The pool hands out a proxy that forwards every Connection method;
                    # callers (plugins' store modules) annotate plain asyncpg.Connection.
                    yield cast("asyncpg.Connection", conn)
                except Exception as exc:
                    # Inside the block: only asyncpg's errors on a connection that is gone
                    # (an OSError there may be the caller's own; a misuse stays a bug).
                    if isinstance(exc, _lost_connection_errors(asyncpg)) or (
                            isinstance(exc, asyncpg.InterfaceError) and _is_gone(conn)):
                        raise _unavailable(self.url, exc) from exc
                    raise
        except Exception as exc:
            if not acquired and _cannot_connect(exc):  # no connection to be had
                raise _unavailable(self.url, exc) from exc
            raise

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[asyncpg.Connection]:
        """A connection inside a transaction, committed on success."""
        async with self.acquire() as conn, conn.transaction():
            yield conn

    async def execute(self, query: str, *args: Any) -> str:
        async with self.acquire() as conn:
            return await conn.execute(query, *args)

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self.acquire() as conn:
            return await conn.fetch(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> asyncpg.Record | None:
        async with self.acquire() as conn:
            return await conn.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        async with self.acquire() as conn:
            return await conn.fetchval(query, *args)

    def stats(self) -> dict[str, int]:
        """Pool sizes for health and metrics: open connections and those in use."""
        out: dict[str, int] = {"max_size": self.max_size, "size": 0, "in_use": 0}
        if self._pool is not None:
            size = self._pool.get_size()
            out["size"] = size
            out["in_use"] = size - self._pool.get_idle_size()
        if self._tracker_pool is not None:
            out["tracker_size"] = self._tracker_pool.get_size()
        return out

    async def close(self, timeout: float = 10.0) -> None:
        """Close both pools, waiting up to ``timeout`` for borrowed connections."""
        for attr in ("_tracker_pool", "_pool"):
            pool = getattr(self, attr)
            setattr(self, attr, None)
            if pool is None:
                continue
            try:
                await asyncio.wait_for(pool.close(), timeout)
            except asyncio.TimeoutError:
                pool.terminate()

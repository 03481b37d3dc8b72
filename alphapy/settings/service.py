"""Per-guild settings: typed, cached, audited, and shared by every process.

Reads are served from an in-process cache of each guild's stored values (one query
loads a guild). Every write goes through :mod:`alphapy.settings.store`, which records
the history row in the same transaction and sends ``NOTIFY``; each process listens on a
dedicated connection and drops the guild from its cache when told. If that connection
drops, notifications may have been missed: the cache is emptied and reads go straight
to the database until the listener is back.

Plugins with a cache of their own share that connection instead of opening another:
:meth:`SettingsService.subscribe` passes them the notifications of their channel, and
tells them to forget everything whenever notifications may have been missed.

A read that needs the database waits at most ``read_timeout`` seconds: the gate reads
the plugin switch before every command, and Discord wants an answer within 3 s, so a
server that hangs must become :class:`~alphapy.db.DatabaseUnavailable` (answered "try
again in a minute") well before then.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alphapy.db.pool import DatabaseUnavailable
from alphapy.log import get_logger
from alphapy.settings import store
from alphapy.settings.registry import PLUGINS_SCOPE, SettingsRegistry, UnknownSetting
from alphapy.settings.store import HistoryEntry
from alphapy.settings.types import (
    ChannelListType,
    ChannelType,
    InvalidValue,
    RoleType,
    SettingSpec,
)
from alphapy.settings.write_batch import WriteBatcher

if TYPE_CHECKING:
    import asyncpg

    from alphapy.db import Database

log = get_logger(__name__)

PremiumCheck = Callable[[int, int], Awaitable[bool]]
"""``(guild_id, user_id) -> bool``: may this user change premium settings here?"""

OnNotify = Callable[[str], None]
"""Called with the payload of each ``NOTIFY`` on a subscribed channel."""

OnReset = Callable[[], None]
"""Called whenever notifications may have been missed (listener connected or lost)."""

ReferenceCheck = Callable[[int, str, int], Awaitable[bool]]
"""``(guild_id, "channel" | "role", id) -> bool``: does that channel/role belong to the guild?"""

RoleCheck = Callable[[int, list[tuple[int, str]], Any], Awaitable[tuple[str | None, list[str]]]]
"""``(guild_id, [(role id, "grant" | "ping")], actor) -> (refusal or None, notes)``: the
role rules of :mod:`alphapy.authority`, judged on the server as the bot sees it."""

_MISSING = object()
HISTORY_PAGE_MAX = 100
READ_TIMEOUT = 1.5
"""Seconds a settings read may wait for the database (under Discord's 3 s to answer)."""


class SettingsError(Exception):
    """A change that was refused; the message is written for the person who asked."""


class InvalidSetting(SettingsError):
    """The value does not fit the setting's type (nothing was written)."""


class PremiumRequired(SettingsError):
    """The setting may only be changed with premium in this server."""


class HistoryNotFound(SettingsError):
    """No such history entry in this guild."""


class UnknownSettingError(SettingsError):
    """Nobody declared this scope/key."""


@dataclass(frozen=True)
class SettingValue:
    """A setting as shown to a host: its declaration, current value, and whether it is the default."""

    spec: SettingSpec
    value: Any
    is_default: bool

    @property
    def display(self) -> str:
        return self.spec.type.display(self.value)


class SettingsService:
    """``get``/``set``/``reset``/``rollback``/``history`` over the cache and the store."""

    def __init__(
        self,
        db: Database,
        registry: SettingsRegistry,
        *,
        premium_check: PremiumCheck | None = None,
        reference_check: ReferenceCheck | None = None,
        read_timeout: float = READ_TIMEOUT,
        role_check: RoleCheck | None = None,
    ) -> None:
        self.db = db
        self.read_timeout = read_timeout
        self.registry = registry
        self.premium_check = premium_check
        self.reference_check = reference_check
        self.role_check = role_check
        self._cache: dict[int, dict[tuple[str, str], Any]] = {}
        self._generation = 0
        self._listening = False
        self._listener: asyncpg.Connection | None = None
        self._listener_task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._subscribers: dict[str, list[tuple[OnNotify, OnReset]]] = {}
        self._stopping = False
        self._writes = WriteBatcher(db)
        self.hits = 0
        self.misses = 0
        self.invalidations = 0
        self.reconnects = 0

    # --- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        """Start listening for changes made by other processes (waits for the first connect)."""
        self._stopping = False
        self._listener_task = asyncio.create_task(self._listen_forever(), name="settings-listener")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._connected.wait(), timeout=10)

    async def stop(self) -> None:
        self._stopping = True
        if self._listener_task is not None:
            self._listener_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener_task
            self._listener_task = None
        await self._close_listener()

    @property
    def listening(self) -> bool:
        return self._listening

    async def _close_listener(self) -> None:
        conn, self._listener = self._listener, None
        self._set_listening(False)
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=2)

    def _set_listening(self, value: bool) -> None:
        self._listening = value
        self._cache.clear()
        self._generation += 1
        if value:
            self._connected.set()
        else:
            self._connected.clear()
        for subscribers in list(self._subscribers.values()):
            for _on_notify, on_reset in list(subscribers):
                self._call_subscriber(on_reset)

    # --- sharing the listener ---------------------------------------------------------
    async def subscribe(self, channel: str, on_notify: OnNotify, on_reset: OnReset) -> None:
        """Hear ``NOTIFY channel`` from every process on this process's listening connection.

        ``on_notify(payload)`` runs for each notification; ``on_reset()`` runs now and
        whenever the connection is made or lost, because notifications may have been
        missed then: a subscriber keeps a cache only as trustworthy as this one.
        Both run on the event loop and must not block.
        """
        first = channel not in self._subscribers
        self._subscribers.setdefault(channel, []).append((on_notify, on_reset))
        conn = self._listener
        if first and conn is not None and not conn.is_closed():
            try:
                await conn.add_listener(channel, self._on_subscribed_notify)
            except Exception as exc:  # start over: the reconnect listens on every channel
                log.warning("settings.subscribe_failed", channel=channel, error=str(exc))
                conn.terminate()
        self._call_subscriber(on_reset)

    async def unsubscribe(self, channel: str, on_notify: OnNotify) -> None:
        """Stop passing ``channel``'s notifications to ``on_notify`` (a plugin shutting down)."""
        subscribers = [s for s in self._subscribers.get(channel, []) if s[0] != on_notify]
        if subscribers:
            self._subscribers[channel] = subscribers
            return
        self._subscribers.pop(channel, None)
        conn = self._listener
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await conn.remove_listener(channel, self._on_subscribed_notify)

    def _on_subscribed_notify(self, _conn: Any, _pid: int, channel: str, payload: str) -> None:
        for on_notify, _on_reset in list(self._subscribers.get(channel, [])):
            self._call_subscriber(on_notify, payload)

    @staticmethod
    def _call_subscriber(callback: Callable[..., None], *args: str) -> None:
        try:
            callback(*args)
        except Exception as exc:  # one plugin's bug must not stop the others' invalidation
            log.error("settings.subscriber_failed", callback=getattr(callback, "__qualname__", repr(callback)),
                      error=f"{type(exc).__name__}: {exc}")

    async def _listen_forever(self) -> None:
        from alphapy.db.pool import connect

        delay = 0.2
        while not self._stopping:
            lost = asyncio.Event()
            try:
                conn = await connect(self.db.url, timeout=5)
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(store.NOTIFY_CHANNEL, self._on_notify)
                listened: set[str] = set()  # until none is missing: subscribe() may run meanwhile
                while missing := [channel for channel in self._subscribers if channel not in listened]:
                    for channel in missing:
                        await conn.add_listener(channel, self._on_subscribed_notify)
                        listened.add(channel)
            except Exception as exc:  # the server may be down: keep trying, with backoff
                log.warning("settings.listener_connect_failed", error=str(exc), retry_in=round(delay, 2))
                await asyncio.sleep(jittered(delay))
                delay = min(delay * 2, 10.0)
                continue
            self._listener = conn
            self._set_listening(True)  # empties the cache: we may have missed notifications
            delay = 0.2
            await self._watch(conn, lost)
            if self._stopping:
                return
            self.reconnects += 1
            log.warning("settings.listener_lost", action="cache emptied, reconnecting")
            await self._close_listener()

    async def _watch(self, conn: asyncpg.Connection, lost: asyncio.Event) -> None:
        """Wait until the listening connection dies (termination, or a failed ping)."""
        while not lost.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(lost.wait(), timeout=15)
                return
            try:  # a half-open TCP connection never reports termination: ping it
                await asyncio.wait_for(conn.execute("SELECT 1"), timeout=5)
            except Exception:
                return

    def _on_notify(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        guilds = store.changed_guilds(payload)
        if guilds is None:
            self.invalidate_all()
            return
        for guild in guilds:
            self.invalidate(guild)

    def invalidate(self, guild_id: int) -> None:
        """Forget one guild's cached values (the next read reloads them)."""
        self.invalidations += 1
        self._generation += 1
        self._cache.pop(guild_id, None)

    def invalidate_all(self) -> None:
        self._generation += 1
        self._cache.clear()

    # --- reading --------------------------------------------------------------------
    def spec(self, scope: str, key: str) -> SettingSpec:
        try:
            return self.registry.get(scope, key)
        except UnknownSetting as exc:
            raise UnknownSettingError(str(exc)) from None

    async def _values(self, guild_id: int) -> dict[tuple[str, str], Any]:
        values = self._cache.get(guild_id)
        if values is not None:
            self.hits += 1
            return values
        self.misses += 1
        generation = self._generation
        try:
            async with asyncio.timeout(self.read_timeout), self.db.acquire() as conn:
                values = await store.load_guild(conn, guild_id)
        except TimeoutError as exc:
            raise DatabaseUnavailable(f"no answer from PostgreSQL within {self.read_timeout:g} s") from exc
        # Cache only if nothing was invalidated while we loaded, and only while we hear
        # about other processes' changes.
        if self._listening and generation == self._generation:
            self._cache[guild_id] = values
        return values

    async def get(self, guild_id: int, scope: str, key: str) -> Any:
        """The guild's value, else the declared default; unknown settings raise."""
        spec = self.registry.lookup(scope, key)  # the hot path: one dict lookup
        if spec is None:
            self.spec(scope, key)
        values = self._cache.get(guild_id)
        if values is None:
            values = await self._values(guild_id)
        else:
            self.hits += 1
        value = values.get((scope, key), _MISSING)
        return spec.default if value is _MISSING else value  # type: ignore[union-attr]

    async def describe(self, guild_id: int, scope: str | None = None) -> list[SettingValue]:
        """Every declared setting (of one scope) with its current value, for display."""
        values = await self._values(guild_id)
        specs = self.registry.specs(scope)
        if scope is not None and not specs:
            raise UnknownSettingError(f"unknown scope {scope!r}; known: {', '.join(self.registry.scopes())}")
        return [
            SettingValue(spec, values.get((spec.scope, spec.key), spec.default),
                         (spec.scope, spec.key) not in values)
            for spec in specs
        ]

    # --- writing --------------------------------------------------------------------
    async def validate(self, guild_id: int, spec: SettingSpec, value: Any, *, from_text: bool = False,
                       actor: Any = None) -> Any:
        """The value as it would be stored, or :class:`InvalidSetting` saying what is expected.

        ``actor`` is who is configuring (a ``discord.Member`` or ``alphapy.authority.OPERATOR``):
        roles the value makes the bot give or ping must be ones they could give or ping in
        Discord. Without an actor the caller is the bot's own code, which is trusted.
        """
        try:
            if from_text:
                if not isinstance(value, str):
                    raise InvalidValue(spec.type.expected())
                value = spec.type.parse(value)
            else:
                value = spec.type.validate(value)
        except InvalidValue as exc:
            raise InvalidSetting(f"{spec.full_name} must be {exc.expected}") from None
        await self._check_references(guild_id, spec, value)
        await self.judge_roles(guild_id, spec, value, actor)
        return value

    async def judge_roles(self, guild_id: int, spec: SettingSpec, value: Any, actor: Any) -> list[str]:
        """Refuse (:class:`InvalidSetting`) roles ``actor`` may not make the bot give or ping;
        return the notes the operator is told (what a role can do)."""
        if actor is None or value is None:
            return []
        try:
            uses = spec.type.role_uses(value)
        except InvalidValue as exc:
            raise InvalidSetting(f"{spec.full_name} must be {exc.expected}") from None
        if not uses or self.role_check is None:
            return []
        refusal, notes = await self.role_check(guild_id, uses, actor)
        if refusal is not None:
            raise InvalidSetting(f"{spec.full_name}: {refusal}")
        return notes

    async def _check_references(self, guild_id: int, spec: SettingSpec, value: Any) -> None:
        if self.reference_check is None or value is None:
            return
        kind = spec.type
        if isinstance(kind, ChannelType):
            ids, what = [value], "channel"
        elif isinstance(kind, ChannelListType):
            ids, what = list(value), "channel"
        elif isinstance(kind, RoleType):
            ids, what = [value], "role"
        else:
            return
        for item in ids:
            if not await self.reference_check(guild_id, what, item):
                raise InvalidSetting(f"{spec.full_name} must be {kind.expected()}")

    async def _check_premium(self, guild_id: int, spec: SettingSpec, changed_by: int | None) -> None:
        if not spec.premium or changed_by is None:
            return  # operators (changed_by None) are not gated
        allowed = await self.premium_check(guild_id, changed_by) if self.premium_check else False
        if not allowed:
            raise PremiumRequired(f"{spec.full_name} is a premium setting: it needs an active premium subscription in this server")

    async def set(
        self,
        guild_id: int,
        scope: str,
        key: str,
        value: Any,
        *,
        changed_by: int | None = None,
        from_text: bool = False,
        actor: Any = None,
    ) -> HistoryEntry:
        """Validate and store a value (``from_text`` parses what a person typed; ``actor``,
        who is configuring, see :meth:`validate`)."""
        spec = self.spec(scope, key)
        value = await self.validate(guild_id, spec, value, from_text=from_text, actor=actor)
        await self._check_premium(guild_id, spec, changed_by)
        entry = await self._writes.write(store.NewValue(guild_id, scope, key, value, spec.type.name, changed_by))
        self.invalidate(guild_id)
        log.info("settings.changed", guild_id=guild_id, setting=spec.full_name,
                 change=entry.change_type, by=changed_by, history_id=entry.id)
        return entry

    async def reset(self, guild_id: int, scope: str, key: str, *, changed_by: int | None = None) -> HistoryEntry | None:
        """Delete the guild's value (back to the default); None when it had none."""
        spec = self.spec(scope, key)
        await self._check_premium(guild_id, spec, changed_by)
        async with self.db.acquire() as conn:
            entry = await store.delete(conn, guild_id, scope, key, changed_by)
        self.invalidate(guild_id)
        if entry is not None:
            log.info("settings.changed", guild_id=guild_id, setting=spec.full_name, change="deleted",
                     by=changed_by, history_id=entry.id)
        return entry

    async def rollback(self, guild_id: int, history_id: int, *, changed_by: int | None = None,
                       actor: Any = None) -> HistoryEntry:
        """Put a setting back to the value history entry ``history_id`` recorded.

        A ``deleted`` entry rolls back to the default. The rollback is itself a history
        row (``rollback``), so it can be rolled back too. Only this guild's entries count.
        """
        async with self.db.acquire() as conn:
            target = await store.history_entry(conn, guild_id, history_id)
        if target is None:
            raise HistoryNotFound(f"there is no settings history entry #{history_id} in this server")
        spec = self.spec(target.scope, target.key)
        await self._check_premium(guild_id, spec, changed_by)
        restores_default = target.change_type == "deleted" or (
            target.change_type == "rollback" and target.new_value is None
        )
        async with self.db.acquire() as conn:
            if restores_default:
                entry = await store.delete(conn, guild_id, target.scope, target.key, changed_by, "rollback")
                if entry is None:
                    raise SettingsError(f"{spec.full_name} already has its default value")
            else:
                value = await self.validate(guild_id, spec, target.new_value, actor=actor)
                entry = await store.write(conn, guild_id, target.scope, target.key, value, spec.type.name,
                                          changed_by, "rollback")
        self.invalidate(guild_id)
        log.info("settings.rolled_back", guild_id=guild_id, setting=spec.full_name, to_history_id=history_id,
                 by=changed_by, history_id=entry.id)
        return entry

    async def history_entry(self, guild_id: int, history_id: int) -> HistoryEntry:
        """One entry of this guild's history (a rollback's confirmation shows it first)."""
        async with self.db.acquire() as conn:
            entry = await store.history_entry(conn, guild_id, history_id)
        if entry is None:
            raise HistoryNotFound(f"there is no settings history entry #{history_id} in this server")
        return entry

    async def history(
        self,
        guild_id: int,
        scope: str | None = None,
        key: str | None = None,
        *,
        before_id: int | None = None,
        limit: int = 20,
    ) -> list[HistoryEntry]:
        """Changes, newest first; pass the last id seen as ``before_id`` for the next page."""
        if key is not None and scope is None:
            raise SettingsError("give the scope of the key too")
        limit = max(1, min(limit, HISTORY_PAGE_MAX))
        async with self.db.acquire() as conn:
            return await store.history(conn, guild_id, scope, key, before_id, limit)

    # --- plugin switches --------------------------------------------------------------
    async def is_enabled(self, guild_id: int, plugin: str) -> bool:
        """Whether ``plugin`` is switched on in this guild (the gate every command passes)."""
        if (PLUGINS_SCOPE, plugin) not in self.registry:
            return True  # not a gated plugin (the core itself)
        return bool(await self.get(guild_id, PLUGINS_SCOPE, plugin))

    async def set_enabled(self, guild_id: int, plugin: str, enabled: bool, *, changed_by: int | None = None) -> HistoryEntry:
        return await self.set(guild_id, PLUGINS_SCOPE, plugin, enabled, changed_by=changed_by)

    def stats(self) -> dict[str, Any]:
        return {
            "cached_guilds": len(self._cache),
            "hits": self.hits,
            "misses": self.misses,
            "invalidations": self.invalidations,
            "listening": self._listening,
            "reconnects": self.reconnects,
            "writes": self._writes.writes,
            "write_batches": self._writes.batches,
        }


def jittered(seconds: float) -> float:
    """Backoff with jitter, so that reconnecting processes do not stampede."""
    return seconds * (0.5 + random.random())

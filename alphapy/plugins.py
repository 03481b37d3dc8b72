"""The plugin manager: discovery, isolation, and calling hooks that may be async.

Discovery is ours, not pluggy's ``load_setuptools_entrypoints``: that one stops at the
first plugin that fails to import and loads in no fixed order. Here every entry point
of the ``alphapy.plugins`` group is loaded in name order, each inside its own
try/except; a broken plugin is logged and listed as failed, the others load. A name
that several installed packages register is refused for all of them.
"""

from __future__ import annotations

import inspect
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Any, Literal

import pluggy

from alphapy import PROJECT_NAME, hookspecs
from alphapy.db.migrate import MigrationSource, core_source

ENTRY_POINT_GROUP = "alphapy.plugins"
DEFAULT_HOOK_TIMEOUT = 10.0

PluginStatus = Literal["loaded", "failed", "missing"]


@dataclass
class PluginInfo:
    """What ``alphapy plugins`` shows about one plugin."""

    name: str
    status: PluginStatus
    version: str | None = None
    module: str | None = None
    description: str | None = None
    error: str | None = None
    hooks: list[str] = field(default_factory=list)


@dataclass
class HookResult:
    """One implementation's answer to a hook call: a value, or the error it raised."""

    plugin: str
    value: Any = None
    error: BaseException | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def _describe_error(exc: BaseException) -> str:
    """One line: the exception type and its message (pluggy's span several lines)."""
    text = " ".join(line.strip() for line in str(exc).strip().splitlines() if line.strip())
    if len(text) > 300:
        text = text[:297] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


_COUNT_WORDS = {2: "two", 3: "three", 4: "four"}


def shared_name_reason(name: str, claims: Iterable[EntryPoint]) -> str:
    """Why a plugin name claimed by several distributions is refused, naming each one."""
    owners = sorted(
        f"{ep.dist.name} {ep.dist.version}" if getattr(ep, "dist", None) is not None else ep.value
        for ep in claims
    )
    count = _COUNT_WORDS.get(len(owners), str(len(owners)))
    return f"{count} installed packages register the plugin name {name!r}: {', '.join(owners)}"


class PluginManager:
    """pluggy's manager plus Alphapy's loading rules and async hook calls."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.context: dict[str, Any] = {}

    def provide(self, **values: Any) -> None:
        """Offer ``values`` (``bot=``, ``db=``) to every hook implementation that names them.

        Event hooks are fired by other plugins (``ticket_summarized``) or by the core
        (``user_data``) with only their own arguments; an implementation that needs the
        running bot or the database asks for it by name, as it would for ``health(bot)``.
        An argument given at the call wins over a provided one.
        """
        self.context.update(values)

    # --- loading --------------------------------------------------------------------
    def load_entrypoints(self, only: Iterable[str] | None = None, *, log_failures: bool = True) -> list[PluginInfo]:
        """Load installed plugins, sorted by name; ``only`` limits which (empty: none)."""
        wanted = None if only is None else {name.strip() for name in only if name.strip()}
        found: dict[str, list[EntryPoint]] = {}
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            found.setdefault(ep.name, []).append(ep)
        for name in sorted(found):
            if wanted is not None and name not in wanted:
                continue
            if len(found[name]) > 1:
                self._refuse_shared_name(name, found[name], log_failures)
                continue
            ep = found[name][0]
            dist = getattr(ep, "dist", None)
            version = dist.version if dist is not None else None
            description = dist.metadata.get("Summary") if dist is not None else None
            try:
                plugin = ep.load()
            except Exception as exc:  # a broken plugin must not stop the others
                from alphapy.log import get_logger

                if log_failures:
                        get_logger(__name__).error("plugin.load_failed", plugin=name, error=_describe_error(exc),
                                               traceback="".join(traceback.format_exception(exc)))
                self.infos[name] = PluginInfo(name, "failed", version, ep.value, description,
                                              _describe_error(exc))
                continue
            self.register(plugin, name, version=version, description=description)
        for name in sorted((wanted or set()) - set(found)):
            self.infos[name] = PluginInfo(name, "missing", error="ALPHAPY_PLUGINS names it, but it is not installed")
        return list(self.infos.values())

    def _refuse_shared_name(self, name: str, claims: list[EntryPoint], log_failures: bool) -> None:
        """Several distributions claim one name: load none of them.

        Which one would win depends on ``sys.path`` order, so the bot could run a
        different package than the host believes; refusing all makes the clash visible.
        """
        reason = shared_name_reason(name, claims)
        if log_failures:
            from alphapy.log import get_logger

            get_logger(__name__).error("plugin.name_clash", plugin=name, error=reason)
        self.infos[name] = PluginInfo(name, "failed", error=reason)

    def register(self, plugin: Any, name: str, *, version: str | None = None,
                 description: str | None = None) -> PluginInfo:
        """Register a plugin object or module (tests use this to load plugins explicitly)."""
        module = getattr(plugin, "__name__", type(plugin).__name__)
        try:
            extra_specs = getattr(plugin, "alphapy_hookspecs", None)
            if extra_specs is not None:
                self.pm.add_hookspecs(extra_specs)
            self.pm.register(plugin, name=name)
        except Exception as exc:
            info = PluginInfo(name, "failed", version, module, description, _describe_error(exc))
        else:
            if description is None:
                doc = inspect.getdoc(plugin) or ""
                description = doc.splitlines()[0] if doc else None
            info = PluginInfo(name, "loaded", version, module, description, None, self._hooks_of(plugin))
        self.infos[name] = info
        return info

    def _hooks_of(self, plugin: Any) -> list[str]:
        return sorted(
            caller.name for caller in self.pm.get_hookcallers(plugin) or []
        )

    def mark_failed(self, name: str, exc: BaseException | str) -> None:
        """A plugin failed after loading (a bad hook answer): unregister and report it.

        ``exc`` is the exception, or a reason already written for the host.
        """
        plugin = self.pm.get_plugin(name)
        if plugin is not None:
            self.pm.unregister(plugin)
        info = self.infos.get(name) or PluginInfo(name, "failed")
        info.status = "failed"
        info.error = exc if isinstance(exc, str) else _describe_error(exc)
        self.infos[name] = info

    @property
    def loaded(self) -> list[str]:
        """Names of the plugins that loaded, in name order."""
        return sorted(name for name, info in self.infos.items() if info.status == "loaded")

    # --- calling hooks ----------------------------------------------------------------
    def _impls(self, hook_name: str) -> list[Any]:
        caller = getattr(self.pm.hook, hook_name, None)
        if caller is None:
            return []
        # pluggy calls implementations last-registered first; we call in name order.
        return sorted(caller.get_hookimpls(), key=lambda impl: impl.plugin_name)

    def _arguments(self, impl: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        """What ``impl`` names, from the call's arguments or else from :meth:`provide`."""
        offered = {**self.context, **kwargs}
        return {name: offered[name] for name in impl.argnames if name in offered}

    def call_each(self, hook_name: str, **kwargs: Any) -> list[HookResult]:
        """Call a synchronous hook on every plugin, each isolated from the others."""
        results = []
        for impl in self._impls(hook_name):
            args = self._arguments(impl, kwargs)
            started = time.perf_counter()
            try:
                value = impl.function(**args)
                results.append(HookResult(impl.plugin_name, value, None, time.perf_counter() - started))
            except Exception as exc:
                results.append(HookResult(impl.plugin_name, None, exc, time.perf_counter() - started))
        return results

    async def call_async(self, hook_name: str, *, timeout: float = DEFAULT_HOOK_TIMEOUT,
                         concurrent: bool = True, **kwargs: Any) -> list[HookResult]:
        """Call a hook whose implementations may be async: await, time out and isolate each.

        With ``concurrent`` the plugins run side by side (health checks); without, one
        after another in name order (startup, shutdown).
        """
        import asyncio

        impls = self._impls(hook_name)
        if concurrent:
            return list(await asyncio.gather(*(self._invoke(hook_name, i, timeout, kwargs) for i in impls)))
        return [await self._invoke(hook_name, impl, timeout, kwargs) for impl in impls]

    async def call_first(self, hook_name: str, *, timeout: float = DEFAULT_HOOK_TIMEOUT,
                         **kwargs: Any) -> Any:
        """The first non-``None`` answer, asking plugins one by one in name order."""
        for impl in self._impls(hook_name):
            result = await self._invoke(hook_name, impl, timeout, kwargs)
            if result.ok and result.value is not None:
                return result.value
        return None

    async def _invoke(self, hook_name: str, impl: Any, timeout: float,
                      kwargs: dict[str, Any]) -> HookResult:
        import asyncio

        from alphapy.log import get_logger, log_context

        args = self._arguments(impl, kwargs)
        started = time.perf_counter()
        with log_context(plugin=impl.plugin_name):
            try:
                value = impl.function(**args)
                if inspect.isawaitable(value):
                    value = await asyncio.wait_for(value, timeout)
                return HookResult(impl.plugin_name, value, None, time.perf_counter() - started)
            except asyncio.TimeoutError:
                exc: BaseException = TimeoutError(f"{hook_name} took longer than {timeout:g} s")
            except Exception as error:
                exc = error
            get_logger(__name__).error(
                "hook.failed", hook=hook_name, error=_describe_error(exc),
                traceback="".join(traceback.format_exception(exc)),
            )
            return HookResult(impl.plugin_name, None, exc, time.perf_counter() - started)

    # --- contributions ----------------------------------------------------------------
    def migration_sources(self) -> list[MigrationSource]:
        """The core's migrations first, then each plugin's that declares some."""
        sources = [core_source()]
        for result in self.call_each("register_migrations"):
            if result.error is not None:  # that plugin cannot run; the others still can
                self.mark_failed(result.plugin, result.error)
                continue
            if result.value is None:
                continue
            sources.append(MigrationSource(result.plugin, Path(str(result.value))))
        return sources

"""The plugin manager: discovery, isolation, and calling hooks that may be async.

Discovery is ours, not pluggy's ``load_setuptools_entrypoints``: that one stops at the
first plugin that fails to import and loads in no fixed order. Here every entry point
of the ``alphapy.plugins`` group is loaded in name order, each inside its own
try/except; a broken plugin is logged and listed as failed, the others load. A name
that several installed packages register is refused for all of them.
"""

from __future__ import annotations

import difflib
import functools
import inspect
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import (
    Distribution,
    EntryPoint,
    PackageNotFoundError,
    distribution,
    entry_points,
    packages_distributions,
)
from pathlib import Path
from types import CoroutineType
from typing import TYPE_CHECKING, Any, Literal

import pluggy

from alphapy import PROJECT_NAME, hookspecs
from alphapy.redaction import describe_exception
from alphapy.running_plugin import enter_hook_plugin, leave_hook_plugin

if TYPE_CHECKING:
    from alphapy.db.migrate import MigrationSource
    from alphapy.hook_deadlines import HookDeadlines

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


_COUNT_WORDS = {2: "two", 3: "three", 4: "four"}

PerPlugin = Callable[[str], Mapping[str, Any]]
"""Arguments that differ per plugin (its own settings registrar, its own demo tour)."""


_deadlines_for: Callable[[dict[Any, HookDeadlines]], HookDeadlines] | None = None


def _load_deadlines() -> Callable[[dict[Any, HookDeadlines]], HookDeadlines]:
    """:func:`alphapy.hook_deadlines.deadlines_for`, imported at the first timed hook call:
    it brings asyncio, which ``alphapy --help`` has no use for; kept in a module global
    so that the calls after the first pay no import statement."""
    global _deadlines_for
    from alphapy.hook_deadlines import deadlines_for

    _deadlines_for = deadlines_for
    return deadlines_for


class UnknownHook(LookupError):
    """A hook name that nobody declared: without this a typo would call nothing, silently."""


def shared_name_reason(name: str, claims: Iterable[EntryPoint]) -> str:
    """Why a plugin name claimed by several distributions is refused, naming each one."""
    owners = sorted(
        f"{ep.dist.name} {ep.dist.version}" if ep.dist is not None else ep.value
        for ep in claims
    )
    count = _COUNT_WORDS.get(len(owners), str(len(owners)))
    return f"{count} installed packages register the plugin name {name!r}: {', '.join(owners)}"


@functools.lru_cache(maxsize=4)
def _packages_on(path: tuple[str, ...]) -> Mapping[str, list[str]]:
    """Top-level import names to packages; scanning every installed package is slow, and
    tests register plugins many times over one ``sys.path`` (the cache key)."""
    return packages_distributions()


def installed_distribution(plugin: Any) -> Distribution | None:
    """The installed package a plugin module comes from, for its version and description.

    Tests register plugin modules directly, without the entry point that carries the
    package; hosts should see in ``/plugins list`` what the package says about itself
    either way, not the first line of ``plugin.py``. The entry point naming the module is
    found first (editable installs too), then the package that ships its top-level import
    name. Objects and modules built in memory have no package.
    """
    if not inspect.ismodule(plugin) or getattr(plugin, "__file__", None) is None:
        return None
    module = plugin.__name__
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.module == module and getattr(ep, "dist", None) is not None:
            return ep.dist
    owners = _packages_on(tuple(sys.path)).get(module.partition(".")[0], [])
    if len(owners) != 1:
        return None
    try:
        return distribution(owners[0])
    except PackageNotFoundError:
        return None


class PluginManager:
    """pluggy's manager plus Alphapy's loading rules and async hook calls."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self.context: dict[str, Any] = {"bot": None}  # no bot until one is provided (the command line)
        self._ordered_impls: dict[str, list[Any]] = {}
        self._deadlines: dict[Any, HookDeadlines] = {}

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
                        get_logger(__name__).error("plugin.load_failed", plugin=name, error=describe_exception(exc),
                                               traceback="".join(traceback.format_exception(exc)))
                self.infos[name] = PluginInfo(name, "failed", version, ep.value, description,
                                              describe_exception(exc))
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
            own_specs = getattr(plugin, "alphapy_hookspecs", None)
            if own_specs is not None:
                self._add_plugin_hookspecs(name, own_specs)
            self.pm.register(plugin, name=name)
        except Exception as exc:
            self._hooks_changed()
            info = PluginInfo(name, "failed", version, module, description, describe_exception(exc))
        else:
            self._hooks_changed()
            if version is None and description is None:
                dist = installed_distribution(plugin)
                if dist is not None:
                    # The metadata is an email Message, which has get(); the stdlib's protocol omits it.
                    version, description = dist.version, dist.metadata.get("Summary")  # type: ignore[attr-defined]
            if description is None:
                doc = inspect.getdoc(plugin) or ""
                description = doc.splitlines()[0] if doc else None
            info = PluginInfo(name, "loaded", version, module, description, None, self._hooks_of(plugin))
        self.infos[name] = info
        return info

    def _add_plugin_hookspecs(self, name: str, specs: Any) -> None:
        """Declare the hooks a plugin offers others (its ``alphapy_hookspecs``).

        A plugin that implements such a hook may have registered first (``faq`` before
        ``tickets``): pluggy then checks its implementation only now, and a mismatch
        would fail the declaring plugin. The implementer is the one at fault, so it is
        refused here, with the reason, before the declaration goes in.
        """
        for hook_name, spec in self._declared_in(specs).items():
            caller = getattr(self.pm.hook, hook_name, None)
            if caller is None or caller.has_spec():
                continue  # a new hook, or one declared twice (pluggy refuses the latter)
            offered = [arg for arg in inspect.signature(spec).parameters if arg not in ("self", "cls")]
            for impl in list(caller.get_hookimpls()):
                extra = [arg for arg in impl.argnames if arg not in offered]
                if extra:
                    self.mark_failed(impl.plugin_name, (
                        f"its {hook_name} hook takes {', '.join(extra)}, which the {name} plugin's "
                        f"{hook_name}({', '.join(offered)}) does not offer"))
        self.pm.add_hookspecs(specs)
        self._hooks_changed()

    def _declared_in(self, specs: Any) -> dict[str, Any]:
        return {attr: getattr(specs, attr) for attr in dir(specs)
                if self.pm.parse_hookspec_opts(specs, attr) is not None}

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
            self._hooks_changed()
        info = self.infos.get(name) or PluginInfo(name, "failed")
        info.status = "failed"
        info.error = exc if isinstance(exc, str) else describe_exception(exc)
        self.infos[name] = info

    @property
    def loaded(self) -> list[str]:
        """Names of the plugins that loaded, in name order."""
        return sorted(name for name, info in self.infos.items() if info.status == "loaded")

    # --- calling hooks ----------------------------------------------------------------
    def hook_names(self) -> list[str]:
        """Every hook that may be called: declared by the core or a loaded plugin, or
        implemented only as optional (the plugin that declares it is not installed)."""
        return sorted(name for name, caller in vars(self.pm.hook).items()
                      if isinstance(caller, pluggy.HookCaller) and self._callable(caller))

    @staticmethod
    def _callable(caller: pluggy.HookCaller) -> bool:
        impls = caller.get_hookimpls()
        return caller.has_spec() or (bool(impls) and all(impl.optionalhook for impl in impls))

    def _impls(self, hook_name: str) -> list[Any]:
        """The implementations to call, in name order; an undeclared name raises.

        A hook with no declaration but optional implementations is one of a plugin that
        is not installed here: calling it reaches those implementations, as the
        declaring plugin would. The ordered list is kept until a plugin or a hook
        declaration comes or goes (:meth:`_hooks_changed`): hooks run on hot paths.
        """
        ordered = self._ordered_impls.get(hook_name)
        if ordered is not None:
            return ordered
        caller = getattr(self.pm.hook, hook_name, None)
        if not isinstance(caller, pluggy.HookCaller) or not self._callable(caller):
            raise UnknownHook(self._unknown_hook_message(hook_name))
        # pluggy calls implementations last-registered first; we call in name order.
        ordered = sorted(caller.get_hookimpls(), key=lambda impl: impl.plugin_name)
        self._ordered_impls[hook_name] = ordered
        return ordered

    def _hooks_changed(self) -> None:
        """Forget the ordered implementation lists after pluggy's registry changed."""
        self._ordered_impls.clear()

    def _unknown_hook_message(self, hook_name: str) -> str:
        close = difflib.get_close_matches(hook_name, self.hook_names(), n=1)
        hint = (f"did you mean {close[0]!r}?" if close
                else "hooks are declared in alphapy.hookspecs or by a plugin's alphapy_hookspecs")
        return f"no hook named {hook_name!r} ({hint})"

    def _arguments(self, impl: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """What ``impl`` names, from the call's arguments or else from :meth:`provide`."""
        context = self.context  # not merged into a new dict: this runs on every hook call
        return {name: kwargs[name] if name in kwargs else context[name]
                for name in impl.argnames if name in kwargs or name in context}

    @staticmethod
    def _with_own(impl: Any, kwargs: dict[str, Any], per_plugin: PerPlugin | None) -> dict[str, Any]:
        return kwargs if per_plugin is None else {**kwargs, **per_plugin(impl.plugin_name)}

    def call_each(self, hook_name: str, *, per_plugin: PerPlugin | None = None,
                  **kwargs: Any) -> list[HookResult]:
        """Call a synchronous hook on every plugin, each isolated from the others.

        ``per_plugin(name)`` adds arguments that belong to one plugin (the registrar of
        its own settings scope), so that the caller needs no loop of its own.
        """
        results = []
        for impl in self._impls(hook_name):
            started = time.perf_counter()
            try:
                args = self._arguments(impl, self._with_own(impl, kwargs, per_plugin))
                value = impl.function(**args)
                results.append(HookResult(impl.plugin_name, value, None, time.perf_counter() - started))
            except Exception as exc:
                results.append(HookResult(impl.plugin_name, None, exc, time.perf_counter() - started))
        return results

    async def call_async(self, hook_name: str, *, timeout: float | None = DEFAULT_HOOK_TIMEOUT,
                         concurrent: bool = True, per_plugin: PerPlugin | None = None,
                         unavailable: tuple[str, ...] = (), **kwargs: Any) -> list[HookResult]:
        """Call a hook whose implementations may be async: await, time out and isolate each.

        With ``concurrent`` the plugins run side by side (health checks); without, one
        after another in name order (startup, shutdown). ``per_plugin`` as in
        :meth:`call_each`. Implementations that take an argument named in ``unavailable``
        are not asked (a health check before the bot exists skips those that need it).
        """
        impls = self._impls(hook_name)
        if unavailable:
            impls = [impl for impl in impls if not any(name in impl.argnames for name in unavailable)]
        if concurrent and len(impls) > 1:  # gather wraps each call in a task: only worth it for two or more
            import asyncio

            return list(await asyncio.gather(*(
                self._invoke(hook_name, impl, timeout, self._with_own(impl, kwargs, per_plugin)) for impl in impls)))
        results = []
        for impl in impls:  # a plain loop: an ``await`` inside a comprehension costs a coroutine of its own
            results.append(await self._invoke(hook_name, impl, timeout, self._with_own(impl, kwargs, per_plugin)))
        return results

    async def call_first(self, hook_name: str, *, timeout: float | None = DEFAULT_HOOK_TIMEOUT,
                         **kwargs: Any) -> Any:
        """The first non-``None`` answer, asking plugins one by one in name order.

        The premium check of every gated command comes here: no :class:`HookResult`
        and no clock for the answers nobody keeps.
        """
        for impl in self._impls(hook_name):
            token = enter_hook_plugin(impl.plugin_name)
            try:
                value = await self._answer(hook_name, impl, timeout, kwargs)
            except Exception as exc:
                self._log_failure(hook_name, impl.plugin_name, exc)
                continue
            finally:
                leave_hook_plugin(token)
            if value is not None:
                return value
        return None

    async def _invoke(self, hook_name: str, impl: Any, timeout: float | None,
                      kwargs: dict[str, Any]) -> HookResult:
        """Call one implementation, isolated: its error or its timeout becomes its result."""
        started = time.perf_counter()
        token = enter_hook_plugin(impl.plugin_name)
        try:
            value = await self._answer(hook_name, impl, timeout, kwargs)
            return HookResult(impl.plugin_name, value, None, time.perf_counter() - started)
        except Exception as exc:
            self._log_failure(hook_name, impl.plugin_name, exc)
            return HookResult(impl.plugin_name, None, exc, time.perf_counter() - started)
        finally:
            leave_hook_plugin(token)

    async def _answer(self, hook_name: str, impl: Any, timeout: float | None, kwargs: dict[str, Any]) -> Any:
        """One implementation's answer, awaited within ``timeout`` seconds (None: no limit).

        This is on hot paths (a premium check on every gated command), so it costs as
        little as the isolation allows: the time limit is one entry in a set watched by
        one timer (:mod:`alphapy.hook_deadlines`), not ``wait_for`` (which wraps the
        awaitable in a task of its own on 3.11) nor a timer per call; the callers set
        the plugin's name in one context variable that the log pipeline reads only when
        something is logged (:mod:`alphapy.running_plugin`).
        """
        value = impl.function(**self._arguments(impl, kwargs))
        if not (type(value) is CoroutineType or inspect.isawaitable(value)):  # the first test is the cheap one
            return value
        if timeout is None:
            return await value
        deadline = (_deadlines_for or _load_deadlines())(self._deadlines).start(timeout)
        try:
            value = await value
        except BaseException as error:
            if deadline.finish(error):
                raise TimeoutError(f"{hook_name} took longer than {timeout:g} s") from None
            raise
        deadline.finish(None)
        return value

    @staticmethod
    def _log_failure(hook_name: str, plugin: str, exc: BaseException) -> None:
        from alphapy.log import get_logger

        get_logger(__name__).error(
            "hook.failed", hook=hook_name, plugin=plugin, error=describe_exception(exc),
            traceback="".join(traceback.format_exception(exc)),
        )

    # --- contributions ----------------------------------------------------------------
    def migration_sources(self) -> list[MigrationSource]:
        """The core's migrations first, then each plugin's that declares some."""
        from alphapy.db.migrate import MigrationSource, core_source

        sources = [core_source()]
        for result in self.call_each("register_migrations"):
            if result.error is not None:  # that plugin cannot run; the others still can
                self.mark_failed(result.plugin, result.error)
                continue
            if result.value is None:
                continue
            sources.append(MigrationSource(result.plugin, Path(str(result.value))))
        return sources

"""The :class:`DiscordEmulator`: one loopback server with REST, gateway, state and drivers.

Start it, point discord.py at it with
``alphapy.discord_endpoints.configure_endpoints(emu.api_base, emu.gateway_url)``, run an
unmodified bot, then drive it like a person (see :mod:`.drivers`) and assert on state.
It binds 127.0.0.1 on a free port and nothing else: tests never touch the network.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from aiohttp import web

from . import permissions as perms
from .clock import Clock
from .drivers import DriversMixin, EmulatorTimeout
from .gateway import Gateway
from .interactions import InteractionLog
from .limits import Refusal, known_rules
from .ratelimits import RateLimiter, RateLimitRule
from .routes import RestAPI
from .server import API_PREFIX, RequestLog, make_middleware
from .spec import OpenAPISpec, SpecViolation, load_spec, spec_path_from_env
from .state import Application, EmulatorState, Guild, User
from .state.oauth2 import OAuth2State

log = logging.getLogger("alphapy.testing.emulator")

LOOPBACK = "127.0.0.1"


class DiscordEmulator(DriversMixin):
    """An in-process Discord for tests, demos and offline runs.

    Build state before or after starting (``emu.add_guild(...)``); once a bot is connected,
    builders also send the matching gateway events.
    """

    def __init__(
        self,
        *,
        bot_name: str = "Alphapy",
        openapi_spec: Path | str | Literal[False] | None = None,
        shard_count: int = 1,
        max_concurrency: int = 1,
        identify_interval: float = 0.0,
        bot_permissions: Any = perms.DEFAULT_BOT,
        timeout: float = 5.0,
        quiet_period: float = 0.05,
        interaction_deadline: float = 3.0,
        token: str | None = None,
        accept_any_token: bool = False,
        strict_token: bool | None = None,
        enforce_intents: bool = True,
        request_log_size: int = 50_000,
        rate_limit_per_window: int = 10_000,
        global_rate_limit: int | None = None,
        port: int = 0,
    ) -> None:
        self.state = EmulatorState(bot_name=bot_name, bot_permissions=bot_permissions)
        if openapi_spec is False:
            self._spec_path: Path | None = None
        else:
            self._spec_path = Path(openapi_spec) if openapi_spec else spec_path_from_env()
            if self._spec_path is not None and not self._spec_path.is_file():
                raise FileNotFoundError(f"no OpenAPI description at {self._spec_path}")
        self._spec: OpenAPISpec | None = None
        #: every body that did not match the description
        self.spec_violations: list[SpecViolation] = []
        #: every request the bot made, oldest first (bounded)
        self.requests = RequestLog(maxlen=request_log_size)
        #: emulator bugs met while answering (a fixture should fail the test on any)
        self.internal_errors: list[str] = []
        #: requests to routes the emulator does not know (answered 404)
        self.unknown_routes: list[str] = []
        #: bodies refused as Discord would (400 Invalid Form Body), newest last and bounded (an
        #: offline run lasts); a fixture fails the test on any
        self.refusals: deque[Refusal] = deque(maxlen=1000)
        #: named rules a test switched off with :meth:`allow`
        self.allowed_rules: set[str] = set()
        self.shard_count = shard_count
        self.timeout = timeout
        self.quiet_period = quiet_period
        self.token = token or self.state.bot_token
        #: Discord refuses a bot token it never issued, at login (REST) and at identify
        #: (gateway 4004); a test that needs any token to work opts in with ``accept_any_token``.
        #: (``strict_token`` is the older spelling of the opposite.)
        self.accept_any_token = accept_any_token if strict_token is None else not strict_token
        self.ratelimiter = RateLimiter(limit=rate_limit_per_window, global_limit=global_rate_limit)
        #: Discord's time limits are measured on this clock; tests move it with :meth:`advance_time`
        self.clock = Clock()
        #: OAuth2 client credentials, codes and tokens for a "log in with Discord" web app
        self.oauth2 = OAuth2State(self.state.application.id, clock=self.clock.now)
        self.interactions = InteractionLog(self.state, deadline=interaction_deadline, clock=self.clock)
        self.gateway = Gateway(self.state, url=lambda: self.gateway_url, on_activity=self._touch)
        self.gateway.enforce_intents = enforce_intents
        self.gateway.accepts_token = self.accepts_token
        #: ``identify_interval`` > 0 refuses (4008) an IDENTIFY sooner than that after the
        #: previous one of its bucket ``shard_id % max_concurrency`` (Discord: 5 s)
        self.gateway.start_limit.max_concurrency = max_concurrency
        self.gateway.start_limit.identify_interval = identify_interval
        #: an ``errors`` tree the bulk overwrite answers with even for legal commands (see
        #: :meth:`refuse_command_sync`); None: legal commands are accepted
        self.command_sync_refusal: dict[str, Any] | None = None
        self._port = port
        self._runner: web.AppRunner | None = None
        self._request_seq = 0
        self._inflight = 0
        self._last_activity = time.monotonic()
        self._changed = asyncio.Event()

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> DiscordEmulator:
        """Listen on 127.0.0.1 (a free port unless one was given)."""
        if self._runner is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK, self._port))
        self._port = sock.getsockname()[1]
        app = web.Application(middlewares=[make_middleware(self)], client_max_size=64 * 1024 * 1024)
        RestAPI(self).install(app)
        app.router.add_get("/ws", self.gateway.handle)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._runner = runner
        self._changed = asyncio.Event()
        self.state.base_url = self.base_url
        for att in self.state.attachments.values():
            if att.url.startswith("/"):
                att.url = self.base_url + att.url
        self.state.dispatch = self.gateway.dispatch
        log.info("Discord emulator on %s (gateway %s)", self.api_base, self.gateway_url)
        return self

    async def stop(self) -> None:
        if self._runner is None:
            return
        await self.gateway.close()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> DiscordEmulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def spec(self) -> OpenAPISpec | None:
        """Validators of Discord's OpenAPI description (None: validation off), loaded on
        first use and shared by every emulator of the process, so start-up does not pay for
        parsing it. ``openapi_spec=None`` means ``$ALPHAPY_DISCORD_OPENAPI`` or, unset, the
        description shipped with the testing kit; ``False`` switches the check off."""
        if self._spec is None and self._spec_path is not None:
            self._spec = load_spec(self._spec_path)
            if self._spec is None:
                self._spec_path = None
        return self._spec

    # ------------------------------------------------------------------ addresses
    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self._port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """What ``DiscordWebSocket.DEFAULT_GATEWAY`` must be."""
        return f"ws://{LOOPBACK}:{self._port}/ws"

    # ------------------------------------------------------------------ state shortcuts
    @property
    def bot_user(self) -> User:
        return self.state.bot_user

    @property
    def application(self) -> Application:
        return self.state.application

    @property
    def guilds(self) -> list[Guild]:
        return list(self.state.guilds.values())

    @property
    def users(self) -> list[User]:
        return list(self.state.users.values())

    def add_guild(
        self,
        name: str,
        *,
        owner_name: str | None = None,
        members: int | Iterable[str] = 0,
        text_channels: Iterable[str] = ("general",),
        bot_permissions: Any = None,
    ) -> Guild:
        """A guild with its owner, the bot (member + managed role with ``bot_permissions``,
        default: the emulator's), ``members`` more people and the listed text channels."""
        return self.state.add_guild(
            name, owner_name=owner_name, members=members, text_channels=text_channels, bot_permissions=bot_permissions
        )

    def add_user(self, name: str, *, bot: bool = False, dms_open: bool = True) -> User:
        """A user outside any guild (another bot, a DM-only user)."""
        return self.state.add_user(name, bot=bot, dms_open=dms_open)

    def guild(self, ref: Guild | str | int) -> Guild:
        return self.state.guild(ref)

    # ------------------------------------------------------------------ controls
    def accepts_token(self, token: str) -> bool:
        """Whether a bot logging in with ``token`` is let in."""
        return bool(token) and (self.accept_any_token or token == self.token)

    @property
    def strict_token(self) -> bool:
        return not self.accept_any_token

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's clock forward: an interaction token older than 15 minutes is
        then refused for follow-ups, as on Discord, without the test waiting."""
        self.clock.advance(seconds)

    def allow(self, *rules: str) -> None:
        """Accept bodies breaking the named rules (``"message.content.max_length"``,
        ``"openapi.request"``): for a test about what the bot does past a limit. Every other
        rule stays enforced; an unknown name is an error, so a typo cannot switch nothing off."""
        known = known_rules()
        unknown = sorted(set(rules) - known)
        if unknown:
            raise ValueError(f"unknown rule(s) {unknown}; the rules are listed in docs/discord-limits.md")
        self.allowed_rules.update(rules)

    def rate_limit(
        self,
        method: str,
        path_pattern: str,
        times: int = 1,
        retry_after: float = 0.05,
        scope: str = "user",
        global_: bool = False,
    ) -> RateLimitRule:
        """Answer the next ``times`` requests matching ``method`` (or ``"*"``) and
        ``path_pattern`` (``/channels/{channel_id}/messages``, ``*`` wildcards or a concrete
        path, without ``/api/v10``) with a 429 carrying Discord's headers and body."""
        return self.ratelimiter.add(
            method, path_pattern, times=times, retry_after=retry_after, scope=scope, global_=global_
        )

    def refuse_command_sync(self, errors: dict[str, Any] | None) -> None:
        """Answer every command bulk overwrite with ``400`` (50035) and ``errors``.

        Discord can refuse a list our rules accept (a rule it added, a limit it does not
        document); a test uses this to see what the bot does then. ``None`` stops refusing.
        """
        self.command_sync_refusal = errors

    async def drop_gateway(self, code: int | None = None) -> int:
        """Cut the bot's websocket(s) abruptly (``code=None``) or with a close code; the
        sessions stay resumable so discord.py should RESUME. Returns the number dropped."""
        return await self.gateway.drop(code)

    @property
    def connected(self) -> bool:
        return bool(self.gateway.connected_sessions)

    async def wait_connected(self, shards: int = 1, timeout: float | None = None) -> None:
        """Until ``shards`` sessions are connected (after READY/RESUMED was sent)."""
        await self.wait_until(
            lambda: len(self.gateway.connected_sessions) >= shards,
            timeout=timeout,
            message=f"{shards} gateway session(s) connected",
        )

    # ------------------------------------------------------------------ waiting
    def _touch(self) -> None:
        self._last_activity = time.monotonic()
        changed = self._changed
        self._changed = asyncio.Event()
        changed.set()

    def _next_request_seq(self) -> int:
        self._request_seq += 1
        return self._request_seq

    def _is_quiet(self, quiet: float) -> bool:
        return (
            self._inflight == 0 and self.gateway.pending_frames == 0 and time.monotonic() - self._last_activity >= quiet
        )

    async def settle(self, quiet: float | None = None, timeout: float | None = None) -> None:
        """Return once the bot has made no request for ``quiet`` seconds (default
        ``emu.quiet_period``) and every gateway frame is written: what the bot does in
        reaction to an event is then visible in state."""
        quiet = self.quiet_period if quiet is None else quiet
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while not self._is_quiet(quiet):
            now = time.monotonic()
            if now >= deadline:
                raise EmulatorTimeout(
                    f"the bot kept making requests for {timeout}s (no {quiet}s quiet period); last requests:\n"
                    + self.requests.describe(max(0, self._request_seq - 10))
                )
            wait = max(0.001, min(quiet - (now - self._last_activity), deadline - now))
            await asyncio.sleep(wait if self._inflight == 0 else 0.002)

    async def wait_until(
        self,
        predicate: Callable[[], Any] | Callable[[], Awaitable[Any]],
        timeout: float | None = None,
        message: str | None = None,
    ) -> Any:
        """Wait until ``predicate()`` (sync or async) is truthy and return its value.

        Re-checked whenever the emulator sees activity and at least every 10 ms (the
        predicate may read the bot's own state)."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        start_seq = self._request_seq
        while True:
            result = predicate()
            if inspect.isawaitable(result):
                result = await result
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                what = message or getattr(predicate, "__name__", "condition")
                raise EmulatorTimeout(
                    f"{what} not met within {timeout}s; the bot's requests meanwhile:\n"
                    + self.requests.describe(start_seq + 1)
                )
            try:
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.01))
            except TimeoutError:
                pass

    def __repr__(self) -> str:
        where = self.api_base if self._runner else "not started"
        return f"<DiscordEmulator {where} guilds={len(self.state.guilds)}>"

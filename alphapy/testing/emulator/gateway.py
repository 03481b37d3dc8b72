"""The websocket gateway the real discord.py client connects to.

Speaks Discord's gateway protocol with plain JSON **text** frames (discord.py inflates only
binary frames, so it reads text as is): HELLO, IDENTIFY (with ``shard``) -> READY and one
GUILD_CREATE per guild of that shard, heartbeats, RESUME with replay of the dispatches the
client missed (with their sequence numbers) or INVALID_SESSION when that is impossible, and
the dispatches the REST side and the test drivers produce.

Every session keeps a bounded buffer of its recent dispatches, so a test can drop the
connection (:meth:`Gateway.drop`) and prove that discord.py resumes and still receives what
happened meanwhile. Frames go through one writer task per connection, so dispatches made
from synchronous code keep their order.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .sharding import RATE_LIMITED_CLOSE_CODE, SessionStartLimit

if TYPE_CHECKING:
    from .state import EmulatorState

log = logging.getLogger("alphapy.testing.emulator.gateway")

# Intents (https://discord.com/developers/docs/events/gateway#gateway-intents)
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
DIRECT_MESSAGE_REACTIONS = 1 << 13
MESSAGE_CONTENT = 1 << 15

_GUILD_EVENT_INTENTS: dict[str, int] = {
    "GUILD_CREATE": GUILDS,
    "GUILD_UPDATE": GUILDS,
    "GUILD_DELETE": GUILDS,
    "GUILD_ROLE_CREATE": GUILDS,
    "GUILD_ROLE_UPDATE": GUILDS,
    "GUILD_ROLE_DELETE": GUILDS,
    "CHANNEL_CREATE": GUILDS,
    "CHANNEL_UPDATE": GUILDS,
    "CHANNEL_DELETE": GUILDS,
    "CHANNEL_PINS_UPDATE": GUILDS,
    "THREAD_CREATE": GUILDS,
    "THREAD_UPDATE": GUILDS,
    "THREAD_DELETE": GUILDS,
    "THREAD_MEMBER_UPDATE": GUILDS,
    "THREAD_MEMBERS_UPDATE": GUILDS,
    "GUILD_BAN_ADD": 1 << 2,  # GUILD_MODERATION
    "GUILD_BAN_REMOVE": 1 << 2,
    "GUILD_MEMBER_ADD": GUILD_MEMBERS,
    "GUILD_MEMBER_UPDATE": GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": GUILD_MEMBERS,
    "MESSAGE_CREATE": GUILD_MESSAGES,
    "MESSAGE_UPDATE": GUILD_MESSAGES,
    "MESSAGE_DELETE": GUILD_MESSAGES,
    "MESSAGE_DELETE_BULK": GUILD_MESSAGES,
    "MESSAGE_REACTION_ADD": GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": GUILD_MESSAGE_REACTIONS,
}
_DM_EVENT_INTENTS: dict[str, int] = {
    "MESSAGE_CREATE": DIRECT_MESSAGES,
    "MESSAGE_UPDATE": DIRECT_MESSAGES,
    "MESSAGE_DELETE": DIRECT_MESSAGES,
    "CHANNEL_PINS_UPDATE": DIRECT_MESSAGES,
    "MESSAGE_REACTION_ADD": DIRECT_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": DIRECT_MESSAGE_REACTIONS,
}
_CONTENT_EVENTS = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE"})

HEARTBEAT_INTERVAL_MS = 41_250
REPLAY_BUFFER = 2_000

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class Connection:
    """One websocket; frames are queued and written in order by a writer task."""

    __slots__ = ("ws", "transport", "queue", "writer", "session", "pending", "opened")

    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None) -> None:
        self.ws = ws
        self.transport = transport
        self.queue: asyncio.Queue[str | None] = asyncio.Queue()
        self.session: Session | None = None
        self.pending = 0
        self.opened = time.monotonic()
        self.writer = asyncio.get_running_loop().create_task(self._write())

    def send(self, text: str) -> None:
        self.pending += 1
        self.queue.put_nowait(text)

    async def _write(self) -> None:
        while True:
            text = await self.queue.get()
            if text is None:
                return
            try:
                if not self.ws.closed:
                    await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                pass
            finally:
                self.pending -= 1

    async def close(self) -> None:
        self.queue.put_nowait(None)
        try:
            await asyncio.wait_for(self.writer, 1.0)
        except (TimeoutError, asyncio.CancelledError):
            self.writer.cancel()


class Session:
    """A gateway session (one shard of one bot), resumable after its socket drops."""

    __slots__ = ("id", "shard_id", "shard_count", "intents", "seq", "buffer", "conn", "invalid")

    def __init__(self, shard_id: int, shard_count: int, intents: int) -> None:
        self.id = secrets.token_hex(16)
        self.shard_id = shard_id
        self.shard_count = shard_count
        self.intents = intents
        self.seq = 0
        self.buffer: deque[tuple[int, str]] = deque(maxlen=REPLAY_BUFFER)
        self.conn: Connection | None = None
        self.invalid = False

    @property
    def connected(self) -> bool:
        return self.conn is not None

    def wants(self, guild_id: int | None) -> bool:
        if guild_id is None:
            return self.shard_id == 0
        return (guild_id >> 22) % self.shard_count == self.shard_id

    def buffer_frames(self) -> list[dict[str, Any]]:
        """The recent dispatches of this session, decoded (oldest first)."""
        return [json.loads(text) for _seq, text in self.buffer]

    def __repr__(self) -> str:
        return f"<Session shard={self.shard_id}/{self.shard_count} seq={self.seq} connected={self.connected}>"


class Gateway:
    """All sessions and sockets of one emulator, and the routing of dispatches to shards."""

    def __init__(self, state: EmulatorState, *, url: Callable[[], str], on_activity: Callable[[], None]) -> None:
        self.state = state
        self._url = url
        self._on_activity = on_activity
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.identifies = 0
        self.resumes = 0
        self.invalidated = 0
        #: every (shard_id, shard_count) that identified, in order
        self.identified_shards: list[tuple[int, int]] = []
        self.enforce_intents = True
        #: whether an IDENTIFY's token is let in (the emulator sets its own rule)
        self.accepts_token: Callable[[str], bool] = bool
        #: the identify budget shared by every bot process connected to this emulator
        self.start_limit = SessionStartLimit()

    # -- status
    @property
    def connected_sessions(self) -> list[Session]:
        return [s for s in self.sessions.values() if s.conn is not None and not s.invalid]

    def sessions_of(self, shard_id: int) -> list[Session]:
        """The live sessions identified as ``shard_id`` (any shard count)."""
        return [s for s in self.sessions.values() if s.shard_id == shard_id and not s.invalid]

    def shard_holders(self) -> dict[int, int]:
        """shard id -> how many connected sessions serve it (more than one: served twice)."""
        held: dict[int, int] = {}
        for session in self.connected_sessions:
            held[session.shard_id] = held.get(session.shard_id, 0) + 1
        return held

    @property
    def pending_frames(self) -> int:
        return sum(c.pending for c in self.connections)

    # -- the websocket endpoint
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoping=True)
        await ws.prepare(request)
        conn = Connection(ws, request.transport)
        self.connections.add(conn)
        conn.send(
            _dumps(
                {
                    "op": 10,
                    "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ["alphapy-emulator"]},
                    "s": None,
                    "t": None,
                }
            )
        )
        try:
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    try:
                        payload = json.loads(msg.data)
                    except ValueError:
                        await ws.close(code=4002, message=b"Error while decoding payload.")
                        break
                    await self._on_payload(conn, payload)
                elif msg.type is WSMsgType.BINARY:
                    await ws.close(code=4002, message=b"Binary frames are not supported.")
                    break
                else:
                    break
        finally:
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
            self.connections.discard(conn)
            await conn.close()
            self._on_activity()
        return ws

    async def _on_payload(self, conn: Connection, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:
            conn.send('{"op":11,"d":null,"s":null,"t":null}')
        elif op == 2:
            await self._identify(conn, data or {})
        elif op == 6:
            self._resume(conn, data or {})
        elif op == 8:
            self._request_members(conn, data or {})
        elif op in (3, 4):
            pass  # presence and voice state: accepted, not modelled
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if not self.accepts_token(str(data.get("token") or "").removeprefix("Bot ")):
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        shard = data.get("shard") or [0, 1]
        shard_id, shard_count = int(shard[0]), int(shard[1])
        if shard_count < 1 or not 0 <= shard_id < shard_count:
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        if not self.start_limit.take(shard_id):
            await conn.ws.close(code=RATE_LIMITED_CLOSE_CODE, message=b"You are being rate limited.")
            return
        # A new identify for a shard abandons that shard's old, disconnected sessions.
        for old_id, old in list(self.sessions.items()):
            if old.conn is None and old.shard_id == shard_id and old.shard_count == shard_count:
                del self.sessions[old_id]
        session = Session(shard_id, shard_count, int(data.get("intents") or 0))
        session.conn = conn
        conn.session = session
        self.sessions[session.id] = session
        self.identifies += 1
        self.identified_shards.append((shard_id, shard_count))
        state = self.state
        guilds = [g for g in state.guilds.values() if session.wants(g.id)]
        app = state.application
        me = state.bot_user.payload()
        me.update(verified=True, mfa_enabled=False, email=None)
        ready = {
            "v": 10,
            "user": me,
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "resume_gateway_url": self._url(),
            "shard": [shard_id, shard_count],
            "application": {"id": str(app.id), "flags": app.flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "user_settings": {},
            "session_type": "normal",
            "auth": {},
            "_trace": ["alphapy-emulator"],
        }
        self._send(session, "READY", _dumps(ready))
        with_members = not self.enforce_intents or bool(session.intents & GUILD_MEMBERS)
        for guild in guilds:
            self._send(session, "GUILD_CREATE", _dumps(guild.gateway_payload(members=with_members)))
        self._on_activity()

    def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq")
        replayable = (
            session is not None
            and not session.invalid
            and isinstance(seq, int)
            and seq <= session.seq
            and (not session.buffer or session.buffer[0][0] <= seq + 1 or seq == session.seq)
        )
        if not replayable or session is None or not isinstance(seq, int):
            self.invalidated += 1
            conn.send('{"op":9,"d":false,"s":null,"t":null}')
            return
        if session.conn is not None and session.conn is not conn:
            old = session.conn
            old.session = None
            asyncio.get_running_loop().create_task(old.ws.close(code=4000))
        session.conn = conn
        conn.session = session
        for s, text in session.buffer:
            if s > seq:
                conn.send(text)
        self.resumes += 1
        self._send(session, "RESUMED", '{"_trace":["alphapy-emulator"]}')
        self._on_activity()

    def _request_members(self, conn: Connection, data: dict[str, Any]) -> None:
        session = conn.session
        if session is None:
            return
        guild_ids = data.get("guild_id")
        if not isinstance(guild_ids, list):
            guild_ids = [guild_ids]
        query = data.get("query")
        limit = int(data.get("limit") or 0)
        user_ids = data.get("user_ids")
        if user_ids is not None and not isinstance(user_ids, list):
            user_ids = [user_ids]
        for raw_id in guild_ids:
            guild = self.state.guilds.get(int(raw_id))
            if guild is None:
                continue
            members = list(guild.members.values())
            not_found: list[str] = []
            if user_ids is not None:
                wanted = {int(u) for u in user_ids}
                members = [m for m in members if m.id in wanted]
                not_found = [str(u) for u in wanted - {m.id for m in members}]
            elif query:
                q = str(query).lower()
                members = [m for m in members if m.name.lower().startswith(q) or (m.nick or "").lower().startswith(q)]
            if limit:
                members = members[:limit]
            chunk: dict[str, Any] = {
                "guild_id": str(guild.id),
                "members": [m.payload() for m in members],
                "chunk_index": 0,
                "chunk_count": 1,
                "not_found": not_found,
            }
            if data.get("nonce") is not None:
                chunk["nonce"] = data["nonce"]
            self._send(session, "GUILD_MEMBERS_CHUNK", _dumps(chunk))

    # -- dispatching
    def _send(self, session: Session, event: str, data_json: str) -> None:
        session.seq += 1
        seq = session.seq
        text = f'{{"op":0,"s":{seq},"t":"{event}","d":{data_json}}}'
        session.buffer.append((seq, text))
        if session.conn is not None:
            session.conn.send(text)

    def dispatch(
        self, event: str, data: Callable[[], dict[str, Any]] | dict[str, Any], guild_id: int | None = None
    ) -> None:
        """Send ``event`` to every session whose shard owns ``guild_id`` (DMs: shard 0).

        ``data`` may be a callable, so payloads are only built when a bot listens.
        """
        if not self.sessions:
            return
        enforce = self.enforce_intents
        intent = (_GUILD_EVENT_INTENTS if guild_id is not None else _DM_EVENT_INTENTS).get(event, 0)
        targets = [
            s
            for s in self.sessions.values()
            if not s.invalid and s.wants(guild_id) and (not enforce or not intent or s.intents & intent)
        ]
        if not targets:
            return
        payload = data() if callable(data) else data
        full = _dumps(payload)
        stripped: str | None = None
        for session in targets:
            text = full
            if (
                enforce
                and event in _CONTENT_EVENTS
                and guild_id is not None
                and not session.intents & MESSAGE_CONTENT
                and _content_hidden(payload, self.state.bot_user.id)
            ):
                if stripped is None:
                    stripped = _dumps(_strip_content(payload))
                text = stripped
            self._send(session, event, text)
        self._on_activity()

    # -- test controls
    async def drop(self, code: int | None = None) -> int:
        """Cut every bot connection. ``code=None`` aborts the TCP connection (a network
        failure); a close code closes the websocket cleanly with it. Sessions stay
        resumable. Returns how many connections were dropped."""
        conns = list(self.connections)
        for conn in conns:
            if code is None:
                if conn.transport is not None:
                    conn.transport.abort()
                else:
                    await conn.ws.close(code=4000)
            else:
                await conn.ws.close(code=code)
        return len(conns)

    def request_reconnect(self) -> None:
        """Send op 7 RECONNECT to every connection (discord.py closes and resumes)."""
        for conn in list(self.connections):
            conn.send('{"op":7,"d":null,"s":null,"t":null}')

    def invalidate_sessions(self) -> None:
        """Send op 9 INVALID_SESSION (not resumable): the bot must identify again."""
        for session in list(self.sessions.values()):
            session.invalid = True
            if session.conn is not None:
                session.conn.send('{"op":9,"d":false,"s":null,"t":null}')

    async def close(self) -> None:
        for conn in list(self.connections):
            try:
                await conn.ws.close(code=1001)
            except Exception:  # noqa: BLE001 - shutting down anyway
                pass
            await conn.close()


def _content_hidden(payload: dict[str, Any], bot_id: int) -> bool:
    """Without MESSAGE_CONTENT Discord hides content, except the bot's own and mentions."""
    author = payload.get("author") or {}
    if author.get("id") == str(bot_id):
        return False
    return not any(u.get("id") == str(bot_id) for u in payload.get("mentions") or [])


def _strip_content(payload: dict[str, Any]) -> dict[str, Any]:
    data = dict(payload)
    data["content"] = ""
    data["embeds"] = []
    data["attachments"] = []
    data["components"] = []
    data.pop("poll", None)
    return data

"""pbxsim's AMI server: asyncio TCP sessions speaking Asterisk 22's manager protocol over the engine.

Session rules copied from the real thing (wire INDEX 1–9): banner on connect; Login answers, then
FullyBooted (no Timestamp) and SuccessfulAuth; a failed login answers ~1 s late and closes; actions
before login get `Permission denied` (observers see RequestNotAllowed); an idle unauthenticated socket
is closed after `authtimeout`; a synchronous Originate holds the session's events until its Response.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from pbxsim.ami.protocol import BANNER, Action, ActionParser, format_frame
from pbxsim.ami.render import AmiEvent, render
from pbxsim.engine import Engine, EngineMessage

_log = logging.getLogger(__name__)

Fields = list[tuple[str, str]]


def _tv(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + f".{int(ts * 1000) % 1000:03d}+0000"


@dataclass(eq=False)
class Session:
    """One AMI connection."""

    server: AmiServer
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    session_id: str
    authenticated: bool = False
    events_on: bool = True
    username: str = ""
    held: int = 0
    backlog: list[bytes] = field(default_factory=list)
    closed: bool = False
    tasks: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def local(self) -> str:
        host, port = self.writer.get_extra_info("sockname")[:2]
        return f"IPV4/TCP/{host}/{port}"

    @property
    def remote(self) -> str:
        peer = self.writer.get_extra_info("peername")
        return f"IPV4/TCP/{peer[0]}/{peer[1]}" if peer else "IPV4/TCP/127.0.0.1/0"

    def send(self, fields: Fields, *, bare_lf: bool = False) -> None:
        """Write one frame now (responses are never held back)."""
        if self.closed:
            return
        data = format_frame(fields)
        if bare_lf:
            data = data[:-4] + b"\n\r\n\r\n"
        self.writer.write(data)

    def respond(self, action: Action, fields: Fields) -> None:
        """Write a response with the action's ActionID as the second header."""
        head = fields[:1]
        if action.action_id is not None:
            head.append(("ActionID", action.action_id))
        self.send([*head, *fields[1:]])

    def deliver_event(self, data: bytes) -> None:
        """Write an event unless the session is off, unauthenticated or holding events for a sync action."""
        if self.closed or not self.authenticated or not self.events_on:
            return
        if self.held:
            self.backlog.append(data)
            return
        self.writer.write(data)

    def release(self) -> None:
        """Flush events held back during a synchronous action."""
        self.held = max(0, self.held - 1)
        if self.held == 0 and self.backlog:
            for data in self.backlog:
                self.writer.write(data)
            self.backlog.clear()


class AmiServer:
    """The AMI listener: `start()` binds (port 0 picks a free port, see `.port`), `stop()` closes all."""

    def __init__(
        self,
        engine: Engine,
        host: str = "127.0.0.1",
        port: int = 5038,
        *,
        username: str = "cti",
        secret: str = "cti-secret",
        authtimeout: float = 10.0,
        failed_login_delay: float = 1.0,
    ) -> None:
        from pbxsim.ami.actions import ACTIONS

        self.engine = engine
        self.host = host
        self.port = port
        self.username = username
        self.secret = secret
        self.authtimeout = authtimeout
        self.failed_login_delay = failed_login_delay
        self.sessions: list[Session] = []
        self._detached: set[asyncio.Task[None]] = set()
        self.actions = ACTIONS
        self._server: asyncio.base_events.Server | None = None
        self._subscription = engine.subscribe(self._on_engine_message)
        self._session_seq = random.Random(engine.config.seed).randrange(0x7F0000000000, 0x7FFF00000000)
        self.started_at = time.time()

    async def start(self) -> None:
        """Listen on host:port."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]

    async def stop(self) -> None:
        """Close the listener and every session."""
        self._subscription.close()
        if self._server is not None:
            self._server.close()
        for session in list(self.sessions):
            await self._close(session)
        for task in list(self._detached):
            task.cancel()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()

    # --- events -------------------------------------------------------------------------------------

    def _on_engine_message(self, message: EngineMessage) -> None:
        for event in render(message):
            self.broadcast(event)

    def broadcast(self, event: AmiEvent, *, skip: Session | None = None) -> None:
        """Send an event to every logged-in session with events on."""
        data = format_frame(event.frame_fields())
        for session in self.sessions:
            if session is not skip:
                session.deliver_event(data)

    def security_event(
        self, name: str, session: Session, fields: Fields, severity: str = "Error", version: int = 1
    ) -> None:
        """A security-class event (InvalidPassword, RequestNotAllowed …) to observers."""
        now = time.time()
        body: Fields = [
            ("EventTV", _tv(now)),
            ("Severity", severity),
            ("Service", "AMI"),
            ("EventVersion", str(version)),
            *fields,
        ]
        self.broadcast(AmiEvent(name, "security,all", now, body))

    # --- sessions -----------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._session_seq += 0x10
        session = Session(self, reader, writer, f"0x{self._session_seq:x}")
        self.sessions.append(session)
        writer.write(BANNER)
        parser = ActionParser()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.authtimeout
        try:
            while not session.closed:
                timeout = None if session.authenticated else max(0.0, deadline - loop.time())
                try:
                    data = await asyncio.wait_for(reader.read(65536), timeout)
                except TimeoutError:
                    break
                if not data:
                    break
                for action in parser.feed(data):
                    await self._dispatch(session, action)
                    if session.closed:
                        break
                with contextlib.suppress(ConnectionError):
                    await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            await self._close(session)

    async def _close(self, session: Session) -> None:
        if session in self.sessions:
            self.sessions.remove(session)
        session.closed = True
        for task in list(session.tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            session.writer.close()

    async def _dispatch(self, session: Session, action: Action) -> None:
        if action.line_too_long:
            session.respond(
                action, [("Response", "Error"), ("Message", "Failed to parse message: line too long")]
            )
            return
        name = action.name
        if not action.has("Action"):
            session.respond(action, [("Response", "Error"), ("Message", "Missing action in request")])
            self.security_event(
                "RequestBadFormat",
                session,
                [
                    ("SessionID", session.session_id),
                    ("LocalAddress", session.local),
                    ("RemoteAddress", session.remote),
                    ("RequestType", "Action: NONE"),
                    ("SessionTV", _tv(time.time())),
                    ("AccountID", session.username or "cti"),
                ],
            )
            return
        lower = name.lower()
        if not session.authenticated and lower not in ("login", "challenge", "logoff"):
            session.respond(action, [("Response", "Error"), ("Message", "Permission denied")])
            self.security_event(
                "RequestNotAllowed",
                session,
                [
                    ("AccountID", ""),
                    ("SessionID", session.session_id),
                    ("LocalAddress", session.local),
                    ("RemoteAddress", session.remote),
                    ("RequestType", f"Action: {name}"),
                    ("SessionTV", "1970-01-01T00:00:00.000+0000"),
                ],
            )
            return
        handler = self.actions.get(lower)
        if handler is None:
            session.respond(
                action,
                [
                    ("Response", "Error"),
                    (
                        "Message",
                        f"Invalid/unknown command: {name}. "
                        "Use Action: ListCommands to show available commands.",
                    ),
                ],
            )
            self.security_event(
                "RequestBadFormat",
                session,
                [
                    ("SessionID", session.session_id),
                    ("LocalAddress", session.local),
                    ("RemoteAddress", session.remote),
                    ("RequestType", f"Action: {name}"),
                    ("SessionTV", _tv(time.time())),
                    ("AccountID", session.username),
                ],
            )
            return
        try:
            await handler(self, session, action)
        except Exception as exc:
            _log.exception("AMI action %s failed", name)
            session.respond(action, [("Response", "Error"), ("Message", f"Internal error: {exc}")])

    def detach(self, coro: Awaitable[None]) -> None:
        """Run work that outlives its session, as Asterisk does: an async Originate goes on after Logoff."""

        async def runner() -> None:
            await coro

        task = asyncio.get_running_loop().create_task(runner())
        self._detached.add(task)
        task.add_done_callback(self._detached.discard)

    def spawn(self, session: Session, coro: Awaitable[None]) -> None:
        """Run a background piece of an action (async Originate, PlayDTMF) tied to the session."""

        async def runner() -> None:
            await coro

        task = asyncio.get_running_loop().create_task(runner())
        session.tasks.add(task)
        task.add_done_callback(session.tasks.discard)

    async def close_session(self, session: Session) -> None:
        """Close a session after flushing (Logoff, failed login)."""
        with contextlib.suppress(ConnectionError):
            await session.writer.drain()
        session.closed = True
        with contextlib.suppress(Exception):
            session.writer.close()


ActionHandler = Callable[[AmiServer, Session, Action], Awaitable[None]]

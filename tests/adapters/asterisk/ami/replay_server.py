"""A loopback AMI server that plays a recorded Asterisk wire scenario back to a real client.

On connect it sends what Asterisk sent before the first action (the banner). Each action the client
sends is matched, by name, against the next action of the recording; the frames Asterisk sent after
that action (until the recording's next action) are played back, with recorded ActionIDs rewritten to
the client's. Actions the recording does not expect next go to `responders` (CoreSettings, Ping,
CoreShowChannels, QueueStatus have defaults) or get Asterisk's "unknown command" error. Like Asterisk,
the server handles one action at a time per session, so a slow reply holds back the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from adapters.asterisk.ami.protocol.frames import AmiFrameParser, AmiMessage
from tests.support.wire import WireScenario


@dataclass(frozen=True)
class RecordedTurn:
    """One recorded action and what Asterisk sent after it: (delay in seconds, frame text) pairs."""

    action: str
    action_id: str
    frames: tuple[tuple[float, str], ...]
    closes: bool = False

    def only_own_frames(self) -> RecordedTurn:
        """Just the frames carrying this action's ActionID (its response and list items)."""
        own = tuple((0.0, text) for _, text in self.frames if f"ActionID: {self.action_id}\r\n" in text)
        return RecordedTurn(self.action, self.action_id, own)


@dataclass(frozen=True)
class RecordedSession:
    """A scenario split into the greeting (banner) and one turn per recorded action."""

    greeting: tuple[str, ...]
    turns: tuple[RecordedTurn, ...]

    def turn(self, action: str, occurrence: int = 0) -> RecordedTurn:
        """The n-th recorded turn of `action`."""
        return [t for t in self.turns if t.action.lower() == action.lower()][occurrence]


def recorded_session(scenario: WireScenario, cid: str | None = None) -> RecordedSession:
    """Split one AMI connection of a scenario into greeting and turns."""
    greeting: list[str] = []
    turns: list[RecordedTurn] = []
    current: dict[str, object] | None = None
    frames: list[tuple[float, str]] = []
    last_t = 0.0
    closes = False

    def finish() -> None:
        if current is not None:
            turns.append(
                RecordedTurn(str(current["action"]), str(current["id"]), tuple(frames), closes=closes)
            )

    for frame in scenario.frames:
        if frame.conn != "ami" or frame.cid != cid:
            continue
        if frame.data is None:
            if frame.dir == "recv" and frame.ctl == "eof":
                closes = True
            continue
        if frame.dir == "send":
            finish()
            fields = _parse_action(frame.data)
            current = {"action": fields.get("action", ""), "id": fields.get("actionid", "")}
            frames = []
            closes = False
            last_t = frame.t
        elif current is None:
            greeting.append(frame.data)
        else:
            frames.append((frame.t - last_t, frame.data))
            last_t = frame.t
    finish()
    return RecordedSession(tuple(greeting), tuple(turns))


def _parse_action(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.replace("\r\n", "\n").split("\n"):
        name, sep, value = line.partition(":")
        if sep:
            fields.setdefault(name.strip().lower(), value.strip())
    return fields


Responder = Callable[[AmiMessage], list[str]]


def _reply(action_id: str, *lines: str) -> str:
    return "\r\n".join(("Response: Success", f"ActionID: {action_id}", *lines)) + "\r\n\r\n"


def default_responders() -> dict[str, Responder]:
    """What a quiet Asterisk 22 answers to the actions the client sends on its own."""

    def core_settings(action: AmiMessage) -> list[str]:
        return [
            _reply(
                action.get("ActionID") or "",
                "AMIversion: 11.0.0",
                "AsteriskVersion: 22.10.1",
                "SystemName: ",
                "CoreMaxCalls: 0",
            )
        ]

    def ping(action: AmiMessage) -> list[str]:
        return [_reply(action.get("ActionID") or "", "Ping: Pong", "Timestamp: 1795377012.897454")]

    def empty_list(complete: str, message: str) -> Responder:
        def respond(action: AmiMessage) -> list[str]:
            action_id = action.get("ActionID") or ""
            return [
                _reply(action_id, "EventList: start", f"Message: {message}"),
                f"Event: {complete}\r\nActionID: {action_id}\r\nEventList: Complete\r\nListItems: 0\r\n\r\n",
            ]

        return respond

    return {
        "coresettings": core_settings,
        "ping": ping,
        "coreshowchannels": empty_list("CoreShowChannelsComplete", "Channels will follow"),
        "queuestatus": empty_list("QueueStatusComplete", "Queue status will follow"),
    }


def responder_from_turn(turn: RecordedTurn) -> Responder:
    """Answer an action with a recorded turn's own frames, every time it is asked."""
    own = turn.only_own_frames()

    def respond(action: AmiMessage) -> list[str]:
        client_id = action.get("ActionID") or ""
        return [_rewrite(text, {own.action_id: client_id}) for _, text in own.frames]

    return respond


def _rewrite(text: str, ids: dict[str, str]) -> str:
    start = text.find("ActionID: ")
    if start < 0:
        return text
    end = text.find("\r\n", start)
    recorded = text[start + 10 : end]
    if recorded in ids:
        return f"{text[:start]}ActionID: {ids[recorded]}{text[end:]}"
    return text


class ReplayAmiServer:
    """Serves a `RecordedSession` on 127.0.0.1; every new connection replays it from the start."""

    def __init__(
        self,
        session: RecordedSession,
        *,
        time_scale: float = 0.0,
        responders: dict[str, Responder] | None = None,
    ) -> None:
        self.session = session
        self.time_scale = time_scale
        self.responders = default_responders()
        for name, responder in (responders or {}).items():
            self.responders[name.lower()] = responder
        self.received: list[AmiMessage] = []
        self.raw_received = bytearray()
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self.port = 0

    async def __aenter__(self) -> ReplayAmiServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.drop_clients()
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    def actions(self) -> list[str]:
        """Names of the actions received so far, in order."""
        return [message.get("Action") or "" for message in self.received]

    def drop_clients(self) -> None:
        """Close every client socket, as an Asterisk restart would."""
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.append(writer)
        script = deque(self.session.turns)
        ids: dict[str, str] = {}
        parser = AmiFrameParser(expect_banner=False)
        trailing: list[asyncio.Task[None]] = []
        try:
            for text in self.session.greeting:
                writer.write(text.encode())
            await writer.drain()
            while True:
                data = await reader.read(65536)
                if not data:
                    return
                self.raw_received += data
                for action in parser.feed(data):
                    assert isinstance(action, AmiMessage)
                    self.received.append(action)
                    if not await self._answer(action, script, ids, writer, trailing):
                        return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            for task in trailing:
                task.cancel()
            with contextlib.suppress(Exception):
                writer.close()

    async def _answer(
        self,
        action: AmiMessage,
        script: deque[RecordedTurn],
        ids: dict[str, str],
        writer: asyncio.StreamWriter,
        trailing: list[asyncio.Task[None]],
    ) -> bool:
        name = (action.get("Action") or "").lower()
        client_id = action.get("ActionID") or ""
        responder = self.responders.get(name)
        turn = None
        if script and script[0].action.lower() == name:
            turn = script.popleft()
        elif responder is None:
            while script and script[0].action.lower() != name:
                script.popleft()
            turn = script.popleft() if script else None
        if turn is not None:
            # Like Asterisk: the session is busy until this action's own response is out; whatever the
            # recording shows after it is played in the background while further actions are served.
            if trailing:
                await trailing[-1]
            ids[turn.action_id] = client_id
            frames = list(turn.frames)
            own = f"ActionID: {turn.action_id}\r\n"
            split = next((i + 1 for i, (_, text) in enumerate(frames) if own in text), len(frames))
            await self._play(frames[:split], ids, writer)
            if turn.closes and split == len(frames):
                writer.close()
                return False
            trailing.append(asyncio.create_task(self._play(frames[split:], ids, writer, close=turn.closes)))
            return True
        if responder is not None:
            for text in responder(action):
                writer.write(text.encode())
        else:
            writer.write(
                (
                    f"Response: Error\r\nActionID: {client_id}\r\nMessage: Invalid/unknown command: "
                    f"{action.get('Action')}. Use Action: ListCommands to show available commands.\r\n\r\n"
                ).encode()
            )
        await writer.drain()
        return True

    async def _play(
        self,
        frames: list[tuple[float, str]],
        ids: dict[str, str],
        writer: asyncio.StreamWriter,
        *,
        close: bool = False,
    ) -> None:
        for delay, text in frames:
            if delay and self.time_scale:
                await writer.drain()
                await asyncio.sleep(delay * self.time_scale)
            writer.write(_rewrite(text, ids).encode())
        await writer.drain()
        if close:
            writer.close()

"""AMI session rules of pbxsim that the wire replays do not pin down on their own (wire INDEX 1–4)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from pbxsim.ami import AmiServer
from pbxsim.engine import Engine, EngineConfig
from tests.pbxsim.wire_replay import parse_frame

SPEED = 20.0
Frame = dict[str, str]


class Client:
    """A bare AMI socket: send raw actions, read whole frames with the time they arrived."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.frames: list[tuple[float, Frame]] = []
        self._buffer = b""

    @classmethod
    async def connect(cls, server: AmiServer) -> Client:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        banner = await reader.readline()
        assert banner == b"Asterisk Call Manager/11.0.0\r\n"
        return cls(reader, writer)

    async def login(self, events: str = "on") -> None:
        await self.send(f"Action: Login\r\nUsername: cti\r\nSecret: cti-secret\r\nEvents: {events}\r\n\r\n")
        await self.until(lambda f: f.get("Response") == "Success")
        await self.drain_for(0.1)  # FullyBooted and SuccessfulAuth

    async def send(self, raw: str) -> None:
        self.writer.write(raw.encode())
        await self.writer.drain()

    async def next_frame(self, timeout: float = 2.0) -> Frame:
        while b"\r\n\r\n" not in self._buffer:
            chunk = await asyncio.wait_for(self.reader.read(65536), timeout)
            if not chunk:
                raise ConnectionError("server closed the socket")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        frame = dict(parse_frame(raw.decode()))
        self.frames.append((time.monotonic(), frame))
        return frame

    async def until(self, match: object, timeout: float = 2.0) -> Frame:
        assert callable(match)
        while True:
            frame = await self.next_frame(timeout)
            if match(frame):
                return frame

    async def drain_for(self, seconds: float) -> list[Frame]:
        """Every frame that arrives within `seconds`."""
        got: list[Frame] = []
        deadline = asyncio.get_running_loop().time() + seconds
        while (left := deadline - asyncio.get_running_loop().time()) > 0:
            try:
                got.append(await self.next_frame(left))
            except TimeoutError:
                break
        return got

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def ami() -> AsyncIterator[AmiServer]:
    engine = Engine(EngineConfig(speed=SPEED, seed=3))
    await engine.start()
    server = AmiServer(engine, "127.0.0.1", 0, authtimeout=10.0 / SPEED, failed_login_delay=1.0 / SPEED)
    await server.start()
    yield server
    await server.stop()
    await engine.stop()


async def test_events_off_session_receives_no_events_while_an_events_on_session_does(ami: AmiServer) -> None:
    quiet, loud = await Client.connect(ami), await Client.connect(ami)
    await quiet.login(events="off")
    await loud.login()
    await quiet.send("Action: UserEvent\r\nUserEvent: Probe\r\nActionID: q1\r\n\r\n")
    assert (await quiet.next_frame())["Message"] == "Event Sent"
    assert (await loud.until(lambda f: f.get("Event") == "UserEvent"))["UserEvent"] == "Probe"
    assert await quiet.drain_for(0.3) == []
    quiet.close()
    loud.close()


async def test_sync_originate_holds_back_its_session_events_until_the_response(ami: AmiServer) -> None:
    caller, observer = await Client.connect(ami), await Client.connect(ami)
    await caller.login()
    await observer.login()
    await caller.drain_for(0.1)  # the observer's SuccessfulAuth
    await caller.send(
        "Action: Originate\r\nActionID: s1\r\nChannel: Local/2001@customers\r\n"
        "Context: util\r\nExten: wait\r\nPriority: 1\r\n\r\n"
    )
    seen_live = await observer.until(lambda f: f.get("Event") == "Newchannel")
    live_at = observer.frames[-1][0]
    first = await caller.next_frame(timeout=3.0)
    response_at = caller.frames[-1][0]
    # The customer answers after 2 simulated seconds. The observer saw Newchannel at once; the
    # originating session got nothing before its Response, then everything that was held back.
    assert first.get("Response") == "Success" and first.get("ActionID") == "s1"
    assert response_at - live_at >= 1.5 / SPEED
    assert seen_live["Channel"].startswith("Local/2001@customers-")
    held = [f.get("Event") for f in await caller.drain_for(0.2)]
    assert held[:2] == ["Newchannel", "Newchannel"]
    assert "DialEnd" in held
    caller.close()
    observer.close()


async def test_header_names_and_action_names_are_case_insensitive(ami: AmiServer) -> None:
    client = await Client.connect(ami)
    await client.login()
    await client.send("action: PING\r\nactionid: lower-1\r\n\r\n")
    frame = await client.until(lambda f: "Response" in f)
    assert frame == {**frame, "Response": "Success", "ActionID": "lower-1", "Ping": "Pong"}
    client.close()


async def test_lf_only_line_endings_are_accepted_and_answered_with_crlf(ami: AmiServer) -> None:
    client = await Client.connect(ami)
    await client.login()
    await client.send("Action: Ping\nActionID: lf-1\n\n")
    raw = await asyncio.wait_for(client.reader.readuntil(b"\r\n\r\n"), 2.0)
    assert raw.startswith(b"Response: Success\r\nActionID: lf-1\r\n")
    client.close()


async def test_a_line_over_1024_bytes_fails_the_action_and_keeps_the_session_usable(ami: AmiServer) -> None:
    client = await Client.connect(ami)
    await client.login()
    await client.send(f"Action: Ping\r\nActionID: long-1\r\nX-Pad: {'x' * 3000}\r\n\r\n")
    error = await client.until(lambda f: "Response" in f)
    assert (error["Response"], error["Message"]) == ("Error", "Failed to parse message: line too long")
    await client.send(f"Action: Ping\r\nActionID: ok-2\r\nX-Pad: {'y' * 1000}\r\n\r\n")
    fine = await client.until(lambda f: "Response" in f)
    assert (fine["Response"], fine["ActionID"]) == ("Success", "ok-2")
    client.close()


async def test_an_idle_unauthenticated_socket_is_closed_silently_after_authtimeout(ami: AmiServer) -> None:
    client = await Client.connect(ami)
    started = asyncio.get_running_loop().time()
    assert await client.reader.read() == b""  # no frame at all, just the close
    assert asyncio.get_running_loop().time() - started >= ami.authtimeout * 0.9


async def test_actions_before_login_are_refused_and_observers_see_request_not_allowed(ami: AmiServer) -> None:
    observer, stranger = await Client.connect(ami), await Client.connect(ami)
    await observer.login()
    await stranger.send("Action: CoreStatus\r\nActionID: n1\r\n\r\n")
    refused = await stranger.next_frame()
    assert (refused["Response"], refused["Message"]) == ("Error", "Permission denied")
    alarm = await observer.until(lambda f: f.get("Event") == "RequestNotAllowed")
    assert alarm["RequestType"] == "Action: CoreStatus"
    observer.close()
    stranger.close()


async def test_control_characters_in_values_never_reach_an_ami_frame(ami: AmiServer) -> None:
    client = await Client.connect(ami)
    await client.login()
    await client.send("Action: UserEvent\r\nUserEvent: Evil\r\nNote: a\rb\x00c\r\n\r\n")
    event = await client.until(lambda f: f.get("Event") == "UserEvent")
    assert event["Note"] == "abc"
    client.close()

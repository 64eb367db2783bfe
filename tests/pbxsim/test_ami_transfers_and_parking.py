"""AMI transfer and parking actions of pbxsim: replies and refusals as Asterisk 22 words them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from pbxsim.ami import AmiServer
from pbxsim.engine import Engine, EngineConfig

SPEED = 50.0


@pytest.fixture
async def ami() -> AsyncIterator[AmiServer]:
    engine = Engine(EngineConfig(speed=SPEED, seed=3))
    await engine.start()
    server = AmiServer(engine, "127.0.0.1", 0, authtimeout=1.0, failed_login_delay=0.01)
    await server.start()
    yield server
    await server.stop()
    await engine.stop()


class Client:
    """A raw AMI socket that keeps every byte received."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer, self.buffer = reader, writer, b""

    async def send(self, *lines: str) -> None:
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        await self.writer.drain()

    async def until(self, marker: bytes, timeout: float = 3.0) -> bytes:
        async def read() -> None:
            while marker not in self.buffer:
                chunk = await self.reader.read(65536)
                if not chunk:
                    raise ConnectionError("server closed the socket")
                self.buffer += chunk

        await asyncio.wait_for(read(), timeout)
        return self.buffer


async def _login(server: AmiServer) -> Client:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    client = Client(reader, writer)
    await client.send("Action: Login", "Username: cti", "Secret: cti-secret", "Events: on")
    await client.until(b"Authentication accepted")
    return client


async def _queue_call(server: AmiServer, client: Client) -> tuple[str, str]:
    """A customer answered by a sales agent; returns (caller ;1, agent ;1) names."""
    await client.send(
        "Action: Originate",
        "Channel: Local/2001@customers",
        "Context: queue-in",
        "Exten: sales",
        "Priority: 1",
        "Async: true",
    )
    await client.until(b"Event: AgentConnect", timeout=5.0)
    caller = next(
        c
        for c in server.engine.channels()
        if c.name.startswith("Local/2001@customers") and c.name.endswith(";1")
    )
    agent = next(c for c in server.engine.channels() if "@agents-" in c.name and c.name.endswith(";1"))
    return caller.name, agent.name


async def test_park_reply_keeps_asterisks_stray_line_feed_and_parkedcalls_lists_the_space(
    ami: AmiServer,
) -> None:
    client = await _login(ami)
    caller, agent = await _queue_call(ami, client)
    await client.send("Action: Park", "ActionID: p1", f"Channel: {caller}", f"TimeoutChannel: {agent}")
    data = await client.until(b"Event: ParkedCall\r\n")
    assert b"Response: Success\r\nActionID: p1\r\nMessage: Park successful\n\r\n\r\n" in data
    await client.send("Action: ParkedCalls", "ActionID: p2")
    data = await client.until(b"Event: ParkedCallsComplete")
    listing = data[data.index(b"Parked calls will follow") :]
    assert b"ParkingSpace: 701\r\n" in listing
    assert (
        b"ParkerDialString: Local/1002@agents\r\n" in listing
        or b"ParkerDialString: Local/1001@agents\r\n" in listing
    )
    await client.send("Action: Hangup", f"Channel: {caller}")
    await client.until(b"Event: ParkedCallGiveUp")


async def test_park_of_an_unknown_channel_is_refused(ami: AmiServer) -> None:
    client = await _login(ami)
    await client.send("Action: Park", "ActionID: x", "Channel: Local/9@nowhere-00000001;1")
    data = await client.until(b"ActionID: x")
    assert b"Response: Error\r\nActionID: x\r\nMessage: Channel does not exist\r\n\r\n" in data


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ((), "No channel specified"),
        (("Channel: Local/1@x-00000001;1",), "No extension specified"),
        (("Channel: Local/1@x-00000001;1", "Exten: 1006"), "Channel specified does not exist"),
    ],
)
@pytest.mark.parametrize("verb", ["BlindTransfer", "Atxfer"])
async def test_transfer_actions_refuse_incomplete_requests(
    ami: AmiServer, verb: str, headers: tuple[str, ...], message: str
) -> None:
    client = await _login(ami)
    await client.send(f"Action: {verb}", "ActionID: t", *headers)
    data = await client.until(b"ActionID: t")
    assert f"Response: Error\r\nActionID: t\r\nMessage: {message}\r\n\r\n".encode() in data


async def test_blind_transfer_of_a_channel_outside_any_bridge_is_invalid(ami: AmiServer) -> None:
    client = await _login(ami)
    await client.send(
        "Action: Originate", "Channel: Local/2001@customers", "Application: Wait", "Data: 5", "Async: true"
    )
    await client.until(b"Event: OriginateResponse")
    lone = next(c for c in ami.engine.channels() if c.name.endswith(";1"))
    await client.send("Action: BlindTransfer", "ActionID: b", f"Channel: {lone.name}", "Exten: support")
    data = await client.until(b"ActionID: b")
    assert b"Response: Error\r\nActionID: b\r\nMessage: Transfer invalid\r\n\r\n" in data


async def test_cancelatxfer_without_a_consultation_only_delivers_the_abort_digits(ami: AmiServer) -> None:
    client = await _login(ami)
    caller, agent = await _queue_call(ami, client)
    await client.send("Action: CancelAtxfer", "ActionID: c", f"Channel: {agent}")
    data = await client.until(b"Digit: 1\r\nDurationMs: 0\r\nDirection: Received")
    assert b"Message: CancelAtxfer successfully queued" in data
    assert b"Event: Unhold" not in data and b"Event: AttendedTransfer" not in data
    still = ami.engine.channel(caller)
    assert still is not None and still.bridge_id is not None  # the caller stays with its agent

"""AMI transfer and parking actions of pbxsim: replies and refusals as Asterisk 22 words them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from pbxsim.ami import AmiServer
from tests.pbxsim.raw_ami import Client, login, running_pbxsim

SPEED = 50.0


@pytest.fixture
async def ami() -> AsyncIterator[AmiServer]:
    async with running_pbxsim(speed=SPEED, seed=3) as server:
        yield server


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
    client = await login(ami)
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
    client = await login(ami)
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
    client = await login(ami)
    await client.send(f"Action: {verb}", "ActionID: t", *headers)
    data = await client.until(b"ActionID: t")
    assert f"Response: Error\r\nActionID: t\r\nMessage: {message}\r\n\r\n".encode() in data


async def test_blind_transfer_of_a_channel_outside_any_bridge_is_invalid(ami: AmiServer) -> None:
    client = await login(ami)
    await client.send(
        "Action: Originate", "Channel: Local/2001@customers", "Application: Wait", "Data: 5", "Async: true"
    )
    await client.until(b"Event: OriginateResponse")
    lone = next(c for c in ami.engine.channels() if c.name.endswith(";1"))
    await client.send("Action: BlindTransfer", "ActionID: b", f"Channel: {lone.name}", "Exten: support")
    data = await client.until(b"ActionID: b")
    assert b"Response: Error\r\nActionID: b\r\nMessage: Transfer invalid\r\n\r\n" in data


async def test_cancelatxfer_without_a_consultation_only_delivers_the_abort_digits(ami: AmiServer) -> None:
    client = await login(ami)
    caller, agent = await _queue_call(ami, client)
    await client.send("Action: CancelAtxfer", "ActionID: c", f"Channel: {agent}")
    data = await client.until(b"Digit: 1\r\nDurationMs: 0\r\nDirection: Received")
    assert b"Message: CancelAtxfer successfully queued" in data
    assert b"Event: Unhold" not in data and b"Event: AttendedTransfer" not in data
    still = ami.engine.channel(caller)
    assert still is not None and still.bridge_id is not None  # the caller stays with its agent

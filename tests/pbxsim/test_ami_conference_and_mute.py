"""AMI dual Redirect (ExtraChannel) and MuteAudio in pbxsim, as the reference Asterisk 22 answers them.

Checked on the rig: a Redirect with ExtraChannel of both halves of a click-to-call into `conf,<room>`
answers `Dual Redirect successful` and both join the ConfBridge; MuteAudio answers Success with no
Message and publishes no event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from pbxsim.ami import AmiServer
from tests.pbxsim.raw_ami import Client, login, running_pbxsim

SPEED = 50.0


@pytest.fixture
async def ami() -> AsyncIterator[AmiServer]:
    async with running_pbxsim(speed=SPEED, seed=5) as server:
        yield server


async def _click_to_call(server: AmiServer, client: Client) -> tuple[str, str]:
    """Agent 1001 talks to customer 2001; returns (agent ;1, customer ;1) names."""
    await client.send(
        "Action: Originate",
        "Channel: Local/1001@agents",
        "Context: dial-out",
        "Exten: 2001",
        "Priority: 1",
        "Async: true",
        "Variable: __CUSTOMER_TALK_SECS=600",
        "Variable: __AGENT_TALK_SECS=600",
    )
    await client.until(b"Event: BridgeEnter\r\nPrivilege: call,all\r\n", timeout=5)
    for _ in range(100):
        names = [c.name for c in server.engine.channels() if c.name.endswith(";1")]
        agent = [n for n in names if n.startswith("Local/1001@agents-")]
        customer = [n for n in names if n.startswith("Local/2001@customers-")]
        bridged = all(server.engine.channel(n).bridge_id for n in agent + customer)  # type: ignore[union-attr]
        if agent and customer and bridged:
            return agent[0], customer[0]
        await asyncio.sleep(0.01)
    raise AssertionError("the click-to-call never connected")


async def test_a_dual_redirect_moves_a_bridged_pair_into_a_conference_and_both_stay_up(
    ami: AmiServer,
) -> None:
    client = await login(ami)
    agent, customer = await _click_to_call(ami, client)

    await client.send(
        "Action: Redirect",
        "ActionID: r1",
        f"Channel: {customer}",
        f"ExtraChannel: {agent}",
        "Context: conf",
        "Exten: roomcti1",
        "Priority: 1",
    )

    reply = await client.until(b"ActionID: r1\r\nMessage: Dual Redirect successful\r\n")
    for _ in range(200):
        if client.buffer.count(b"Event: ConfbridgeJoin") >= 2:
            break
        await client.until(b"Event: ConfbridgeJoin", timeout=3)
        await asyncio.sleep(0.01)
    joined = client.buffer
    assert joined.count(b"Event: ConfbridgeJoin") == 2
    assert b"Conference: roomcti1" in joined
    assert {c.name for c in ami.engine.channels() if c.name.endswith(";1")} >= {agent, customer}
    assert b"Event: Hangup" not in reply


async def test_a_dual_redirect_names_a_missing_extra_channel(ami: AmiServer) -> None:
    client = await login(ami)
    agent, _customer = await _click_to_call(ami, client)

    await client.send(
        "Action: Redirect",
        "ActionID: r2",
        f"Channel: {agent}",
        "ExtraChannel: Local/9999@nowhere-00000099;1",
        "Context: conf",
        "Exten: roomcti1",
    )

    reply = await client.until(b"ActionID: r2\r\nMessage: ExtraChannel does not exist")
    assert b"Response: Error\r\nActionID: r2" in reply


async def test_mute_audio_answers_success_without_an_event_and_keeps_the_state(ami: AmiServer) -> None:
    client = await login(ami)
    agent, _customer = await _click_to_call(ami, client)
    before = len(client.buffer)

    await client.send("Action: MuteAudio", "ActionID: m1", f"Channel: {agent}", "Direction: in", "State: on")
    await client.until(b"Response: Success\r\nActionID: m1\r\n\r\n")
    assert "in" in ami.engine.live_channel(agent).muted
    await client.send("Action: MuteAudio", "ActionID: m2", f"Channel: {agent}", "Direction: in", "State: off")
    await client.until(b"Response: Success\r\nActionID: m2\r\n\r\n")
    await client.send(
        "Action: MuteAudio", "ActionID: m3", "Channel: Local/none-1;1", "Direction: in", "State: on"
    )
    await client.until(b"ActionID: m3\r\nMessage: No such channel\r\n")

    assert ami.engine.live_channel(agent).muted == set()
    assert b"Event: Mute" not in client.buffer[before:]

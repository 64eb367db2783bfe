"""End to end over sockets: pbxsim's inbound scenario → AMI → CallTracker → ScreenPopService.

Every agent that answers a queue call got its screen pop (with the demo customer record) first.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.asterisk.ami import AmiClient
from adapters.directories import open_customer_directory
from cti_gateway.calls import CallTracker
from cti_gateway.directory import CustomerLookup
from cti_gateway.events.model import CtiEvent, EventType
from cti_gateway.screen_pops import AgentDirectory, ScreenPopService
from cti_gateway.settings import load_settings
from pbxsim.scenarios import call_plan
from tests.support.processes import PbxsimProcess

DEMO = Path(__file__).resolve().parents[3] / "config" / "demo" / "gateway.yaml"
pytestmark = pytest.mark.slow


@pytest.fixture
def inbound_pbxsim() -> Iterator[PbxsimProcess]:
    process = PbxsimProcess(scenario="inbound", seed=1, speed=20.0)
    process.start()
    try:
        yield process
    finally:
        process.kill()


async def test_every_answering_agent_got_its_pop_with_the_customer_first(
    inbound_pbxsim: PbxsimProcess,
) -> None:
    settings = load_settings(DEMO)
    assert settings.directory is not None
    directory = await open_customer_directory(settings.directory, default_region=settings.default_region)
    lookup = CustomerLookup.from_settings(
        directory, settings.directory, default_region=settings.default_region
    )
    agents = AgentDirectory(settings.agents)
    desktop: list[CtiEvent] = []
    pops = ScreenPopService(lookup, desktop.append)
    tracker = CallTracker(pops, agents.agent_for)
    pops.bind(tracker)
    ami = AmiClient("127.0.0.1", inbound_pbxsim.ami_port, "cti", "cti-secret")
    ami.on_event(tracker.apply)
    ami.on_snapshot(tracker.replace_with)
    await ami.start()
    try:
        async with asyncio.timeout(30):
            while sum(1 for e in desktop if e.type is EventType.CALL_ANSWERED and _agent(e)) < 3:
                await asyncio.sleep(0.05)
    finally:
        await ami.stop()
        await pops.aclose()
        await directory.aclose()

    answered = [(e.call_id, _agent(e)) for e in desktop if e.type is EventType.CALL_ANSWERED and _agent(e)]
    for call_id, agent_id in answered:
        answer_at = next(
            i
            for i, e in enumerate(desktop)
            if e.type is EventType.CALL_ANSWERED and e.call_id == call_id and _agent(e) == agent_id
        )
        pop_at = [
            i
            for i, e in enumerate(desktop)
            if e.type is EventType.SCREEN_POP and e.call_id == call_id and e.data["agent_id"] == agent_id
        ]
        assert pop_at, f"agent {agent_id} answered call {call_id} without a screen pop"
        assert pop_at[0] < answer_at
    screen_pops = [e for e in desktop if e.type is EventType.SCREEN_POP]
    assert len({(e.call_id, e.data["party_id"]) for e in screen_pops}) == len(screen_pops), "duplicate pops"
    for pop in screen_pops:
        assert pop.audience.agent_ids == frozenset({pop.data["agent_id"]})
    known = {number for number in (c.caller_number for c in itertools.islice(call_plan("inbound", 1), 3))}
    first_pop = screen_pops[0]
    assert first_pop.data["caller"]["number"] in known
    assert first_pop.data["customer"] is not None
    assert first_pop.data["customer"]["company"] == "Hudson Logistics LLC"
    assert first_pop.data["attached"]["customer"] == first_pop.data["customer"]


def _agent(event: CtiEvent) -> str | None:
    party = event.data.get("party")
    return party.get("agent_id") if isinstance(party, dict) else None

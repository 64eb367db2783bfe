"""The agent roster: settings agents read-only, API agents stored first and effective at once."""

from __future__ import annotations

import pytest

from cti_gateway.agents import (
    AgentExists,
    AgentRoster,
    AgentState,
    AgentStateService,
    ConfiguredInSettings,
    EndpointTaken,
    InMemoryAgentStore,
    UnknownAgent,
)
from cti_gateway.events.model import CtiEvent, EventType
from cti_gateway.ports.pbx import PbxEvent
from cti_gateway.ports.store import StoreUnavailable
from cti_gateway.screen_pops import Agent, AgentDirectory, UnknownEndpointFormat

ANA = Agent("1001", "Ana Pérez", "Local/1001@agents")


class _DownStore(InMemoryAgentStore):
    async def list_all(self) -> list[Agent]:
        raise StoreUnavailable("database unreachable")

    async def add(self, agent: Agent) -> None:
        raise StoreUnavailable("database unreachable")


def _roster(store: InMemoryAgentStore | None = None) -> tuple[AgentRoster, AgentDirectory, list[CtiEvent]]:
    roster, directory, emitted, _ = _rig(store)
    return roster, directory, emitted


def _rig(
    store: InMemoryAgentStore | None = None,
) -> tuple[AgentRoster, AgentDirectory, list[CtiEvent], AgentStateService]:
    directory = AgentDirectory([ANA])
    emitted: list[CtiEvent] = []
    states = AgentStateService(directory.agent_for, emitted.append)
    roster = AgentRoster(directory, store or InMemoryAgentStore(), states, settings_agent_ids=["1001"])
    return roster, directory, emitted, states


def _member_added(interface: str, queue: str = "dynamic") -> PbxEvent:
    fields = {"Queue": queue, "Interface": interface, "StateInterface": "", "Status": "1", "Paused": "0"}
    return PbxEvent("ami", "QueueMemberAdded", fields)


async def test_an_added_agent_resolves_its_phone_at_once_and_is_stored() -> None:
    store = InMemoryAgentStore()
    roster, directory, _ = _roster(store)

    entry = await roster.add(Agent("1042", "Lía", "PJSIP/1042"))

    assert entry.source == "api"
    assert directory.agent_for("PJSIP/1042-0000002a") == "1042"
    assert await store.list_all() == [Agent("1042", "Lía", "PJSIP/1042")]
    assert [e.agent.id for e in roster.entries()] == ["1001", "1042"]
    assert roster.get("1001").source == "settings"


async def test_an_agent_already_in_a_queue_is_reported_available_as_soon_as_it_is_added() -> None:
    roster, _, emitted, states = _rig()
    states.apply(_member_added("PJSIP/1042"))  # Asterisk knew the phone before the gateway did
    assert emitted == []

    await roster.add(Agent("1042", "Lía", "PJSIP/1042"))

    assert [(e.type, e.data["state"], e.data["queues"]) for e in emitted] == [
        (EventType.AGENT_STATE_CHANGED, "available", ["dynamic"])
    ]
    assert roster.get("1042").status.state is AgentState.AVAILABLE


async def test_an_id_or_a_phone_that_is_taken_is_refused_and_nothing_is_stored() -> None:
    store = InMemoryAgentStore()
    roster, _, _ = _roster(store)

    with pytest.raises(AgentExists, match="1001"):
        await roster.add(Agent("1001", "Other", "PJSIP/1001"))
    with pytest.raises(EndpointTaken, match="agent '1001'"):
        await roster.add(Agent("1050", "Other", "local/1001@agents"))

    assert await store.list_all() == []


async def test_an_endpoint_that_is_not_tech_slash_resource_is_refused() -> None:
    roster, _, _ = _roster()

    with pytest.raises(UnknownEndpointFormat):
        await roster.add(Agent("1050", "Other", "Local//"))


async def test_settings_agents_cannot_be_changed_or_removed_through_the_api() -> None:
    roster, _, _ = _roster()

    with pytest.raises(ConfiguredInSettings, match="settings file"):
        await roster.change("1001", name="Renamed")
    with pytest.raises(ConfiguredInSettings):
        await roster.remove("1001")
    with pytest.raises(UnknownAgent):
        await roster.remove("9999")


async def test_changing_an_agents_phone_moves_its_screen_pops_to_the_new_phone() -> None:
    roster, directory, _ = _roster()
    await roster.add(Agent("1042", "Lía", "PJSIP/1042"))

    entry = await roster.change("1042", endpoint="PJSIP/2042")

    assert entry.agent == Agent("1042", "Lía", "PJSIP/2042")
    assert directory.agent_for("PJSIP/2042-00000001") == "1042"
    assert directory.agent_for("PJSIP/1042-00000001") is None


async def test_a_removed_agent_no_longer_pops_and_is_reported_logged_out() -> None:
    store = InMemoryAgentStore()
    roster, directory, emitted, states = _rig(store)
    states.apply(_member_added("PJSIP/1042"))
    await roster.add(Agent("1042", "Lía", "PJSIP/1042"))

    await roster.remove("1042")

    assert directory.agent_for("PJSIP/1042-00000001") is None
    assert await store.list_all() == []
    assert [e.data["state"] for e in emitted] == ["available", "logged_out"]


async def test_when_the_store_is_down_an_add_is_refused_and_changes_nothing() -> None:
    roster, directory, _ = _roster(_DownStore())

    with pytest.raises(StoreUnavailable):
        await roster.add(Agent("1042", "Lía", "PJSIP/1042"))

    assert directory.get("1042") is None


async def test_stored_agents_load_at_start_except_those_the_settings_file_overrides() -> None:
    store = InMemoryAgentStore(
        (
            Agent("1001", "Stale copy", "PJSIP/1001"),
            Agent("1042", "Lía", "PJSIP/1042"),
            Agent("1043", "Twin", "Local/1001@agents"),
        )
    )
    roster, directory, _ = _roster(store)

    assert await roster.load() == ["1042"]

    assert roster.loaded.is_set()
    assert directory.get("1001") == ANA
    assert directory.get("1043") is None

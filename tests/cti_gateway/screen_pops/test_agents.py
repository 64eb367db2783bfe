"""Every Asterisk name of an agent's phone resolves to that agent, and nothing else does."""

from __future__ import annotations

import pytest

from cti_gateway.screen_pops import Agent, AgentDirectory, UnknownEndpointFormat
from cti_gateway.settings import AgentSettings


@pytest.fixture
def agents() -> AgentDirectory:
    return AgentDirectory(
        [
            AgentSettings(id="1001", name="Ana Pérez", endpoint="Local/1001@agents"),
            AgentSettings(id="1002", name="Bruno Díaz", endpoint="Local/1002@agents"),
            AgentSettings(id="ana.pjsip", name="Ana on a desk phone", endpoint="PJSIP/2101"),
            AgentSettings(id="sip-agent", name="Legacy", endpoint="SIP/150010001"),
        ]
    )


@pytest.mark.parametrize(
    ("name", "agent_id"),
    [
        ("Local/1001@agents", "1001"),
        ("Local/1001@agents-00000002;1", "1001"),
        ("Local/1001@agents-0000000c;2", "1001"),
        ("Local/1001@agents/n", "1001"),
        ("local/1002@agents-0000002d;1", "1002"),
        ("1001@agents", "1001"),
        ("PJSIP/2101", "ana.pjsip"),
        ("PJSIP/2101-00000005", "ana.pjsip"),
        ("pjsip/2101-0000001F", "ana.pjsip"),
        ("PJSIP/2101/sip:2101@10.0.0.5:5060", "ana.pjsip"),
        ("PJSIP/2101-00000005<ZOMBIE>", "ana.pjsip"),
        ("2101", "ana.pjsip"),
        ("SIP/150010001-0000003a", "sip-agent"),
        ("SIP/150010001/150010001/172.20.0.13!!201", "sip-agent"),
        ("PJSIP/2101&PJSIP/9999", "ana.pjsip"),
    ],
)
def test_channel_names_interfaces_and_dial_strings_resolve_to_their_agent(
    agents: AgentDirectory, name: str, agent_id: str
) -> None:
    assert agents.agent_for(name) == agent_id


@pytest.mark.parametrize(
    "name",
    [
        "Local/2001@customers-00000000;1",
        "Local/1001@customers-00000001;1",
        "Local/10011@agents-00000002;1",
        "PJSIP/21010-00000005",
        "PJSIP/1001-00000005",
        "IAX2/2101-00000005",
        "2001@customers",
        "",
        "Local/",
        "PJSIP/2101&Local/1001@agents",
    ],
)
def test_other_phones_and_ambiguous_dial_strings_resolve_to_no_agent(
    agents: AgentDirectory, name: str
) -> None:
    assert agents.agent_for(name) is None


def test_an_endpoint_whose_name_looks_like_a_channel_sequence_still_matches_exactly() -> None:
    agents = AgentDirectory([Agent("x", "X", "PJSIP/desk-deadbeef")])
    assert agents.agent_for("PJSIP/desk-deadbeef") == "x"
    assert agents.agent_for("PJSIP/desk-deadbeef-00000001") == "x"


def test_a_local_endpoint_without_context_uses_the_default_context() -> None:
    agents = AgentDirectory([Agent("7", "Seven", "Local/1007")])
    assert agents.agent_for("Local/1007@default-00000003;1") == "7"


def test_agents_can_be_changed_and_removed_at_run_time(agents: AgentDirectory) -> None:
    agents.add(Agent("1001", "Ana Pérez", "PJSIP/3001"))
    assert agents.agent_for("Local/1001@agents-00000002;1") is None
    assert agents.agent_for("PJSIP/3001-00000001") == "1001"
    agents.remove("1001")
    assert agents.agent_for("PJSIP/3001-00000001") is None
    assert agents.get("1001") is None
    assert len(agents) == 3


def test_two_agents_cannot_share_one_phone(agents: AgentDirectory) -> None:
    with pytest.raises(ValueError, match="cannot share the endpoint"):
        agents.add(Agent("1003", "Carla", "Local/1001@agents"))
    assert agents.agent_for("Local/1001@agents/n") == "1001"


def test_an_endpoint_without_technology_is_refused_with_an_example() -> None:
    with pytest.raises(UnknownEndpointFormat, match="PJSIP/1001"):
        AgentDirectory([Agent("1", "One", "1001")])

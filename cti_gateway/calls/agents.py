"""Recognise an agent's phone in the names Asterisk gives it, to tell agents from customers."""

from __future__ import annotations

from collections.abc import Mapping

from cti_gateway.calls.tracker import AgentResolver, endpoint_of


def agent_resolver(agent_ids_by_endpoint: Mapping[str, str]) -> AgentResolver:
    """An `agent_for` from configured endpoints (`{"Local/1001@agents": "1001", "PJSIP/1001": "1001"}`).

    It accepts channel names (`Local/1001@agents-0000000a;1`, `PJSIP/1001-00000001`), queue member
    interfaces (`Local/1001@agents/n`) and dial strings (`PJSIP/1001`), matching without regard to case.
    """
    known = {endpoint.casefold(): agent_id for endpoint, agent_id in agent_ids_by_endpoint.items()}

    def agent_for(name: str) -> str | None:
        device = endpoint_of(name).casefold()
        if device.endswith("/n"):
            device = device[:-2]
        return known.get(device)

    return agent_for

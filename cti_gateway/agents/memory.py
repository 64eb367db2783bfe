"""An in-memory `AgentStore` for domain tests and for running without persistence."""

from __future__ import annotations

from cti_gateway.agents.port import AgentAlreadyStored
from cti_gateway.screen_pops import Agent


class InMemoryAgentStore:
    """Keeps agents in a dict; lost at restart."""

    def __init__(self, agents: tuple[Agent, ...] = ()) -> None:
        self._agents = {agent.id: agent for agent in agents}

    async def list_all(self) -> list[Agent]:
        return [self._agents[agent_id] for agent_id in sorted(self._agents)]

    async def add(self, agent: Agent) -> None:
        if agent.id in self._agents:
            raise AgentAlreadyStored(f"agent {agent.id!r} is already stored")
        self._agents[agent.id] = agent

    async def replace(self, agent: Agent) -> None:
        self._agents[agent.id] = agent

    async def remove(self, agent_id: str) -> bool:
        return self._agents.pop(agent_id, None) is not None

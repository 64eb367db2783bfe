"""Why a change to the agent roster was refused; each names what to do about it."""

from __future__ import annotations


class AgentRosterError(Exception):
    """Base class of refused roster changes."""


class UnknownAgent(AgentRosterError, LookupError):
    """No agent has this id."""

    def __init__(self, agent_id: str) -> None:
        super().__init__(f"no agent {agent_id!r}; GET /api/v1/agents lists them")
        self.agent_id = agent_id


class AgentExists(AgentRosterError):
    """An agent with this id exists already (from the settings file or the API)."""

    def __init__(self, agent_id: str) -> None:
        super().__init__(f"agent {agent_id!r} exists already; change it with PUT /api/v1/agents/{agent_id}")
        self.agent_id = agent_id


class EndpointTaken(AgentRosterError):
    """Another agent already has this phone: one phone pops for one agent only."""

    def __init__(self, endpoint: str, owner: str) -> None:
        super().__init__(
            f"endpoint {endpoint!r} belongs to agent {owner!r}; remove or change that agent first"
        )
        self.endpoint = endpoint
        self.owner = owner


class ConfiguredInSettings(AgentRosterError):
    """The agent comes from the settings file, which the API does not rewrite."""

    def __init__(self, agent_id: str) -> None:
        super().__init__(
            f"agent {agent_id!r} is configured in the settings file (agents:); change it there and restart"
        )
        self.agent_id = agent_id

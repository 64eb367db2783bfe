"""Where agents added through the API are kept, so that they survive a restart (settings agents are not)."""

from __future__ import annotations

from typing import Protocol

from cti_gateway.ports.store import StoreError
from cti_gateway.screen_pops import Agent


class AgentAlreadyStored(StoreError):
    """An agent with this id is already stored."""


class AgentStore(Protocol):
    """The agents added through the API; raises `StoreUnavailable` when the database is down."""

    async def list_all(self) -> list[Agent]:
        """Every stored agent, by id."""

    async def add(self, agent: Agent) -> None:
        """Store a new agent; raises `AgentAlreadyStored` if its id is taken."""

    async def replace(self, agent: Agent) -> None:
        """Store `agent` over the one with the same id (or as a new one)."""

    async def remove(self, agent_id: str) -> bool:
        """Forget an agent; False if none had this id."""

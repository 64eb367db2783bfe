"""`AgentStore` on the database: agents added through the API survive a gateway restart."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from adapters.storage.agent_tables import MAX_AGENT_NAME_LENGTH, MAX_ENDPOINT_LENGTH, AgentRow
from adapters.storage.stores import _SqlStore
from cti_gateway.agents.port import AgentAlreadyStored, AgentStore
from cti_gateway.ports.store import MAX_AGENT_ID_LENGTH, InvalidRecord
from cti_gateway.screen_pops import Agent


def _checked(agent: Agent) -> Agent:
    for name, value, limit in (
        ("id", agent.id, MAX_AGENT_ID_LENGTH),
        ("name", agent.name, MAX_AGENT_NAME_LENGTH),
        ("endpoint", agent.endpoint, MAX_ENDPOINT_LENGTH),
    ):
        if not value or len(value) > limit:
            raise InvalidRecord(f"Agent.{name} must be 1 to {limit} characters long, got {len(value)}")
    return agent


class SqlAgentStore(_SqlStore):
    """`AgentStore` on the database; one short transaction per call."""

    async def list_all(self) -> list[Agent]:
        async with self._session("listing stored agents") as session:
            rows = await session.scalars(select(AgentRow).order_by(AgentRow.id))
            return [Agent(row.id, row.name, row.endpoint) for row in rows]

    async def add(self, agent: Agent) -> None:
        _checked(agent)
        now = datetime.now(UTC)
        try:
            async with self._session(f"adding agent {agent.id}") as session:
                session.add(
                    AgentRow(
                        id=agent.id, name=agent.name, endpoint=agent.endpoint, created_at=now, updated_at=now
                    )
                )
        except IntegrityError:
            raise AgentAlreadyStored(f"agent {agent.id!r} is already stored") from None

    async def replace(self, agent: Agent) -> None:
        _checked(agent)
        now = datetime.now(UTC)
        async with self._session(f"changing agent {agent.id}") as session:
            row = await session.get(AgentRow, agent.id)
            if row is None:
                session.add(
                    AgentRow(
                        id=agent.id, name=agent.name, endpoint=agent.endpoint, created_at=now, updated_at=now
                    )
                )
            else:
                row.name, row.endpoint, row.updated_at = agent.name, agent.endpoint, now

    async def remove(self, agent_id: str) -> bool:
        async with self._session(f"removing agent {agent_id}") as session:
            result = await session.execute(delete(AgentRow).where(AgentRow.id == agent_id))
            return bool(getattr(result, "rowcount", 0))


def _check_protocol(database: object) -> None:  # mypy proves the port is implemented
    store: AgentStore = SqlAgentStore(database)  # type: ignore[arg-type]
    del store

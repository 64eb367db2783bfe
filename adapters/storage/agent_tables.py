"""The row of an agent added through the API (migration 0003 creates its table)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.storage.tables import Base, UtcDateTime
from cti_gateway.ports.store import MAX_AGENT_ID_LENGTH

MAX_AGENT_NAME_LENGTH = 200
MAX_ENDPOINT_LENGTH = 255


class AgentRow(Base):
    """One agent configured through `/api/v1/agents`; settings-file agents are never stored."""

    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(MAX_AGENT_ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_AGENT_NAME_LENGTH))
    endpoint: Mapped[str] = mapped_column(String(MAX_ENDPOINT_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

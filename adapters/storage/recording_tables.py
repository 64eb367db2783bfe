"""The row noting whose call a recording started by the gateway belongs to (migration 0004 creates it)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from adapters.storage.tables import Base, JsonDocument, UtcDateTime
from cti_gateway.ports.store import MAX_CALL_ID_LENGTH

MAX_RECORDING_NAME_LENGTH = 255
MAX_CHANNEL_LENGTH = 255


class RecordingOwnerRow(Base):
    """One recording the gateway started: its call, the agents on it, and the recorded channel."""

    __tablename__ = "recordings"

    name: Mapped[str] = mapped_column(String(MAX_RECORDING_NAME_LENGTH), primary_key=True)
    call_id: Mapped[str] = mapped_column(String(MAX_CALL_ID_LENGTH), index=True)
    agent_ids: Mapped[list[Any]] = mapped_column(JsonDocument)
    channel: Mapped[str] = mapped_column(String(MAX_CHANNEL_LENGTH))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())

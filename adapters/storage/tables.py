"""The ORM rows behind the store ports; they never leave this package (the core sees dataclasses).

The migrations in `migrations/versions/` create exactly these tables; a test compares the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Dialect, MetaData, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from cti_gateway.ports.store import (
    MAX_AGENT_ID_LENGTH,
    MAX_CALL_ID_LENGTH,
    MAX_NUMBER_LENGTH,
    MAX_SECRET_HASH_LENGTH,
    MAX_TOKEN_ID_LENGTH,
    MAX_TOKEN_NAME_LENGTH,
)

# Constraint names are spelled out so that migrations (and SQLite batch rebuilds) can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """A moment stored in UTC that always comes back timezone-aware, even from SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"refusing to store a naive datetime {value}; use a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base holding the gateway's metadata."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class CallRecordRow(Base):
    """One row per call leg, keyed by the PBX unique id."""

    __tablename__ = "call_records"
    __table_args__ = (CheckConstraint("direction IN ('inbound', 'outbound', 'internal')", name="direction"),)

    call_id: Mapped[str] = mapped_column(String(MAX_CALL_ID_LENGTH), primary_key=True)
    linked_id: Mapped[str] = mapped_column(String(MAX_CALL_ID_LENGTH), index=True, server_default="")
    direction: Mapped[str] = mapped_column(String(16))
    caller_number: Mapped[str] = mapped_column(String(MAX_NUMBER_LENGTH), server_default="")
    called_number: Mapped[str] = mapped_column(String(MAX_NUMBER_LENGTH), server_default="")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    hangup_cause: Mapped[int | None] = mapped_column()
    attached_data: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class ApiTokenRow(Base):
    """One bearer token; the secret itself is never stored, only its hash."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("kind IN ('agent', 'integration')", name="kind"),
        CheckConstraint("kind <> 'agent' OR agent_id IS NOT NULL", name="agent_token_names_agent"),
    )

    id: Mapped[str] = mapped_column(String(MAX_TOKEN_ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(MAX_TOKEN_NAME_LENGTH))
    kind: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(String(MAX_AGENT_ID_LENGTH), index=True)
    scopes: Mapped[list[str]] = mapped_column(JsonDocument)
    secret_hash: Mapped[str] = mapped_column(String(MAX_SECRET_HASH_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

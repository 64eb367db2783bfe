"""Rows for call control: idempotency keys of POST /calls, and the webhook outbox and subscriptions.

They share `tables.Base`, so migrations and the schema check see them (migration 0002 creates them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from adapters.storage.tables import Base, JsonDocument, UtcDateTime
from cti_gateway.ports.store import MAX_CALL_ID_LENGTH, MAX_TOKEN_ID_LENGTH

MAX_IDEMPOTENCY_KEY_LENGTH = 255
MAX_URL_LENGTH = 2048
MAX_EVENT_ID_LENGTH = 64


class IdempotencyKeyRow(Base):
    """One Idempotency-Key of one token: the request's fingerprint and, once done, its answer."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(MAX_TOKEN_ID_LENGTH), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_IDEMPOTENCY_KEY_LENGTH), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column()
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WebhookSubscriptionRow(Base):
    """A live call whose status changes go to `url`."""

    __tablename__ = "webhook_subscriptions"

    call_id: Mapped[str] = mapped_column(String(MAX_CALL_ID_LENGTH), primary_key=True)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    owner: Mapped[str] = mapped_column(String(MAX_TOKEN_ID_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WebhookDeliveryRow(Base):
    """One event for one URL; pending while neither `delivered_at` nor `failed_at` is set."""

    __tablename__ = "webhook_deliveries"

    event_id: Mapped[str] = mapped_column(String(MAX_EVENT_ID_LENGTH), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(40))
    call_id: Mapped[str] = mapped_column(String(MAX_CALL_ID_LENGTH), index=True)
    url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    owner: Mapped[str] = mapped_column(String(MAX_TOKEN_ID_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(server_default="0")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str] = mapped_column(Text, server_default="")

"""Call-control stores on the database: idempotency keys, the webhook outbox and webhook subscriptions.

Each survives a gateway restart, which is the point: a retried POST /calls after a restart still
places one call, and webhooks accepted before a restart are still delivered after it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, exists, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from adapters.storage.call_control_tables import IdempotencyKeyRow, WebhookDeliveryRow, WebhookSubscriptionRow
from adapters.storage.stores import _SqlStore
from cti_gateway.call_control.idempotency import Claim, ClaimOutcome, IdempotencyStore, StoredResponse
from cti_gateway.webhooks.model import (
    WebhookDelivery,
    WebhookOutbox,
    WebhookSubscription,
    WebhookSubscriptionStore,
)


def _moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


class SqlIdempotencyStore(_SqlStore):
    """`IdempotencyStore` on the database; the primary key (token, key) makes concurrent claims safe."""

    async def claim(self, scope: str, key: str, fingerprint: str, now: datetime) -> Claim:
        try:
            async with self._session(f"claiming idempotency key {key!r}") as session:
                row = await session.get(IdempotencyKeyRow, (scope, key))
                if row is None:
                    session.add(
                        IdempotencyKeyRow(scope=scope, key=key, fingerprint=fingerprint, created_at=now)
                    )
                    return Claim(ClaimOutcome.NEW)
                return self._existing(row, fingerprint)
        except IntegrityError:  # another gateway process claimed it between our read and insert
            async with self._session(f"re-reading idempotency key {key!r}") as session:
                row = await session.get(IdempotencyKeyRow, (scope, key))
                if row is None:
                    return Claim(ClaimOutcome.IN_PROGRESS)
                return self._existing(row, fingerprint)

    @staticmethod
    def _existing(row: IdempotencyKeyRow, fingerprint: str) -> Claim:
        if row.fingerprint != fingerprint:
            return Claim(ClaimOutcome.MISMATCH)
        if row.response_status is None:
            return Claim(ClaimOutcome.IN_PROGRESS)
        return Claim(ClaimOutcome.REPLAY, StoredResponse(row.response_status, row.response_body or {}))

    async def complete(self, scope: str, key: str, response: StoredResponse, now: datetime) -> None:
        async with self._session(f"storing the answer for idempotency key {key!r}") as session:
            await session.execute(
                update(IdempotencyKeyRow)
                .where(IdempotencyKeyRow.scope == scope, IdempotencyKeyRow.key == key)
                .values(
                    response_status=response.status_code, response_body=dict(response.body), completed_at=now
                )
            )

    async def release(self, scope: str, key: str) -> None:
        async with self._session(f"releasing idempotency key {key!r}") as session:
            await session.execute(
                delete(IdempotencyKeyRow).where(
                    IdempotencyKeyRow.scope == scope, IdempotencyKeyRow.key == key
                )
            )

    async def purge(self, older_than: datetime) -> int:
        async with self._session("purging old idempotency keys") as session:
            result = await session.execute(
                delete(IdempotencyKeyRow).where(IdempotencyKeyRow.created_at < older_than)
            )
            return int(getattr(result, "rowcount", 0) or 0)


class SqlWebhookOutbox(_SqlStore):
    """`WebhookOutbox` on the database: pending deliveries are rows without delivered_at/failed_at."""

    async def add(self, delivery: WebhookDelivery) -> None:
        async with self._session(f"queueing webhook {delivery.event_id}") as session:
            session.add(
                WebhookDeliveryRow(
                    event_id=delivery.event_id,
                    event_type=delivery.event_type,
                    call_id=delivery.call_id,
                    url=delivery.url,
                    owner=delivery.owner,
                    body=delivery.body.decode(),
                    attempts=delivery.attempts,
                    created_at=_moment(delivery.created_at),
                    next_attempt_at=_moment(delivery.next_attempt_at),
                    last_error=delivery.last_error,
                )
            )

    async def due(self, now: float, limit: int) -> list[WebhookDelivery]:
        older = aliased(WebhookDeliveryRow)
        blocked_by_older = exists().where(
            older.call_id == WebhookDeliveryRow.call_id,
            older.delivered_at.is_(None),
            older.failed_at.is_(None),
            older.next_attempt_at > _moment(now),
            tuple_(older.created_at, older.event_id)
            < tuple_(WebhookDeliveryRow.created_at, WebhookDeliveryRow.event_id),
        )
        async with self._session("reading due webhooks") as session:
            rows = await session.scalars(
                select(WebhookDeliveryRow)
                .where(
                    WebhookDeliveryRow.delivered_at.is_(None),
                    WebhookDeliveryRow.failed_at.is_(None),
                    WebhookDeliveryRow.next_attempt_at <= _moment(now),
                    ~blocked_by_older,
                )
                .order_by(WebhookDeliveryRow.created_at, WebhookDeliveryRow.event_id)
                .limit(limit)
            )
            return [
                WebhookDelivery(
                    event_id=row.event_id,
                    event_type=row.event_type,
                    call_id=row.call_id,
                    url=row.url,
                    owner=row.owner,
                    body=row.body.encode(),
                    created_at=row.created_at.timestamp(),
                    attempts=row.attempts,
                    next_attempt_at=row.next_attempt_at.timestamp(),
                    last_error=row.last_error,
                )
                for row in rows
            ]

    async def delivered(self, event_id: str, at: float) -> None:
        await self._set(event_id, "marking webhook delivered", delivered_at=_moment(at))

    async def retry_later(self, event_id: str, attempts: int, next_attempt_at: float, error: str) -> None:
        await self._set(
            event_id,
            "rescheduling webhook",
            attempts=attempts,
            next_attempt_at=_moment(next_attempt_at),
            last_error=error[:2000],
        )

    async def give_up(self, event_id: str, attempts: int, at: float, error: str) -> None:
        await self._set(
            event_id, "giving up webhook", attempts=attempts, failed_at=_moment(at), last_error=error[:2000]
        )

    async def _set(self, event_id: str, doing: str, **values: object) -> None:
        async with self._session(f"{doing} {event_id}") as session:
            await session.execute(
                update(WebhookDeliveryRow).where(WebhookDeliveryRow.event_id == event_id).values(**values)
            )


class SqlWebhookSubscriptionStore(_SqlStore):
    """`WebhookSubscriptionStore` on the database."""

    async def save(self, subscription: WebhookSubscription) -> None:
        async with self._session(f"subscribing call {subscription.call_id}") as session:
            await session.merge(
                WebhookSubscriptionRow(
                    call_id=subscription.call_id,
                    url=subscription.url,
                    owner=subscription.owner,
                    created_at=datetime.now(UTC),
                )
            )

    async def remove(self, call_id: str) -> None:
        async with self._session(f"unsubscribing call {call_id}") as session:
            await session.execute(
                delete(WebhookSubscriptionRow).where(WebhookSubscriptionRow.call_id == call_id)
            )

    async def load(self) -> list[WebhookSubscription]:
        async with self._session("loading webhook subscriptions") as session:
            rows = await session.scalars(select(WebhookSubscriptionRow))
            return [WebhookSubscription(row.call_id, row.url, row.owner) for row in rows]


def _check_protocols(database: object) -> None:  # mypy proves the ports are implemented
    stores: tuple[IdempotencyStore, WebhookOutbox, WebhookSubscriptionStore] = (
        SqlIdempotencyStore(database),  # type: ignore[arg-type]
        SqlWebhookOutbox(database),  # type: ignore[arg-type]
        SqlWebhookSubscriptionStore(database),  # type: ignore[arg-type]
    )
    del stores

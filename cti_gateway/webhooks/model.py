"""Webhook deliveries and the ports that keep and send them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One event on its way to one URL; `event_id` stays the same across retries (receivers dedupe on it)."""

    event_id: str
    event_type: str
    call_id: str
    url: str
    owner: str
    body: bytes
    created_at: float
    attempts: int = 0
    next_attempt_at: float = 0.0
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class WebhookSubscription:
    """A call whose status changes are sent to `url` (set by POST /calls with `webhook_url`)."""

    call_id: str
    url: str
    owner: str


class WebhookSendError(Exception):
    """The receiver could not be reached or did not answer in time."""


class WebhookSender(Protocol):
    """POSTs one delivery; answers the HTTP status, or raises `WebhookSendError`."""

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int: ...


class WebhookOutbox(Protocol):
    """Durable queue of deliveries not yet acknowledged (the SQL outbox survives restarts)."""

    async def add(self, delivery: WebhookDelivery) -> None: ...

    async def due(self, now: float, limit: int) -> list[WebhookDelivery]:
        """Pending deliveries due at or before `now`, oldest first (by `created_at`, then `event_id`).

        A delivery is held back while an older delivery of the same call is still pending, so that each
        call's events reach the receiver in order.
        """

    async def delivered(self, event_id: str, at: float) -> None: ...

    async def retry_later(self, event_id: str, attempts: int, next_attempt_at: float, error: str) -> None: ...

    async def give_up(self, event_id: str, attempts: int, at: float, error: str) -> None: ...


class WebhookSubscriptionStore(Protocol):
    """Where subscriptions are kept so that a restarted gateway keeps calling back for live calls."""

    async def save(self, subscription: WebhookSubscription) -> None: ...

    async def remove(self, call_id: str) -> None: ...

    async def load(self) -> list[WebhookSubscription]: ...


class InMemoryWebhookOutbox:
    """An outbox in a dict (tests, demos); deliveries are lost on restart."""

    def __init__(self) -> None:
        self.pending: dict[str, WebhookDelivery] = {}
        self.delivered_ids: list[str] = []
        self.failed: dict[str, str] = {}

    async def add(self, delivery: WebhookDelivery) -> None:
        self.pending[delivery.event_id] = delivery

    async def due(self, now: float, limit: int) -> list[WebhookDelivery]:
        ordered = sorted(self.pending.values(), key=lambda d: (d.created_at, d.event_id))
        blocked: set[str] = set()
        ready = []
        for delivery in ordered:
            if delivery.call_id not in blocked and delivery.next_attempt_at <= now:
                ready.append(delivery)
            else:
                blocked.add(delivery.call_id)
        return ready[:limit]

    async def delivered(self, event_id: str, at: float) -> None:
        if self.pending.pop(event_id, None) is not None:
            self.delivered_ids.append(event_id)

    async def retry_later(self, event_id: str, attempts: int, next_attempt_at: float, error: str) -> None:
        old = self.pending.get(event_id)
        if old is not None:
            self.pending[event_id] = WebhookDelivery(
                old.event_id, old.event_type, old.call_id, old.url, old.owner, old.body, old.created_at,
                attempts, next_attempt_at, error,
            )  # fmt: skip

    async def give_up(self, event_id: str, attempts: int, at: float, error: str) -> None:
        if self.pending.pop(event_id, None) is not None:
            self.failed[event_id] = error


class InMemoryWebhookSubscriptionStore:
    def __init__(self) -> None:
        self.subscriptions: dict[str, WebhookSubscription] = {}

    async def save(self, subscription: WebhookSubscription) -> None:
        self.subscriptions[subscription.call_id] = subscription

    async def remove(self, call_id: str) -> None:
        self.subscriptions.pop(call_id, None)

    async def load(self) -> list[WebhookSubscription]:
        return list(self.subscriptions.values())

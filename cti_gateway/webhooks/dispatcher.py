"""Call status callbacks: `call.*` events of subscribed calls become signed, retried webhook deliveries.

The dispatcher is an `EventSink`. Each event of a subscribed call becomes a delivery with its own event
id, written to the outbox before the first attempt, then POSTed; anything but a 2xx is retried with
exponential backoff until `max_attempts`. Delivery is at least once: a receiver dedupes on the event id.
A subscription made just after the call started (POST /calls learns the call id only once Asterisk
created the channel) still gets the call's earlier events: the last few events of every call are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable

import structlog

from cti_gateway.events.model import CtiEvent, EventType
from cti_gateway.webhooks.model import (
    WebhookDelivery,
    WebhookOutbox,
    WebhookSender,
    WebhookSendError,
    WebhookSubscription,
    WebhookSubscriptionStore,
)
from cti_gateway.webhooks.signing import delivery_headers

log = structlog.get_logger(__name__)

CALL_STATUS_EVENTS = frozenset(
    {
        EventType.CALL_CREATED,
        EventType.CALL_RINGING,
        EventType.CALL_ANSWERED,
        EventType.CALL_HELD,
        EventType.CALL_RETRIEVED,
        EventType.CALL_TRANSFERRED,
        EventType.CALL_CONFERENCED,
        EventType.CALL_PARTY_LEFT,
        EventType.CALL_ENDED,
    }
)
"""What a webhook receives: status changes of the call (not data updates or screen pops)."""


class WebhookDispatcher:
    """Turns events of subscribed calls into deliveries and delivers them; start() before events flow."""

    def __init__(
        self,
        outbox: WebhookOutbox,
        subscriptions: WebhookSubscriptionStore,
        sender: WebhookSender,
        secret: bytes,
        *,
        backoff_base: float = 1.0,
        backoff_max: float = 300.0,
        max_attempts: int = 12,
        poll_interval: float = 1.0,
        batch_size: int = 50,
        recent_calls: int = 10_000,
        events_per_call: int = 16,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not secret:
            raise ValueError("a webhook secret is required: deliveries are always signed")
        self._outbox = outbox
        self._store = subscriptions
        self._sender = sender
        self._secret = secret
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._max_attempts = max_attempts
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._recent_calls = recent_calls
        self._events_per_call = events_per_call
        self._clock = clock
        self._subscribed: dict[str, WebhookSubscription] = {}
        self._recent: OrderedDict[str, deque[CtiEvent]] = OrderedDict()
        self._unsaved: list[WebhookDelivery] = []
        self._ended: list[str] = []
        self._wake = asyncio.Event()
        self._sequence = itertools.count()
        self._task: asyncio.Task[None] | None = None

    # EventSink --------------------------------------------------------------------------------

    def __call__(self, event: CtiEvent) -> None:
        call_id = event.call_id
        if call_id is None or event.type not in CALL_STATUS_EVENTS:
            return
        recent = self._recent.get(call_id)
        if recent is None:
            recent = self._recent[call_id] = deque(maxlen=self._events_per_call)
            while len(self._recent) > self._recent_calls:
                self._recent.popitem(last=False)
        recent.append(event)
        subscription = self._subscribed.get(call_id)
        if subscription is not None:
            self._enqueue(event, subscription)
            if event.type is EventType.CALL_ENDED:
                self._subscribed.pop(call_id, None)
                self._ended.append(call_id)

    # subscriptions ----------------------------------------------------------------------------

    async def subscribe(self, call_id: str, url: str, owner: str) -> None:
        """Send this call's status changes to `url`, starting with those already seen."""
        subscription = WebhookSubscription(call_id, url, owner)
        ended = False
        for event in self._recent.get(call_id, ()):
            self._enqueue(event, subscription)
            ended = ended or event.type is EventType.CALL_ENDED
        if not ended:
            self._subscribed[call_id] = subscription
            await self._store.save(subscription)
        self._wake.set()

    # the delivery loop ------------------------------------------------------------------------

    async def start(self) -> None:
        """Reload subscriptions of live calls and start delivering (including what was pending)."""
        for subscription in await self._store.load():
            self._subscribed.setdefault(subscription.call_id, subscription)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        """Write what is still only in memory to the outbox and stop; it is retried at the next start."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(Exception):
            await self._save_new()

    async def run_once(self) -> int:
        """Save new deliveries and attempt every due one; returns how many were attempted (for tests).

        Calls are served in parallel, each call's deliveries one after the other and in order; after a
        failure the rest of that call waits (the outbox holds them back until the failed one succeeds).
        """
        await self._save_new()
        due = await self._outbox.due(self._clock(), self._batch_size)
        by_call: dict[str, list[WebhookDelivery]] = {}
        for delivery in due:
            by_call.setdefault(delivery.call_id, []).append(delivery)
        await asyncio.gather(*(self._attempt_in_order(deliveries) for deliveries in by_call.values()))
        return len(due)

    async def _attempt_in_order(self, deliveries: list[WebhookDelivery]) -> None:
        for delivery in deliveries:
            if not await self._attempt(delivery):
                return

    async def _run(self) -> None:
        while True:
            try:
                attempted = await self.run_once()
            except Exception as exc:  # the store may be down: keep the loop alive and try again
                log.warning("webhook delivery round failed", error=str(exc))
                attempted = 0
            if attempted >= self._batch_size:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)

    async def _save_new(self) -> None:
        while self._unsaved:
            await self._outbox.add(self._unsaved[0])
            self._unsaved.pop(0)
        while self._ended:
            await self._store.remove(self._ended[0])
            self._ended.pop(0)

    async def _attempt(self, delivery: WebhookDelivery) -> bool:
        attempt = delivery.attempts + 1
        now = self._clock()
        headers = delivery_headers(
            self._secret, int(now), delivery.event_id, delivery.event_type, delivery.body, attempt
        )
        try:
            status = await self._sender.post(delivery.url, delivery.body, headers)
            error = "" if 200 <= status < 300 else f"HTTP {status}"
        except WebhookSendError as exc:
            error = str(exc) or type(exc).__name__
        if not error:
            await self._outbox.delivered(delivery.event_id, self._clock())
            return True
        if attempt >= self._max_attempts:
            log.warning("webhook given up", event_id=delivery.event_id, url=delivery.url, error=error)
            await self._outbox.give_up(delivery.event_id, attempt, self._clock(), error)
            return True
        delay = min(self._backoff_max, self._backoff_base * 2 ** (attempt - 1))
        log.info(
            "webhook retry scheduled", event_id=delivery.event_id, attempt=attempt, delay=delay, error=error
        )
        await self._outbox.retry_later(delivery.event_id, attempt, self._clock() + delay, error)
        return False

    def _enqueue(self, event: CtiEvent, subscription: WebhookSubscription) -> None:
        # Time-ordered ids: deliveries of one call are sent in this order (ties broken by the counter).
        event_id = (
            f"{int(self._clock() * 1000):012x}{next(self._sequence) % 0x10000:04x}{uuid.uuid4().hex[:16]}"
        )
        body = json.dumps(
            {
                "id": event_id,
                "type": event.type.value,
                "call_id": event.call_id,
                "ts": event.ts,
                "data": dict(event.data),
            },
            separators=(",", ":"),
            default=str,
        ).encode()
        self._unsaved.append(
            WebhookDelivery(
                event_id=event_id,
                event_type=event.type.value,
                call_id=subscription.call_id,
                url=subscription.url,
                owner=subscription.owner,
                body=body,
                created_at=self._clock(),
                next_attempt_at=0.0,
            )
        )
        self._wake.set()

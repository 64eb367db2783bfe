"""The default event bus: one gateway process, per-topic history in memory for subscribers to resume from.

A subscriber that falls more than `history` messages behind skips to the oldest one still kept;
the skipped count is added to `Subscription.lost` and logged.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakSet

import structlog

from adapters.bus.subscription import TopicSubscription
from cti_gateway.ports.bus import (
    BusMessage,
    BusStopped,
    InvalidCursor,
    check_topic,
    encode_payload,
)
from cti_gateway.ports.pbx import LinkState, LinkStatus

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _Stored:
    sequence: int
    payload_json: str


@dataclass(slots=True)
class _Topic:
    history: deque[_Stored]
    last_sequence: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def announce(self) -> None:
        """Wake everyone waiting on this topic, and give later waiters a fresh event."""
        self.changed.set()
        self.changed = asyncio.Event()


class InProcessSubscription(TopicSubscription):
    """Follows one topic of an `InProcessBus`; its start point is fixed when it is created."""

    def __init__(self, topic_name: str, topic: _Topic, after: int) -> None:
        super().__init__(topic_name)
        self._state = topic
        self._cursor = after

    async def aclose(self) -> None:
        await super().aclose()
        self._state.announce()

    async def __anext__(self) -> BusMessage:
        while not self._closed:
            history = self._state.history
            if history:
                oldest = history[0].sequence
                if self._cursor < oldest - 1:
                    skipped = oldest - 1 - self._cursor
                    self._lost += skipped
                    log.warning("bus.subscriber_fell_behind", topic=self._topic, skipped=skipped)
                    self._cursor = oldest - 1
                index = self._cursor + 1 - oldest
                if index < len(history):
                    stored = history[index]
                    self._cursor = stored.sequence
                    message_id = str(stored.sequence)
                    return BusMessage(
                        id=message_id,
                        topic=self._topic,
                        payload=json.loads(stored.payload_json),
                        publication_id=message_id,
                    )
            await self._state.changed.wait()
        raise StopAsyncIteration


class InProcessBus:
    """An `EventBus` inside one process; message ids are per-topic sequence numbers ("1", "2", …)."""

    def __init__(self, *, history: int = 1000) -> None:
        if history < 1:
            raise ValueError(f"history must be at least 1, got {history}")
        self._history = history
        self._topics: dict[str, _Topic] = {}
        self._subscriptions: WeakSet[InProcessSubscription] = WeakSet()
        self._stopped = False
        self._status = LinkStatus(LinkState.UP, "in-process")

    @property
    def status(self) -> LinkStatus:
        return self._status

    async def start(self) -> None:
        if self._stopped:
            raise BusStopped("this bus was stopped; create a new one")

    async def stop(self) -> None:
        self._stopped = True
        self._status = LinkStatus(LinkState.DOWN, "stopped")
        for subscription in list(self._subscriptions):
            await subscription.aclose()

    def _topic(self, name: str) -> _Topic:
        topic = self._topics.get(name)
        if topic is None:
            topic = self._topics[name] = _Topic(history=deque(maxlen=self._history))
        return topic

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> str:
        check_topic(topic)
        payload_json = encode_payload(payload)
        if self._stopped:
            raise BusStopped(f"cannot publish to {topic!r}: the bus is stopped")
        state = self._topic(topic)
        state.last_sequence += 1
        state.history.append(_Stored(state.last_sequence, payload_json))
        state.announce()
        return str(state.last_sequence)

    def subscribe(self, topic: str, *, after: str | None = None) -> InProcessSubscription:
        check_topic(topic)
        if self._stopped:
            raise BusStopped(f"cannot subscribe to {topic!r}: the bus is stopped")
        state = self._topic(topic)
        if after is None:
            start = state.last_sequence
        elif after.isascii() and after.isdecimal():
            start = int(after)
        else:
            raise InvalidCursor(f"after={after!r} is not a message id of the in-process bus (a number)")
        subscription = InProcessSubscription(topic, state, start)
        self._subscriptions.add(subscription)
        return subscription

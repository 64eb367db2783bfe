"""One numbered event stream per principal, and the cursors of the connections reading it.

A stream keeps what it sent for a while (by time and by count) so that a desktop that reconnects
with `last_seq` gets exactly what it missed. Connections do not copy events: each holds a cursor
into the stream's buffer, and how far that cursor lags is its send queue.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from cti_gateway.auth.principal import Principal
from cti_gateway.hub.envelope import frame


class DropReason(StrEnum):
    """Why the hub stopped feeding a connection (the WebSocket maps each to a close code)."""

    SLOW_CONSUMER = "slow_consumer"
    HUB_CLOSED = "hub_closed"


class SubscriptionDropped(Exception):
    """The hub stopped feeding this connection; the client may reconnect and resume with `last_seq`."""

    def __init__(self, reason: DropReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(slots=True)
class _Entry:
    seq: int
    at: float
    body: str


class EventStream:
    """The events one principal may see, numbered from `base_seq` upwards without gaps."""

    def __init__(self, key: str, principal: Principal, base_seq: int, *, now: float) -> None:
        self.key = key
        self.principal = principal
        self.base_seq = base_seq
        self.last_seq = base_seq - 1
        self.subscriptions: set[Subscription] = set()
        self.idle_since: float | None = now
        self._buffer: deque[_Entry] = deque()

    @property
    def buffered(self) -> int:
        """How many events are kept for replay."""
        return len(self._buffer)

    @property
    def oldest_seq(self) -> int:
        """The lowest seq still buffered (`last_seq + 1` when nothing is)."""
        return self._buffer[0].seq if self._buffer else self.last_seq + 1

    def can_replay_after(self, seq: int) -> bool:
        """Whether every event after `seq` up to now is still buffered."""
        return self.oldest_seq - 1 <= seq <= self.last_seq

    def body(self, seq: int) -> str:
        """The encoded event numbered `seq`; the caller checked it is buffered."""
        return self._buffer[seq - self._buffer[0].seq].body

    def append(self, body: str, now: float, *, max_age: float, max_events: int) -> None:
        """Number and keep one event, forget what is too old or too many, and wake the readers."""
        self.last_seq += 1
        self._buffer.append(_Entry(self.last_seq, now, body))
        self.evict(now, max_age=max_age, max_events=max_events)
        for subscription in tuple(self.subscriptions):
            subscription.stream_advanced()

    def evict(self, now: float, *, max_age: float, max_events: int) -> None:
        """Drop the entries older than `max_age` seconds and those beyond the newest `max_events`."""
        buffer = self._buffer
        horizon = now - max_age
        while buffer and (len(buffer) > max_events or buffer[0].at < horizon):
            buffer.popleft()

    def attach(self, subscription: Subscription) -> None:
        self.subscriptions.add(subscription)
        self.idle_since = None

    def detach(self, subscription: Subscription, now: float) -> None:
        self.subscriptions.discard(subscription)
        if not self.subscriptions:
            self.idle_since = now


class Subscription:
    """One connection's cursor into a stream; `next_frame()` hands out the frames to send, in order."""

    def __init__(
        self, stream: EventStream, *, after_seq: int, preamble: list[str], max_pending: int, now: float
    ) -> None:
        self.stream = stream
        self._cursor = after_seq
        self._replay_until = stream.last_seq
        self._preamble: deque[str] = deque(preamble)
        self._max_pending = max_pending
        self._wake = asyncio.Event()
        self._dropped_event = asyncio.Event()
        self._dropped: SubscriptionDropped | None = None
        self._closed = False
        stream.attach(self)
        self.check_backlog()

    @property
    def principal(self) -> Principal:
        return self.stream.principal

    @property
    def sent_seq(self) -> int:
        """The seq of the last event handed out for sending (what the client will resume from)."""
        return self._cursor

    @property
    def pending(self) -> int:
        """Events published since this connection opened and not yet handed out: its send queue.

        A resume's replay of missed events does not count: it is bounded by the stream's buffer.
        """
        return self.stream.last_seq - max(self._cursor, self._replay_until)

    @property
    def dropped(self) -> SubscriptionDropped | None:
        return self._dropped

    def take(self) -> str | None:
        """The next frame to send, or None when the connection is up to date."""
        if self._dropped is not None:
            raise self._dropped
        if self._preamble:
            return self._preamble.popleft()
        stream = self.stream
        if self._cursor >= stream.last_seq:
            return None
        seq = self._cursor + 1
        if seq < stream.oldest_seq:  # cannot happen while stream_advanced() drops laggards; kept as a guard
            self.drop(DropReason.SLOW_CONSUMER, f"events after seq {self._cursor} left the buffer")
            raise SubscriptionDropped(DropReason.SLOW_CONSUMER, "fell behind the buffer")
        self._cursor = seq
        return frame(seq, stream.body(seq))

    async def next_frame(self) -> str:
        """Wait for the next frame; raises `SubscriptionDropped` once the hub gives up on this connection."""
        while True:
            text = self.take()
            if text is not None:
                return text
            self._wake.clear()
            await self._wake.wait()

    async def wait_dropped(self) -> SubscriptionDropped:
        """Return once the hub has dropped this connection, with the reason."""
        await self._dropped_event.wait()
        assert self._dropped is not None
        return self._dropped

    def stream_advanced(self) -> None:
        """Called by the stream after each new event: wake the sender, or drop it if it lags too far."""
        if self.check_backlog():
            self._wake.set()

    def check_backlog(self) -> bool:
        """Drop the connection if it lags too far; True while it is still fed."""
        if self._dropped is not None:
            return False
        lag = self.pending
        if lag > self._max_pending:
            self.drop(
                DropReason.SLOW_CONSUMER,
                f"{lag} events waiting to be sent, more than the limit of {self._max_pending}",
            )
            return False
        if self._cursor + 1 < self.stream.oldest_seq:
            self.drop(DropReason.SLOW_CONSUMER, f"events after seq {self._cursor} left the buffer unsent")
            return False
        return True

    def drop(self, reason: DropReason, detail: str) -> None:
        """Stop feeding this connection; `next_frame()` and `wait_dropped()` report why."""
        if self._dropped is None:
            self._dropped = SubscriptionDropped(reason, detail)
            self._wake.set()
            self._dropped_event.set()

    def close(self, now: float) -> None:
        """Detach from the stream (the stream keeps buffering for a reconnect)."""
        if not self._closed:
            self._closed = True
            self.stream.detach(self, now)

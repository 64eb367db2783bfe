"""The event hub: the domain publishes `CtiEvent`s, each principal reads its own numbered stream.

`publish` is synchronous and cheap (an index lookup per audience agent, one JSON encoding per event
that anyone reads), because the call tracker calls it for every PBX event. Streams outlive their
connections for a while, so a desktop that reconnects with `last_seq` gets every event it missed, or,
when too much was missed, a snapshot and a `resync` marker: never a silent gap (docs/events.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

import structlog

from cti_gateway.auth.principal import Principal, PrincipalKind
from cti_gateway.events.model import CtiEvent, EventType
from cti_gateway.hub.envelope import encode_body, frame
from cti_gateway.hub.stream import DropReason, EventStream, Subscription

log = structlog.get_logger(__name__)


class SnapshotProvider(Protocol):
    """What a principal may see right now (e.g. its current calls), sent inside a `resync` marker."""

    def __call__(self, principal: Principal) -> Mapping[str, Any]: ...


def _no_snapshot(principal: Principal) -> Mapping[str, Any]:
    return {}


class ResyncReason(StrEnum):
    """Why a client got a snapshot instead of a replay (`data.reason` of a `resync` event)."""

    CONNECTED = "connected"
    """The client gave no `last_seq`: this is its starting point."""
    BUFFER_EXCEEDED = "buffer_exceeded"
    """Some events after `last_seq` are no longer buffered (too old, or too many)."""
    STREAM_RESTARTED = "stream_restarted"
    """`last_seq` belongs to an earlier stream: the gateway restarted or the idle stream expired."""
    UNKNOWN_SEQ = "unknown_seq"
    """`last_seq` is ahead of the stream: it was never sent on it."""


@dataclass(frozen=True, slots=True)
class HubLimits:
    """How much the hub keeps per stream and lets a connection lag (settings: docs/events.md)."""

    buffer_seconds: float = 600.0
    """Resume window: how long a published event stays replayable."""
    buffer_max_events: int = 10_000
    """Most events a stream keeps, whatever their age."""
    max_pending: int = 1_000
    """A connection's send queue: a client lagging further is disconnected as a slow consumer."""
    idle_stream_seconds: float | None = None
    """How long a stream with no connection lives on (default: `buffer_seconds`)."""
    sweep_interval: float = 5.0
    """Seconds between expiry sweeps when the hub runs (`start()`)."""

    def __post_init__(self) -> None:
        for name in ("buffer_seconds", "sweep_interval"):
            if not getattr(self, name) > 0:
                raise ValueError(f"HubLimits.{name} must be positive, got {getattr(self, name)!r}")
        for name in ("buffer_max_events", "max_pending"):
            if getattr(self, name) < 1:
                raise ValueError(f"HubLimits.{name} must be at least 1, got {getattr(self, name)!r}")
        if self.idle_stream_seconds is not None and self.idle_stream_seconds < 0:
            raise ValueError(
                f"HubLimits.idle_stream_seconds must not be negative, got {self.idle_stream_seconds}"
            )

    @property
    def idle_ttl(self) -> float:
        return self.buffer_seconds if self.idle_stream_seconds is None else self.idle_stream_seconds


@dataclass(frozen=True, slots=True)
class HubStats:
    streams: int
    connections: int
    buffered_events: int
    published: int


class EventHub:
    """Numbered per-principal streams with resume, snapshots and a slow-consumer policy.

    Call `publish` and `subscribe` from the event loop's thread only.
    """

    def __init__(
        self,
        snapshot: SnapshotProvider | None = None,
        limits: HubLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.limits = limits or HubLimits()
        self._snapshot: SnapshotProvider = snapshot or _no_snapshot
        self._clock = clock
        self._wall_clock = wall_clock
        self._streams: dict[str, EventStream] = {}
        self._agent_streams: dict[str, EventStream] = {}
        self._broad_streams: dict[str, EventStream] = {}
        self._last_base = 0
        self._published = 0
        self._sweeper: asyncio.Task[None] | None = None

    def set_snapshot_provider(self, snapshot: SnapshotProvider) -> None:
        """Wire the snapshot source after construction (the tracker that feeds the hub reads it)."""
        self._snapshot = snapshot

    # ---- the domain side -------------------------------------------------------------------------

    def publish(self, event: CtiEvent) -> None:
        """Append `event` to every stream whose principal may see it; an `EventSink`."""
        self._published += 1
        targets: list[EventStream] = []
        for agent_id in event.audience.agent_ids:
            stream = self._agent_streams.get(agent_id)
            if stream is not None and stream.principal.may_see(event):
                targets.append(stream)
        for stream in self._broad_streams.values():
            if stream.principal.may_see(event):
                targets.append(stream)
        if not targets:
            return
        try:
            body = encode_body(event)
        except ValueError as exc:  # circular data: a bug upstream, never a reason to stop the call flow
            log.error("hub.event_not_encodable", type=event.type.value, call_id=event.call_id, error=str(exc))
            return
        now = self._clock()
        limits = self.limits
        for stream in targets:
            stream.append(body, now, max_age=limits.buffer_seconds, max_events=limits.buffer_max_events)

    # ---- the connection side ---------------------------------------------------------------------

    def subscribe(self, principal: Principal, last_seq: int | None = None) -> Subscription:
        """Open a connection's view of its principal's stream, resuming after `last_seq` if given.

        The first frames are either the missed events, or one `resync` marker with a snapshot.
        """
        now = self._clock()
        stream = self._streams.get(principal.stream_key)
        if stream is None:
            stream = self._open_stream(principal, now)
        limits = self.limits
        stream.evict(now, max_age=limits.buffer_seconds, max_events=limits.buffer_max_events)
        reason = self._resync_reason(stream, last_seq)
        if reason is None:
            assert last_seq is not None
            return Subscription(
                stream, after_seq=last_seq, preamble=[], max_pending=limits.max_pending, now=now
            )
        marker = self._resync_marker(stream, principal, reason, last_seq)
        return Subscription(
            stream, after_seq=stream.last_seq, preamble=[marker], max_pending=limits.max_pending, now=now
        )

    def unsubscribe(self, subscription: Subscription) -> None:
        """The connection ended; its stream keeps buffering for a reconnect until it expires."""
        subscription.close(self._clock())

    def _resync_reason(self, stream: EventStream, last_seq: int | None) -> ResyncReason | None:
        if last_seq is None:
            return ResyncReason.CONNECTED
        if last_seq < stream.base_seq - 1:
            return ResyncReason.STREAM_RESTARTED
        if last_seq > stream.last_seq:
            return ResyncReason.UNKNOWN_SEQ
        if not stream.can_replay_after(last_seq):
            return ResyncReason.BUFFER_EXCEEDED
        return None

    def _resync_marker(
        self, stream: EventStream, principal: Principal, reason: ResyncReason, last_seq: int | None
    ) -> str:
        snapshot = dict(self._snapshot(principal))
        marker = CtiEvent(
            type=EventType.RESYNC,
            data={"reason": reason.value, "last_seq": last_seq, "snapshot": snapshot},
            ts=self._wall_clock(),
        )
        log.info("hub.resync", stream=stream.key, reason=reason.value, last_seq=last_seq, at=stream.last_seq)
        return frame(stream.last_seq, encode_body(marker))

    def _open_stream(self, principal: Principal, now: float) -> EventStream:
        # Numbering starts at the wall clock in microseconds, so a stream opened after a restart or an
        # expiry never reuses numbers a client still holds: its old last_seq is recognisably older.
        base = max(int(self._wall_clock() * 1_000_000), self._last_base + 1)
        self._last_base = base
        stream = EventStream(principal.stream_key, principal, base, now=now)
        self._streams[stream.key] = stream
        if principal.kind is PrincipalKind.AGENT and principal.agent_id is not None:
            self._agent_streams[principal.agent_id] = stream
        else:
            self._broad_streams[stream.key] = stream
        return stream

    def _close_stream(self, stream: EventStream) -> None:
        del self._streams[stream.key]
        if stream.principal.kind is PrincipalKind.AGENT and stream.principal.agent_id is not None:
            self._agent_streams.pop(stream.principal.agent_id, None)
        else:
            self._broad_streams.pop(stream.key, None)

    # ---- upkeep ----------------------------------------------------------------------------------

    def sweep(self) -> None:
        """Forget expired events, drop connections that fell out of the buffer, close idle streams."""
        now = self._clock()
        limits = self.limits
        for stream in list(self._streams.values()):
            stream.evict(now, max_age=limits.buffer_seconds, max_events=limits.buffer_max_events)
            for subscription in tuple(stream.subscriptions):
                subscription.check_backlog()
            if stream.idle_since is not None and now - stream.idle_since >= limits.idle_ttl:
                self._close_stream(stream)
                log.debug("hub.stream_expired", stream=stream.key)

    def stats(self) -> HubStats:
        return HubStats(
            streams=len(self._streams),
            connections=sum(len(s.subscriptions) for s in self._streams.values()),
            buffered_events=sum(s.buffered for s in self._streams.values()),
            published=self._published,
        )

    def has_stream(self, stream_key: str) -> bool:
        return stream_key in self._streams

    def connections(self, stream_key: str) -> tuple[Subscription, ...]:
        """The open connections reading a stream (for operations, e.g. dropping a client)."""
        stream = self._streams.get(stream_key)
        return tuple(stream.subscriptions) if stream is not None else ()

    async def start(self) -> None:
        """Run the expiry sweep in the background (a `Gateway.on_start` hook)."""
        if self._sweeper is None:
            self._sweeper = asyncio.create_task(self._sweep_forever(), name="event-hub-sweeper")

    async def stop(self) -> None:
        """Stop sweeping and tell every open connection the hub is closing (a `Gateway.on_stop` hook)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        for stream in self._streams.values():
            for subscription in tuple(stream.subscriptions):
                subscription.drop(DropReason.HUB_CLOSED, "the gateway is shutting down")

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.limits.sweep_interval)
            try:
                self.sweep()
            except Exception:
                log.exception("hub.sweep_failed")

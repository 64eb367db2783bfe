"""The event bus shared by several gateway instances: one Redis stream per topic (XADD / XREAD BLOCK).

Delivery guarantees, and how Redis outages are handled:

* `publish` never waits on Redis. Messages queue locally (at most `buffer_limit`; beyond that the
  oldest unsent one is dropped and counted) and one sender task appends them in order.
* Each message carries its publisher's instance id and a per-topic sequence number. Subscribers
  drop repeats of a (publisher, sequence) they have already delivered, and count a jump in the
  sequence as lost messages, so a loss is never silent.
* A Redis restart *without* persistence empties every stream. To notice, every append runs in a
  Lua script that first checks an epoch marker key: when the marker is gone or changed, the data
  of the old epoch is gone too, and the publisher re-sends its last `replay_window` acknowledged
  messages before anything new. Subscribers watch the same marker and re-read the new streams
  from the beginning. Together: no message within the replay window is lost or delivered twice.
* Not covered: a subscriber that resumes in a *new process* from an `after=` cursor of the old
  epoch may see replayed messages again (its duplicate filter starts empty); messages acknowledged
  by Redis but older than the replay window are lost if Redis loses its data (and counted as lost
  by subscribers that notice the gap); a Redis that restarts from a stale snapshot with the
  marker intact is not detected. Redis Cluster is not supported (the script touches several keys).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import secrets
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self
from weakref import WeakSet

import structlog
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from adapters.bus.subscription import TopicSubscription
from adapters.reconnect import ReconnectBackoff
from cti_gateway.ports.bus import (
    BusMessage,
    BusStopped,
    InvalidCursor,
    check_topic,
    encode_payload,
)
from cti_gateway.ports.pbx import LinkState, LinkStatus

log = structlog.get_logger(__name__)

_UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)
_STREAM_ID = re.compile(r"^\d+(-\d+)?$")
_EPOCH_SUFFIX = "~epoch"  # "~" cannot occur in a topic, so this key never collides with a stream
_MAX_BATCH = 200
_DEDUP_ORIGINS = 1024

# KEYS[1] = epoch marker, KEYS[2..] = one stream per message;
# ARGV[1] = expected epoch, ARGV[2] = max length, then (origin, sequence, payload) per message.
_APPEND_SCRIPT = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('EPOCH changed')
end
local ids = {}
for i = 2, #KEYS do
  local a = 3 + (i - 2) * 3
  ids[#ids + 1] = redis.call('XADD', KEYS[i], 'MAXLEN', '~', ARGV[2], '*',
    'o', ARGV[a], 's', ARGV[a + 1], 'p', ARGV[a + 2])
end
return ids
"""


@dataclass(frozen=True, slots=True)
class _Outgoing:
    stream: str
    origin: str
    sequence: int
    payload_json: str


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _client(url: str, *, socket_timeout: float | None) -> Redis:
    """A client that fails fast and never retries by itself: reconnecting is this module's job."""
    return Redis.from_url(
        url,
        socket_connect_timeout=2.0,
        socket_timeout=socket_timeout,
        retry=Retry(NoBackoff(), 0),
        protocol=2,
    )


class RedisStreamsSubscription(TopicSubscription):
    """Follows one topic's stream, surviving reconnects and Redis restarts (see the module notes)."""

    def __init__(self, bus: RedisStreamsBus, topic: str, after: str | None) -> None:
        super().__init__(topic)
        self._bus = bus
        self._stream = bus.stream_key(topic)
        self._cursor = after
        self._known_epoch: bytes | None = None
        self._epoch_seen = False
        self._ready: deque[BusMessage] = deque()
        self._delivered: OrderedDict[str, int] = OrderedDict()
        self._redis: Redis | None = None
        self._read_task: asyncio.Task[None] | None = None
        self._delays = ReconnectBackoff(bus.retry_initial, bus.retry_max)
        self._failed_attempts = 0

    async def __aenter__(self) -> Self:
        await self._run_cancellably(self._fix_start_point)
        return self

    async def aclose(self) -> None:
        await super().aclose()
        if self._read_task is not None and not self._read_task.done():
            self._read_task.cancel()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()
            self._redis = None

    async def __anext__(self) -> BusMessage:
        while not self._ready:
            if self._closed:
                raise StopAsyncIteration
            await self._run_cancellably(self._read_once)
        return self._ready.popleft()

    async def _run_cancellably(self, step: Any) -> None:
        """Run one blocking step as a task that `aclose` can cancel; then end the iteration quietly."""
        if self._closed:
            raise StopAsyncIteration
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(step())
        self._read_task = task
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._closed and task.cancelled() and (current is None or current.cancelling() == 0):
                raise StopAsyncIteration from None
            raise
        finally:
            if not task.done():
                task.cancel()
            self._read_task = None

    def _connection(self) -> Redis:
        if self._redis is None:
            self._redis = _client(self._bus.url, socket_timeout=self._bus.block_ms / 1000 + 5)
        return self._redis

    async def _backoff(self, exc: BaseException) -> None:
        log.warning("bus.subscriber_reconnecting", topic=self._topic, error=repr(exc))
        await asyncio.sleep(self._delays.delay(self._failed_attempts))
        self._failed_attempts += 1

    async def _fix_start_point(self) -> None:
        """Pin "now" to the stream's current last id, so nothing published afterwards can slip by."""
        while self._cursor is None and not self._closed:
            try:
                redis = self._connection()
                pipe = redis.pipeline(transaction=False)
                pipe.get(self._bus.epoch_key)
                pipe.xrevrange(self._stream, count=1)
                epoch, last = await pipe.execute()
            except _UNREACHABLE as exc:
                await self._backoff(exc)
                continue
            self._known_epoch, self._epoch_seen = epoch, True
            self._cursor = _text(last[0][0]) if last else "0-0"
            self._failed_attempts = 0

    async def _read_once(self) -> None:
        await self._fix_start_point()
        try:
            redis = self._connection()
            pipe = redis.pipeline(transaction=False)
            pipe.get(self._bus.epoch_key)
            pipe.xread({self._stream: self._cursor or "0-0"}, count=_MAX_BATCH, block=self._bus.block_ms)
            epoch, reply = await pipe.execute()
        except _UNREACHABLE as exc:
            await self._backoff(exc)
            return
        self._failed_attempts = 0
        if self._epoch_seen and epoch != self._known_epoch:
            if self._known_epoch is None:  # the first publisher just arrived on an empty Redis
                log.debug("bus.redis_epoch_appeared", topic=self._topic)
            else:
                log.warning("bus.redis_epoch_changed", topic=self._topic, rereading_from="0-0")
            self._known_epoch, self._cursor = epoch, "0-0"
            return
        self._known_epoch, self._epoch_seen = epoch, True
        for _stream, entries in reply or []:
            for raw_id, fields in entries:
                self._cursor = _text(raw_id)
                self._accept(self._cursor, fields)

    def _accept(self, entry_id: str, fields: Mapping[bytes, bytes]) -> None:
        try:
            origin = fields[b"o"].decode()
            sequence = int(fields[b"s"])
            payload = json.loads(fields[b"p"])
        except (KeyError, ValueError) as exc:
            log.warning("bus.foreign_entry_skipped", topic=self._topic, entry_id=entry_id, error=repr(exc))
            return
        previous = self._delivered.get(origin)
        if previous is not None:
            if sequence <= previous:
                return  # a replay or a re-read after a Redis restart: already delivered
            if sequence > previous + 1:
                missed = sequence - previous - 1
                self._lost += missed
                log.error("bus.messages_lost", topic=self._topic, publisher=origin, missed=missed)
        self._delivered[origin] = sequence
        self._delivered.move_to_end(origin)
        if len(self._delivered) > _DEDUP_ORIGINS:
            self._delivered.popitem(last=False)
        self._ready.append(
            BusMessage(id=entry_id, topic=self._topic, payload=payload, publication_id=f"{origin}-{sequence}")
        )


class RedisStreamsBus:
    """An `EventBus` over Redis Streams, for several gateway instances sharing one Redis."""

    def __init__(
        self,
        url: str,
        *,
        stream_prefix: str = "cti:",
        maxlen: int = 10_000,
        buffer_limit: int = 10_000,
        replay_window: int = 1_000,
        block_ms: int = 1_000,
        retry_initial: float = 0.1,
        retry_max: float = 5.0,
        health_interval: float = 1.0,
    ) -> None:
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"Redis URL must start with redis://, rediss:// or unix://, got {url[:20]!r}…")
        if maxlen < 1 or buffer_limit < 1 or replay_window < 0:
            raise ValueError("maxlen and buffer_limit must be positive and replay_window not negative")
        self.url = url
        self.stream_prefix = stream_prefix
        self.maxlen = maxlen
        self.block_ms = block_ms
        self.retry_initial = retry_initial
        self.retry_max = retry_max
        self.epoch_key = f"{stream_prefix}{_EPOCH_SUFFIX}"
        self.instance_id = secrets.token_hex(6)
        self._buffer_limit = buffer_limit
        self._health_interval = health_interval
        self._outbox: deque[_Outgoing] = deque()
        self._replay: deque[_Outgoing] = deque(maxlen=replay_window)
        self._sequences: dict[str, int] = {}
        self._epoch: bytes | str | None = None
        self._epoch_checked = False
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._sender: asyncio.Task[None] | None = None
        self._redis: Redis | None = None
        self._append: AsyncScript | None = None
        self._subscriptions: WeakSet[RedisStreamsSubscription] = WeakSet()
        self._stopped = False
        self._status = LinkStatus(LinkState.DOWN, "not started")
        self.dropped = 0

    def stream_key(self, topic: str) -> str:
        """The Redis key of `topic`'s stream; the prefix keeps gateways sharing one Redis apart."""
        return f"{self.stream_prefix}{topic}"

    @property
    def status(self) -> LinkStatus:
        return self._status

    @property
    def buffered(self) -> int:
        """Messages published but not yet acknowledged by Redis."""
        return len(self._outbox)

    async def start(self) -> None:
        if self._stopped:
            raise BusStopped("this bus was stopped; create a new one")
        if self._sender is None:
            self._redis = _client(self.url, socket_timeout=5.0)
            self._status = LinkStatus(LinkState.CONNECTING, f"connecting to {self._safe_url()}")
            self._sender = asyncio.get_running_loop().create_task(self._send_forever(), name="redis-bus")

    async def stop(self, *, flush_timeout: float = 2.0) -> None:
        """Give buffered messages `flush_timeout` seconds to reach Redis, then end everything."""
        if self._sender is not None and not await self.flush(timeout=flush_timeout):
            log.error("bus.unsent_messages_abandoned", count=len(self._outbox))
        self._stopped = True
        for subscription in list(self._subscriptions):
            await subscription.aclose()
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
            self._sender = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None
        self._status = LinkStatus(LinkState.DOWN, "stopped")

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until Redis has acknowledged every published message; False on timeout."""
        try:
            async with asyncio.timeout(timeout):
                await self._idle.wait()
        except TimeoutError:
            return False
        return True

    async def publish(self, topic: str, payload: Mapping[str, Any]) -> str:
        check_topic(topic)
        payload_json = encode_payload(payload)
        if self._stopped:
            raise BusStopped(f"cannot publish to {topic!r}: the bus is stopped")
        sequence = self._sequences.get(topic, 0) + 1
        self._sequences[topic] = sequence
        if len(self._outbox) >= self._buffer_limit:
            dropped = self._outbox.popleft()
            self.dropped += 1
            log.error("bus.buffer_full_dropped_oldest", stream=dropped.stream, sequence=dropped.sequence)
        self._outbox.append(_Outgoing(self.stream_key(topic), self.instance_id, sequence, payload_json))
        self._idle.clear()
        self._wakeup.set()
        return f"{self.instance_id}-{sequence}"

    def subscribe(self, topic: str, *, after: str | None = None) -> RedisStreamsSubscription:
        check_topic(topic)
        if self._stopped:
            raise BusStopped(f"cannot subscribe to {topic!r}: the bus is stopped")
        if after is not None and not _STREAM_ID.match(after):
            raise InvalidCursor(f"after={after!r} is not a Redis stream id (like 1717407015123-0)")
        subscription = RedisStreamsSubscription(self, topic, after)
        self._subscriptions.add(subscription)
        return subscription

    def _safe_url(self) -> str:
        return re.sub(r"//[^@/]*@", "//***@", self.url)

    async def _sync_epoch(self, redis: Redis) -> None:
        """Learn the epoch marker (creating it if missing); if it changed, re-queue the replay window."""
        current = await redis.get(self.epoch_key)
        if current is None:
            await redis.set(self.epoch_key, secrets.token_hex(8), nx=True)
            current = await redis.get(self.epoch_key)
        if self._epoch is not None and current != self._epoch and self._replay:
            log.warning("bus.redis_lost_its_data_replaying", messages=len(self._replay))
            self._outbox.extendleft(reversed(self._replay))
            self._replay.clear()
        self._epoch = current
        self._epoch_checked = True

    async def _send_batch(self, redis: Redis) -> None:
        batch = [self._outbox[i] for i in range(min(_MAX_BATCH, len(self._outbox)))]
        keys = [self.epoch_key, *(item.stream for item in batch)]
        args: list[str | int | bytes] = [self._epoch or b"", self.maxlen]
        for item in batch:
            args += [item.origin, item.sequence, item.payload_json]
        if self._append is None:
            self._append = redis.register_script(_APPEND_SCRIPT)
        await self._append(keys=keys, args=args)
        for item in batch:
            if self._outbox and self._outbox[0] is item:
                self._outbox.popleft()
            self._replay.append(item)

    async def _send_forever(self) -> None:
        backoff = ReconnectBackoff(self.retry_initial, self.retry_max)
        attempt = 0
        while True:
            if not self._outbox:
                self._idle.set()
            if not self._outbox and self._epoch_checked:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._health_interval):
                        await self._wakeup.wait()
                self._wakeup.clear()
            redis = self._redis
            if redis is None:
                return
            try:
                if not self._epoch_checked or not self._outbox:
                    await self._sync_epoch(redis)  # also the idle health check
                if self._outbox:
                    await self._send_batch(redis)
            except ResponseError as exc:
                self._epoch_checked = False
                if "EPOCH" in str(exc):
                    continue  # Redis restarted empty (or the marker was deleted): replay, then go on
                log.error("bus.redis_refused_append", error=str(exc), buffered=len(self._outbox))
                self._status = LinkStatus(LinkState.DOWN, f"Redis refused an append: {exc}")
                await asyncio.sleep(backoff.delay(attempt))
                attempt += 1
                continue
            except _UNREACHABLE as exc:
                self._epoch_checked = False
                if self._status.state is not LinkState.DOWN:
                    log.warning("bus.redis_unreachable", error=repr(exc), buffered=len(self._outbox))
                self._status = LinkStatus(LinkState.DOWN, f"Redis unreachable: {exc}")
                await asyncio.sleep(backoff.delay(attempt))
                attempt += 1
                continue
            attempt = 0
            if self._status.state is not LinkState.UP:
                self._status = LinkStatus(LinkState.UP, f"connected to {self._safe_url()}")

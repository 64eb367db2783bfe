"""A write-behind outbox for call records, so that a database outage never stalls or fails a call.

Writes are queued in memory and applied by one background task, retrying with capped exponential
backoff while the database is unreachable. Writes for the same call are merged (a later `save`
replaces the earlier state; `mark_ended` patches it), so the queue holds at most one entry per
call and `capacity` bounds the number of calls waiting, not the number of writes.

Limits, on purpose: the queue lives in this process (a crash during an outage loses what it
holds), and when more than `capacity` calls are waiting the oldest is dropped, logged and counted
in `dropped`. A write the database rejects for its content (not its availability) is dropped the
same way, because retrying it cannot succeed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime

import structlog

from adapters.reconnect import ReconnectBackoff
from cti_gateway.ports.store import (
    CallRecord,
    CallRecordStore,
    StoreUnavailable,
    check_call_end,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class _PendingWrite:
    """Either a full record to upsert, or (when no save is pending) an end to apply to the stored row."""

    record: CallRecord | None = None
    ended_at: datetime | None = None
    hangup_cause: int | None = None

    def then_ended(self, ended_at: datetime, hangup_cause: int | None) -> _PendingWrite:
        if self.record is not None:
            return _PendingWrite(record=replace(self.record, ended_at=ended_at, hangup_cause=hangup_cause))
        return _PendingWrite(ended_at=ended_at, hangup_cause=hangup_cause)


class WriteBehindCallRecordStore:
    """A `CallRecordStore` whose writes return at once and reach `target` as soon as it is reachable."""

    def __init__(
        self,
        target: CallRecordStore,
        *,
        capacity: int = 10_000,
        retry_initial: float = 0.2,
        retry_max: float = 10.0,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._target = target
        self._capacity = capacity
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._pending: OrderedDict[str, _PendingWrite] = OrderedDict()
        self._wakeup = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._task: asyncio.Task[None] | None = None
        self._stopped = False
        self._reachable = True
        self.dropped = 0
        self.last_error = ""

    @property
    def pending(self) -> int:
        """How many calls have writes waiting for the database."""
        return len(self._pending)

    @property
    def reachable(self) -> bool:
        """False from a failed write until the next successful one."""
        return self._reachable

    async def start(self) -> None:
        """Start the background writer (also started by the first write)."""
        self._ensure_writer()

    async def stop(self, *, drain_timeout: float = 5.0) -> None:
        """Give queued writes `drain_timeout` seconds to reach the database, then stop; logs what is left."""
        if self._task is not None and not await self.flush(timeout=drain_timeout):
            log.error(
                "call_record.outbox_abandoned",
                pending=len(self._pending),
                call_ids=list(self._pending)[:20],
                reason=self.last_error,
            )
        self._stopped = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued write is applied; False if `timeout` seconds pass first."""
        if self._pending:
            self._ensure_writer()
        try:
            async with asyncio.timeout(timeout):
                await self._drained.wait()
        except TimeoutError:
            return False
        return True

    async def save(self, record: CallRecord) -> None:
        self._enqueue(record.call_id, _PendingWrite(record=record))

    async def mark_ended(self, call_id: str, ended_at: datetime, hangup_cause: int | None) -> None:
        check_call_end(call_id, ended_at, hangup_cause)
        earlier = self._pending.get(call_id)
        if earlier is not None:
            self._enqueue(call_id, earlier.then_ended(ended_at, hangup_cause))
        else:
            self._enqueue(call_id, _PendingWrite(ended_at=ended_at, hangup_cause=hangup_cause))

    async def get(self, call_id: str) -> CallRecord | None:
        """The newest state, including a save still waiting in the outbox."""
        waiting = self._pending.get(call_id)
        if waiting is not None and waiting.record is not None:
            return waiting.record
        stored = await self._target.get(call_id)
        if waiting is not None and stored is not None and waiting.ended_at is not None:
            return replace(stored, ended_at=waiting.ended_at, hangup_cause=waiting.hangup_cause)
        return stored

    async def list_recent(self, limit: int = 50) -> list[CallRecord]:
        """Recent calls from the database, overlaid with saves still waiting in the outbox.

        Writes queued before the read count too, even if the writer flushes them mid-read.
        """
        queued_before = list(self._pending.items())
        stored = await self._target.list_recent(limit)
        by_id = {record.call_id: record for record in stored}
        for call_id, waiting in [*queued_before, *self._pending.items()]:
            if waiting.record is not None:
                by_id[call_id] = waiting.record
            elif call_id in by_id and waiting.ended_at is not None:
                by_id[call_id] = replace(
                    by_id[call_id], ended_at=waiting.ended_at, hangup_cause=waiting.hangup_cause
                )
        merged = sorted(by_id.values(), key=lambda r: (r.started_at, r.call_id), reverse=True)
        return merged[:limit]

    def _enqueue(self, call_id: str, write: _PendingWrite) -> None:
        if self._stopped:
            raise RuntimeError("the call-record outbox is stopped; no more writes are accepted")
        if call_id not in self._pending and len(self._pending) >= self._capacity:
            oldest, _ = self._pending.popitem(last=False)
            self.dropped += 1
            log.error(
                "call_record.outbox_full",
                dropped_call_id=oldest,
                capacity=self._capacity,
                reason=self.last_error,
            )
        self._pending[call_id] = write
        self._drained.clear()
        self._wakeup.set()
        self._ensure_writer()

    def _ensure_writer(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(
                self._write_forever(), name="call-record-outbox"
            )

    async def _apply(self, call_id: str, write: _PendingWrite) -> None:
        if write.record is not None:
            await self._target.save(write.record)
        elif write.ended_at is not None:
            await self._target.mark_ended(call_id, write.ended_at, write.hangup_cause)

    async def _write_forever(self) -> None:
        backoff = ReconnectBackoff(self._retry_initial, self._retry_max)
        attempt = 0
        while True:
            await self._wakeup.wait()
            while self._pending:
                call_id, write = next(iter(self._pending.items()))
                try:
                    await self._apply(call_id, write)
                except StoreUnavailable as exc:
                    self.last_error = str(exc)
                    if self._reachable:
                        log.warning("call_record.outbox_waiting_for_database", pending=len(self._pending))
                    self._reachable = False
                    await asyncio.sleep(backoff.delay(attempt))
                    attempt += 1
                    continue
                except Exception as exc:  # the database refused this write for good; keep the rest moving
                    self.dropped += 1
                    log.error("call_record.write_rejected", call_id=call_id, error=repr(exc))
                else:
                    if not self._reachable:
                        log.info("call_record.outbox_database_back", pending=len(self._pending) - 1)
                    self._reachable = True
                    attempt = 0
                if self._pending.get(call_id) is write:
                    del self._pending[call_id]
            self._wakeup.clear()
            self._drained.set()

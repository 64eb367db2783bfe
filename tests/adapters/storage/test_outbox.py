"""The call-record outbox: writes never wait on or fail because of the database, and none are lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from adapters.storage import WriteBehindCallRecordStore
from cti_gateway.ports.store import CallRecord, InvalidRecord
from cti_gateway.testing.store import InMemoryCallRecordStore

T0 = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)


def a_call(call_id: str, **changes: object) -> CallRecord:
    fields: dict[str, object] = {"call_id": call_id, "direction": "inbound", "started_at": T0}
    fields.update(changes)
    return CallRecord(**fields)  # type: ignore[arg-type]


class RejectingStore(InMemoryCallRecordStore):
    """A database that refuses one particular call for its content (as a constraint violation would)."""

    async def save(self, record: CallRecord) -> None:
        if record.call_id == "poison":
            raise RuntimeError("value too long for type character varying(80)")
        await super().save(record)


@pytest.fixture
def database() -> InMemoryCallRecordStore:
    return InMemoryCallRecordStore()


@pytest.fixture
async def outbox(database: InMemoryCallRecordStore) -> AsyncIterator[WriteBehindCallRecordStore]:
    store = WriteBehindCallRecordStore(database, retry_initial=0.01, retry_max=0.05)
    yield store
    await store.stop(drain_timeout=0.5)


async def test_saves_during_an_outage_return_at_once_and_arrive_when_the_database_is_back(
    database: InMemoryCallRecordStore, outbox: WriteBehindCallRecordStore
) -> None:
    database.available = False

    async with asyncio.timeout(0.5):
        for n in range(50):
            await outbox.save(a_call(f"call-{n}"))
    await asyncio.sleep(0.1)
    assert database.records == {}
    assert outbox.pending == 50
    assert not outbox.reachable

    database.available = True

    assert await outbox.flush(timeout=2)
    assert sorted(database.records) == sorted(f"call-{n}" for n in range(50))
    assert outbox.reachable and outbox.dropped == 0


async def test_a_save_then_an_end_during_an_outage_arrive_as_the_ended_call(
    database: InMemoryCallRecordStore, outbox: WriteBehindCallRecordStore
) -> None:
    database.available = False
    await outbox.save(a_call("call-1", caller_number="100"))
    await outbox.mark_ended("call-1", T0 + timedelta(minutes=2), hangup_cause=16)
    await outbox.save(a_call("call-2"))

    assert outbox.pending == 2
    database.available = True
    assert await outbox.flush(timeout=2)

    assert database.records["call-1"] == a_call(
        "call-1", caller_number="100", ended_at=T0 + timedelta(minutes=2), hangup_cause=16
    )


async def test_an_end_for_a_call_saved_before_the_outage_is_applied_after_it(
    database: InMemoryCallRecordStore, outbox: WriteBehindCallRecordStore
) -> None:
    await outbox.save(a_call("call-1", caller_number="100"))
    assert await outbox.flush(timeout=2)
    database.available = False

    await outbox.mark_ended("call-1", T0 + timedelta(minutes=2), hangup_cause=17)
    await asyncio.sleep(0.05)
    database.available = True
    assert await outbox.flush(timeout=2)

    assert database.records["call-1"].hangup_cause == 17
    assert database.records["call-1"].caller_number == "100"


async def test_reads_during_an_outage_see_the_saves_still_waiting(
    database: InMemoryCallRecordStore, outbox: WriteBehindCallRecordStore
) -> None:
    database.available = False
    await outbox.save(a_call("call-1", called_number="600"))

    assert await outbox.get("call-1") == a_call("call-1", called_number="600")


async def test_when_more_calls_wait_than_the_capacity_the_oldest_is_dropped_and_counted(
    database: InMemoryCallRecordStore,
) -> None:
    outbox = WriteBehindCallRecordStore(database, capacity=3, retry_initial=0.01, retry_max=0.02)
    database.available = False
    for n in range(5):
        await outbox.save(a_call(f"call-{n}"))

    assert outbox.pending == 3
    assert outbox.dropped == 2
    database.available = True
    assert await outbox.flush(timeout=2)
    await outbox.stop()
    assert sorted(database.records) == ["call-2", "call-3", "call-4"]


async def test_repeated_saves_of_one_call_take_one_place_in_the_queue(
    database: InMemoryCallRecordStore,
) -> None:
    outbox = WriteBehindCallRecordStore(database, capacity=2, retry_initial=0.01)
    database.available = False
    for n in range(10):
        await outbox.save(a_call("call-1", attached_data={"step": n}))
    await outbox.save(a_call("call-2"))

    assert outbox.pending == 2 and outbox.dropped == 0
    database.available = True
    assert await outbox.flush(timeout=2)
    await outbox.stop()
    assert database.records["call-1"].attached_data == {"step": 9}


async def test_a_write_the_database_rejects_for_good_is_dropped_without_blocking_the_rest() -> None:
    database = RejectingStore()
    outbox = WriteBehindCallRecordStore(database, retry_initial=0.01)
    await outbox.save(a_call("poison"))
    await outbox.save(a_call("call-1"))

    assert await outbox.flush(timeout=2)
    await outbox.stop()
    assert list(database.records) == ["call-1"]
    assert outbox.dropped == 1


async def test_bad_input_is_refused_at_once_not_queued(outbox: WriteBehindCallRecordStore) -> None:
    with pytest.raises(InvalidRecord, match="hangup_cause must be an int"):
        await outbox.mark_ended("call-1", T0, hangup_cause="normal")  # type: ignore[arg-type]

    assert outbox.pending == 0


async def test_flush_gives_up_after_its_timeout_while_the_database_stays_down(
    database: InMemoryCallRecordStore, outbox: WriteBehindCallRecordStore
) -> None:
    database.available = False
    await outbox.save(a_call("call-1"))

    assert await outbox.flush(timeout=0.1) is False
    assert outbox.pending == 1
    assert "switched off" in outbox.last_error

"""Every `CallRecordStore` (in memory, SQLite, PostgreSQL, behind the outbox) keeps calls the same way."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from adapters.storage import SqlCallRecordStore, WriteBehindCallRecordStore
from cti_gateway.ports.store import CallRecord, CallRecordStore, InvalidRecord
from cti_gateway.testing.store import InMemoryCallRecordStore

from .conftest import migrated_database

T0 = datetime(2024, 6, 3, 9, 30, 15, 250000, tzinfo=UTC)


def a_call(call_id: str = "1717407015.42", **changes: object) -> CallRecord:
    fields: dict[str, object] = {
        "call_id": call_id,
        "linked_id": "1717407015.41",
        "direction": "inbound",
        "caller_number": "+4930123456",
        "called_number": "600",
        "started_at": T0,
        "attached_data": {"customer": {"id": 7, "tier": "gold"}, "ivr_path": ["menu", "2"]},
    }
    fields.update(changes)
    return CallRecord(**fields)  # type: ignore[arg-type]


@pytest.fixture(
    params=[
        "memory",
        "sqlite",
        pytest.param("postgresql", marks=pytest.mark.postgres),
        "outbox+sqlite",
        pytest.param("outbox+postgresql", marks=pytest.mark.postgres),
    ]
)
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CallRecordStore]:
    kind: str = request.param
    if kind == "memory":
        yield InMemoryCallRecordStore()
        return
    async with migrated_database(kind.removeprefix("outbox+"), tmp_path) as db:
        if kind.startswith("outbox+"):
            outbox = WriteBehindCallRecordStore(SqlCallRecordStore(db))
            yield outbox
            assert await outbox.flush(timeout=10), "the outbox should drain while the database is up"
            await outbox.stop()
        else:
            yield SqlCallRecordStore(db)


async def test_a_saved_call_reads_back_identical_with_its_attached_data(store: CallRecordStore) -> None:
    record = a_call(answered_at=T0 + timedelta(seconds=4))
    await store.save(record)

    assert await store.get(record.call_id) == record


async def test_moments_come_back_in_utc_whatever_zone_they_were_saved_in(store: CallRecordStore) -> None:
    berlin_summer = timezone(timedelta(hours=2))
    await store.save(a_call(started_at=datetime(2024, 6, 3, 11, 30, 15, 250000, tzinfo=berlin_summer)))

    stored = await store.get("1717407015.42")

    assert stored is not None
    assert stored.started_at == T0
    assert stored.started_at.utcoffset() == timedelta(0)


async def test_an_unknown_call_reads_as_none(store: CallRecordStore) -> None:
    assert await store.get("no-such-call") is None


async def test_saving_the_same_call_again_replaces_the_earlier_state(store: CallRecordStore) -> None:
    await store.save(a_call())
    await store.save(a_call(called_number="700", attached_data={"note": "transferred"}))

    stored = await store.get("1717407015.42")

    assert stored is not None
    assert stored.called_number == "700"
    assert stored.attached_data == {"note": "transferred"}


async def test_marking_a_call_ended_keeps_everything_else_as_saved(store: CallRecordStore) -> None:
    record = a_call(answered_at=T0 + timedelta(seconds=4))
    await store.save(record)

    await store.mark_ended(record.call_id, T0 + timedelta(minutes=3), hangup_cause=16)

    stored = await store.get(record.call_id)
    assert stored == a_call(
        answered_at=T0 + timedelta(seconds=4), ended_at=T0 + timedelta(minutes=3), hangup_cause=16
    )


async def test_ending_an_unknown_call_stores_nothing_and_does_not_raise(store: CallRecordStore) -> None:
    await store.mark_ended("never-saved", T0, hangup_cause=16)

    assert await store.get("never-saved") is None


async def test_recent_calls_come_latest_started_first_up_to_the_limit(store: CallRecordStore) -> None:
    for minute in (5, 1, 9, 3):
        await store.save(a_call(f"call-{minute}", started_at=T0 + timedelta(minutes=minute)))

    recent = await store.list_recent(limit=3)

    assert [r.call_id for r in recent] == ["call-9", "call-5", "call-3"]


async def test_a_list_limit_outside_one_to_a_thousand_is_refused(store: CallRecordStore) -> None:
    with pytest.raises(ValueError, match="limit must be between 1 and 1000"):
        await store.list_recent(limit=0)


async def test_ending_a_call_with_a_naive_time_is_refused_before_anything_is_stored(
    store: CallRecordStore,
) -> None:
    await store.save(a_call())

    with pytest.raises(InvalidRecord, match=r"ended_at must be timezone-aware"):
        await store.mark_ended("1717407015.42", datetime(2024, 6, 3, 9, 40), hangup_cause=16)

    stored = await store.get("1717407015.42")
    assert stored is not None and stored.ended_at is None


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"call_id": ""}, r"call_id must not be empty"),
        ({"call_id": "x" * 129}, r"call_id is 129 characters long; the limit is 128"),
        ({"direction": "sideways"}, r"direction must be one of"),
        ({"started_at": datetime(2024, 6, 3, 9, 30)}, r"started_at must be timezone-aware"),
        ({"caller_number": "100\r\nAction: Originate"}, r"caller_number must not contain control"),
        ({"attached_data": {"when": datetime(2024, 1, 1)}}, r"attached_data must be plain JSON data"),
        ({"attached_data": {"note": "a\x00b"}}, r"must not contain NUL characters"),
        ({"hangup_cause": "16"}, r"hangup_cause must be an int or None"),
    ],
)
def test_a_call_record_that_no_database_would_accept_is_refused_when_built(
    changes: dict[str, object], complaint: str
) -> None:
    with pytest.raises(InvalidRecord, match=complaint):
        a_call(**changes)


def test_attached_data_is_copied_so_later_changes_by_the_caller_do_not_leak_in() -> None:
    data = {"customer": {"id": 7}}
    record = a_call(attached_data=data)
    data["customer"]["id"] = 8

    assert record.attached_data == {"customer": {"id": 7}}

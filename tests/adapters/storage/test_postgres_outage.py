"""Call records saved while PostgreSQL is really stopped reach the table once it runs again.

This test stops and restarts the machine's PostgreSQL cluster; it always restarts it, even on failure.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from adapters.storage import SqlCallRecordStore, WriteBehindCallRecordStore, database_status
from cti_gateway.ports.store import CallRecord

from .conftest import migrated_database, postgres_is_listening

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

T0 = datetime(2024, 6, 3, 9, 30, tzinfo=UTC)


def _cluster_version() -> str:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        pytest.skip("no PostgreSQL cluster configured under /etc/postgresql")
    return versions[-1]


async def _pg_ctlcluster(action: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "pg_ctlcluster", "--skip-systemctl-redirect", _cluster_version(), "main", action,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"pg_ctlcluster {action} failed: {output.decode(errors='replace')}")


async def _wait_until(*, listening: bool, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while postgres_is_listening() != listening:
        if time.monotonic() > deadline:
            raise TimeoutError(f"PostgreSQL did not {'start' if listening else 'stop'} in {within} s")
        await asyncio.sleep(0.1)


def a_call(n: int) -> CallRecord:
    return CallRecord(
        call_id=f"outage-{n:03d}",
        direction="outbound",
        started_at=T0 + timedelta(seconds=n),
        caller_number="600",
        called_number=f"+3312345{n:03d}",
        attached_data={"campaign": "renewals", "attempt": n},
    )


async def test_call_records_saved_while_postgres_is_stopped_are_in_the_table_after_it_restarts(
    tmp_path: Path,
) -> None:
    if not postgres_is_listening():
        pytest.skip("PostgreSQL is not listening on 127.0.0.1:5432")
    async with migrated_database("postgresql", tmp_path) as db:
        outbox = WriteBehindCallRecordStore(SqlCallRecordStore(db), retry_initial=0.1, retry_max=0.5)
        for n in range(10):
            await outbox.save(a_call(n))
        assert await outbox.flush(timeout=10)

        try:
            await _pg_ctlcluster("stop")
            await _wait_until(listening=False)

            started = time.monotonic()
            for n in range(10, 40):
                await outbox.save(a_call(n))
            for n in (3, 15, 39):
                await outbox.mark_ended(f"outage-{n:03d}", T0 + timedelta(minutes=5), hangup_cause=16)
            assert time.monotonic() - started < 1.0, "saves must not wait for the database"

            await asyncio.sleep(1.0)
            assert not outbox.reachable
            assert outbox.pending == 31
            assert "database unreachable" in outbox.last_error
            assert (await database_status(db, timeout=2)).startswith("database unreachable")
        finally:
            await _pg_ctlcluster("start")
            await _wait_until(listening=True)

        assert await outbox.flush(timeout=30), f"outbox still holds {outbox.pending}: {outbox.last_error}"
        await outbox.stop()

        reader = SqlCallRecordStore(db)
        stored = await reader.list_recent(limit=100)
        assert sorted(r.call_id for r in stored) == [f"outage-{n:03d}" for n in range(40)]
        ended = {r.call_id: r.hangup_cause for r in stored if r.ended_at is not None}
        assert ended == {"outage-003": 16, "outage-015": 16, "outage-039": 16}
        assert await reader.get("outage-025") == a_call(25)
        assert outbox.dropped == 0

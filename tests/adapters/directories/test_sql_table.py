"""The SQL customer directory, against SQLite and the real PostgreSQL (a private table per test)."""

from __future__ import annotations

import asyncio
import datetime as dt
import decimal
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Boolean, Column, Date, Integer, MetaData, Numeric, String, Table, text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.directories import SqlCustomerDirectory, open_customer_directory
from cti_gateway.directory import (
    CustomerLookup,
    DirectoryMisconfigured,
    DirectoryUnavailable,
    LookupOutcome,
)
from cti_gateway.settings import DirectorySettings

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def postgres_is_listening() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class CustomerTable:
    url: str
    table: str
    backend: str


async def _create(url: str, table: str) -> None:
    engine = create_async_engine(url)
    metadata = MetaData()
    customers = Table(
        table,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("msisdn", String(32), index=True, nullable=False),
        Column("name", String(200)),
        Column("segment", String(40)),
        Column("vip", Boolean),
        Column("plan_hours", Integer),
        Column("used_hours", Numeric(8, 2)),
        Column("last_contact", Date),
        Column("next_best_offer", String(200)),
    )
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.execute(
                customers.insert(),
                {
                    "id": 1,
                    "msisdn": "+34911234567",
                    "name": "Ana García",
                    "segment": "gold",
                    "vip": True,
                    "plan_hours": 50,
                    "used_hours": decimal.Decimal("63.50"),
                    "last_contact": dt.date(2025, 3, 4),
                    "next_best_offer": "Upgrade to the 100-hour plan?",
                },
            )
            await connection.execute(
                customers.insert(),
                {"id": 2, "msisdn": "+12125551234", "name": "Acme Corp", "segment": "business"},
            )
    finally:
        await engine.dispose()


async def _drop(url: str, table: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            if url.startswith("postgresql"):
                await connection.execute(text(f'DROP VIEW IF EXISTS "{table}_slow"'))
            await connection.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
    finally:
        await engine.dispose()


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)])
async def customer_table(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[CustomerTable]:
    table = f"customers_{uuid.uuid4().hex[:10]}"
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'crm.db'}"
    else:
        if not postgres_is_listening():
            pytest.skip("PostgreSQL is not listening on 127.0.0.1:5432")
        url = POSTGRES_URL
    await _create(url, table)
    try:
        yield CustomerTable(url, table, request.param)
    finally:
        await _drop(url, table)


async def test_the_row_with_the_number_becomes_a_record_with_every_other_column(
    customer_table: CustomerTable,
) -> None:
    directory = SqlCustomerDirectory.from_url(
        customer_table.url, table=customer_table.table, phone_column="msisdn"
    )
    try:
        record = await directory.lookup("+34911234567")
    finally:
        await directory.aclose()
    assert record is not None
    assert record.number == "+34911234567"
    assert record.fields == {
        "id": 1,
        "name": "Ana García",
        "segment": "gold",
        "vip": True,
        "plan_hours": 50,
        "used_hours": 63.5,
        "last_contact": "2025-03-04",
        "next_best_offer": "Upgrade to the 100-hour plan?",
    }
    assert (record.vip, record.segment) == (True, "gold")


async def test_an_unknown_number_is_no_customer(customer_table: CustomerTable) -> None:
    directory = SqlCustomerDirectory.from_url(
        customer_table.url, table=customer_table.table, phone_column="msisdn"
    )
    try:
        assert await directory.lookup("+442079460018") is None
        acme = await directory.lookup("+12125551234")
        assert acme is not None
        assert acme.fields["vip"] is None
    finally:
        await directory.aclose()


async def test_the_settings_open_an_sql_directory_behind_the_lookup_service(
    customer_table: CustomerTable,
) -> None:
    settings = DirectorySettings(
        kind="sql", url=customer_table.url, table=customer_table.table, phone_column="msisdn"
    )
    directory = await open_customer_directory(settings, default_region="US")
    lookup = CustomerLookup.from_settings(directory, settings, default_region="US")
    try:
        record = await lookup.lookup("(212) 555-1234")
        assert record is not None
        assert record.name == "Acme Corp"
    finally:
        await directory.aclose()


async def test_a_missing_table_or_column_is_reported_as_misconfiguration(
    customer_table: CustomerTable,
) -> None:
    missing_table = SqlCustomerDirectory.from_url(customer_table.url, table="no_such_customers")
    wrong_column = SqlCustomerDirectory.from_url(
        customer_table.url, table=customer_table.table, phone_column="tel"
    )
    try:
        with pytest.raises(DirectoryMisconfigured, match="no customer table 'no_such_customers'"):
            await missing_table.verify()
        with pytest.raises(DirectoryMisconfigured, match=r"has no column 'tel' \(columns: id, msisdn"):
            await wrong_column.lookup("+34911234567")
    finally:
        await missing_table.aclose()
        await wrong_column.aclose()


async def test_an_unreachable_database_is_unavailable_and_the_lookup_falls_back() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    directory = SqlCustomerDirectory.from_url(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/test")
    try:
        with pytest.raises(DirectoryUnavailable):
            await directory.verify()
        lookup = CustomerLookup(directory, default_region="US", timeout=2.0)
        assert (await lookup.find("+12125551234")).outcome is LookupOutcome.UNAVAILABLE
    finally:
        await directory.aclose()


def test_a_sync_driver_url_is_refused_with_the_expected_prefixes() -> None:
    with pytest.raises(DirectoryMisconfigured, match=r"postgresql\+asyncpg://"):
        SqlCustomerDirectory.from_url("postgresql://postgres@127.0.0.1/test")


@pytest.mark.postgres
async def test_a_slow_query_times_out_and_the_pool_still_serves_the_next_lookup() -> None:
    if not postgres_is_listening():
        pytest.skip("PostgreSQL is not listening on 127.0.0.1:5432")
    table = f"customers_{uuid.uuid4().hex[:10]}"
    await _create(POSTGRES_URL, table)
    engine = create_async_engine(POSTGRES_URL)
    async with engine.begin() as connection:
        await connection.execute(
            text(f'CREATE VIEW "{table}_slow" AS SELECT c.* FROM "{table}" c, pg_sleep(3) AS s')
        )
    await engine.dispose()
    slow = SqlCustomerDirectory.from_url(POSTGRES_URL, table=f"{table}_slow", phone_column="msisdn")
    fast = SqlCustomerDirectory.from_url(POSTGRES_URL, table=table, phone_column="msisdn")
    try:
        await slow.verify()
        lookup = CustomerLookup(slow, default_region="US", timeout=0.2)
        started = asyncio.get_running_loop().time()
        result = await lookup.find("+34911234567")
        assert asyncio.get_running_loop().time() - started < 1.5
        assert result.outcome is LookupOutcome.UNAVAILABLE
        assert await CustomerLookup(fast, default_region="US").lookup("+34911234567") is not None
    finally:
        await slow.aclose()
        await fast.aclose()
        await _drop(POSTGRES_URL, table)

"""The packaged migrations build the schema the ORM expects, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect, text

from adapters.storage import (
    Database,
    UnsupportedDatabaseUrl,
    database_status,
    downgrade_database,
    head_revision,
    upgrade_database,
)
from adapters.storage.tables import Base

from .conftest import Backend

GATEWAY_TABLES = {
    "call_records",
    "api_tokens",
    "idempotency_keys",
    "webhook_subscriptions",
    "webhook_deliveries",
    "agents",
    "recordings",
}


async def _table_names(backend: Backend) -> set[str]:
    db = Database.from_url(backend.url, schema=backend.schema)
    try:
        async with db.engine.connect() as connection:
            return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
    finally:
        await db.dispose()


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_creates_the_gateway_tables_and_records_the_head_revision(
    empty_backend: Backend,
) -> None:
    await upgrade_database(empty_backend.url, schema=empty_backend.schema)

    assert await _table_names(empty_backend) == GATEWAY_TABLES | {"alembic_version"}
    db = Database.from_url(empty_backend.url, schema=empty_backend.schema)
    try:
        assert await database_status(db.engine) == "ok"
    finally:
        await db.dispose()


async def test_migrated_schema_matches_the_orm_tables_exactly(database: Database) -> None:
    async with database.engine.connect() as connection:
        differences = await connection.run_sync(_differences)

    assert differences == []


async def test_downgrade_to_base_removes_the_tables_and_upgrade_brings_them_back(
    empty_backend: Backend,
) -> None:
    await upgrade_database(empty_backend.url, schema=empty_backend.schema)
    await downgrade_database(empty_backend.url, schema=empty_backend.schema)

    assert await _table_names(empty_backend) & GATEWAY_TABLES == set()

    await upgrade_database(empty_backend.url, schema=empty_backend.schema)
    assert await _table_names(empty_backend) >= GATEWAY_TABLES


async def test_upgrading_an_up_to_date_database_again_changes_nothing(database: Database) -> None:
    url = database.engine.url.render_as_string(hide_password=False)
    schema = None
    if database.dialect == "postgresql":
        async with database.engine.connect() as connection:
            schema = await connection.run_sync(lambda c: c.dialect.default_schema_name)
    await upgrade_database(url, schema=schema)

    assert await database_status(database) == "ok"


async def test_status_says_the_schema_is_missing_before_the_first_migration(empty_backend: Backend) -> None:
    db = Database.from_url(empty_backend.url, schema=empty_backend.schema)
    try:
        status = await database_status(db.engine)
    finally:
        await db.dispose()

    assert status == "database schema is not initialised; run the migrations (upgrade_database)"


async def test_status_names_the_stale_revision_when_the_schema_is_behind(empty_backend: Backend) -> None:
    await upgrade_database(empty_backend.url, schema=empty_backend.schema)
    db = Database.from_url(empty_backend.url, schema=empty_backend.schema)
    try:
        async with db.session() as session:
            await session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
        status = await database_status(db)
    finally:
        await db.dispose()

    assert status == (
        f"database schema is at revision older but this gateway needs {head_revision()}; run the migrations"
    )


async def test_status_reports_an_unreachable_server_instead_of_raising() -> None:
    db = Database.from_url("postgresql+asyncpg://postgres@127.0.0.1:1/none", connect_timeout=1)
    try:
        status = await database_status(db.engine, timeout=3)
    finally:
        await db.dispose()

    assert status.startswith("database unreachable: ")
    assert "Connect" in status or "refused" in status.lower()


def test_a_url_for_another_driver_is_refused_with_the_accepted_forms() -> None:
    with pytest.raises(UnsupportedDatabaseUrl, match=r"sqlite\+aiosqlite:///.*postgresql\+asyncpg://"):
        Database.from_url("mysql://root:secret@db/cti")


def test_a_refused_url_does_not_echo_its_password() -> None:
    with pytest.raises(UnsupportedDatabaseUrl) as caught:
        Database.from_url("mysql://root:hunter2@db/cti")

    assert "hunter2" not in str(caught.value)


@pytest.mark.postgres
async def test_two_gateways_migrating_the_same_postgres_schema_at_once_both_succeed(
    postgres_backend: Backend,
) -> None:
    await asyncio.gather(
        upgrade_database(postgres_backend.url, schema=postgres_backend.schema),
        upgrade_database(postgres_backend.url, schema=postgres_backend.schema),
    )

    assert await _table_names(postgres_backend) == GATEWAY_TABLES | {"alembic_version"}

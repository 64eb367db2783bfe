"""Fixtures giving each test a freshly migrated database: a SQLite file, or a private PostgreSQL schema."""

from __future__ import annotations

import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.storage import Database, upgrade_database

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


def postgres_is_listening() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class Backend:
    """Where one test's tables live."""

    name: str
    url: str
    schema: str | None = None


async def _run_on_postgres(statement: str) -> None:
    """One schema statement outside any transaction, on a throwaway engine."""
    engine = create_async_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


async def _create_schema(schema: str) -> None:
    await _run_on_postgres(f'CREATE SCHEMA "{schema}"')


async def _drop_schema(schema: str) -> None:
    await _run_on_postgres(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


async def _sqlite_backend(tmp_path: Path) -> Backend:
    return Backend("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'var' / 'cti.db'}")


@pytest.fixture(
    params=[
        pytest.param("sqlite"),
        pytest.param("postgresql", marks=pytest.mark.postgres),
    ]
)
async def empty_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """An empty database on each backend; PostgreSQL tests get a private schema, dropped afterwards."""
    if request.param == "sqlite":
        yield await _sqlite_backend(tmp_path)
        return
    if not postgres_is_listening():
        pytest.skip("PostgreSQL is not listening on 127.0.0.1:5432")
    schema = f"cti_test_{uuid.uuid4().hex[:12]}"
    await _create_schema(schema)
    try:
        yield Backend("postgresql", POSTGRES_URL, schema)
    finally:
        await _drop_schema(schema)


@pytest.fixture
async def database(empty_backend: Backend) -> AsyncIterator[Database]:
    """A migrated database on each backend."""
    await upgrade_database(empty_backend.url, schema=empty_backend.schema)
    db = Database.from_url(empty_backend.url, schema=empty_backend.schema)
    try:
        yield db
    finally:
        await db.dispose()


@asynccontextmanager
async def migrated_database(kind: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated `Database` of `kind` ("sqlite" or "postgresql"), torn down afterwards."""
    if kind == "sqlite":
        backend = await _sqlite_backend(tmp_path)
        schema = None
    else:
        if not postgres_is_listening():
            pytest.skip("PostgreSQL is not listening on 127.0.0.1:5432")
        schema = f"cti_test_{uuid.uuid4().hex[:12]}"
        await _create_schema(schema)
        backend = Backend("postgresql", POSTGRES_URL, schema)
    try:
        await upgrade_database(backend.url, schema=schema)
        db = Database.from_url(backend.url, schema=schema)
        try:
            yield db
        finally:
            await db.dispose()
    finally:
        if schema is not None:
            await _drop_schema(schema)


@pytest.fixture
async def postgres_backend() -> AsyncIterator[Backend]:
    """A private, empty PostgreSQL schema (for the tests that only make sense on a server)."""
    if not postgres_is_listening():
        pytest.skip("PostgreSQL is not listening on 127.0.0.1:5432")
    schema = f"cti_test_{uuid.uuid4().hex[:12]}"
    await _create_schema(schema)
    try:
        yield Backend("postgresql", POSTGRES_URL, schema)
    finally:
        await _drop_schema(schema)

"""Engines and sessions for the two supported databases: SQLite (aiosqlite) and PostgreSQL (asyncpg)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class UnsupportedDatabaseUrl(ValueError):
    """The database URL names a driver the gateway does not ship, or is not a URL at all."""


def parse_database_url(url: str) -> URL:
    """Parse and check a database URL, saying which forms are accepted if it is wrong."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UnsupportedDatabaseUrl(f"not a database URL: {exc}") from exc
    if parsed.drivername not in SUPPORTED_DRIVERS:
        raise UnsupportedDatabaseUrl(
            f"database URL {parsed.render_as_string(hide_password=True)!r} uses driver "
            f"{parsed.drivername!r}; use sqlite+aiosqlite:///path/to/cti.db "
            "or postgresql+asyncpg://user@host:5432/dbname"
        )
    return parsed


def _enable_sqlite_safety(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def create_engine_for_url(
    url: str, *, schema: str | None = None, connect_timeout: float = 5.0, echo: bool = False
) -> AsyncEngine:
    """Build an async engine tuned to survive restarts: stale pooled connections are pinged first.

    `schema` (PostgreSQL only) puts the gateway's tables in that schema via the search path. For a
    SQLite file, the parent directory is created if missing.
    """
    parsed = parse_database_url(url)
    if parsed.drivername.startswith("sqlite"):
        if schema is not None:
            raise UnsupportedDatabaseUrl("a schema can only be chosen on PostgreSQL, not on SQLite")
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            parsed, echo=echo, pool_pre_ping=True, connect_args={"timeout": connect_timeout}
        )
        event.listen(engine.sync_engine, "connect", _enable_sqlite_safety)
        return engine
    connect_args: dict[str, Any] = {"timeout": connect_timeout, "command_timeout": 30}
    if schema is not None:
        if not _SCHEMA_NAME.match(schema):
            raise UnsupportedDatabaseUrl(
                f"schema name {schema!r} must be lowercase letters, digits and underscores"
            )
        connect_args["server_settings"] = {"search_path": schema}
    return create_async_engine(parsed, echo=echo, pool_pre_ping=True, connect_args=connect_args)


def is_connection_error(exc: BaseException) -> bool:
    """Whether `exc` means the database could not be reached (retry later), not that the data is bad."""
    if isinstance(exc, OperationalError | InterfaceError | OSError | TimeoutError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class Database:
    """The engine and session factory; `session()` is one transaction, committed if the block succeeds."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(
        cls, url: str, *, schema: str | None = None, connect_timeout: float = 5.0, echo: bool = False
    ) -> Database:
        """Open (lazily: nothing connects yet) the database at `url`."""
        return cls(create_engine_for_url(url, schema=schema, connect_timeout=connect_timeout, echo=echo))

    @property
    def engine(self) -> AsyncEngine:
        """The SQLAlchemy engine, e.g. for `database_status` health checks."""
        return self._engine

    @property
    def dialect(self) -> str:
        """`sqlite` or `postgresql`."""
        return self._engine.dialect.name

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commit when the block ends normally, roll back if it raises."""
        async with self._sessions.begin() as session:
            yield session

    async def dispose(self) -> None:
        """Close every pooled connection (at shutdown, or in tests between backends)."""
        await self._engine.dispose()

"""A customer directory in an SQL table (SQLAlchemy async: PostgreSQL via asyncpg, SQLite via aiosqlite).

The phone column must hold E.164 numbers (`+34911234567`); an index on it keeps lookups fast. Every
other column of the matching row becomes a field of the record. The table is reflected on first use,
so the gateway starts even while the database is down; lookups then fail over to "no customer".
"""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import MetaData, Table, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import NoSuchTableError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from cti_gateway.directory import CustomerRecord, DirectoryMisconfigured, DirectoryUnavailable

ASYNC_DRIVERS = ("postgresql+asyncpg://", "sqlite+aiosqlite://")


class SqlCustomerDirectory:
    """Looks customers up by phone number in one table; `verify()` checks the table and column now."""

    def __init__(
        self,
        engine: AsyncEngine,
        *,
        table: str = "customers",
        phone_column: str = "phone",
        schema: str | None = None,
        owns_engine: bool = False,
    ) -> None:
        self._engine = engine
        self._table_name = table
        self._phone_column = phone_column
        self._schema = schema
        self._owns_engine = owns_engine
        self._table: Table | None = None
        self._reflecting = asyncio.Lock()

    @classmethod
    def from_url(
        cls, url: str, *, table: str = "customers", phone_column: str = "phone", schema: str | None = None
    ) -> SqlCustomerDirectory:
        """A directory with its own connection pool on `url` (postgresql+asyncpg:// or sqlite+aiosqlite://)."""
        if not url.startswith(ASYNC_DRIVERS):
            raise DirectoryMisconfigured(
                f"directory.url must start with {' or '.join(ASYNC_DRIVERS)} for kind sql, "
                f"got {url.split(':', 1)[0]}:…"
            )
        engine = create_async_engine(url, pool_pre_ping=True)
        return cls(engine, table=table, phone_column=phone_column, schema=schema, owns_engine=True)

    async def verify(self) -> None:
        """Reflect the table now; raises DirectoryMisconfigured or DirectoryUnavailable with the reason."""
        await self._customers()

    async def lookup(self, number_e164: str) -> CustomerRecord | None:
        table = await self._customers()
        phone = table.c[self._phone_column]
        statement = select(table).where(phone == number_e164).limit(1)
        try:
            async with self._engine.connect() as connection:
                row = (await connection.execute(statement)).mappings().first()
        except SQLAlchemyError as exc:
            raise DirectoryUnavailable(
                f"customer table {self._where()}: {type(exc).__name__}: {exc}"
            ) from exc
        except OSError as exc:
            raise DirectoryUnavailable(f"customer database unreachable: {exc}") from exc
        if row is None:
            return None
        fields: dict[str, Any] = {key: value for key, value in row.items() if key != self._phone_column}
        return CustomerRecord(number_e164, fields)

    async def aclose(self) -> None:
        """Close the connection pool if this directory created it."""
        if self._owns_engine:
            await self._engine.dispose()

    def _where(self) -> str:
        return f"{self._schema}.{self._table_name}" if self._schema else self._table_name

    async def _customers(self) -> Table:
        if self._table is not None:
            return self._table
        async with self._reflecting:
            if self._table is None:
                self._table = await self._reflect()
        return self._table

    async def _reflect(self) -> Table:
        def reflect(connection: Connection) -> Table:
            return Table(self._table_name, MetaData(), autoload_with=connection, schema=self._schema)

        try:
            async with self._engine.connect() as connection:
                table = await connection.run_sync(reflect)
        except NoSuchTableError:
            raise DirectoryMisconfigured(
                f"no customer table {self._where()!r} in the directory database (directory.table)"
            ) from None
        except SQLAlchemyError as exc:
            raise DirectoryUnavailable(f"customer database: {type(exc).__name__}: {exc}") from exc
        except OSError as exc:
            raise DirectoryUnavailable(f"customer database unreachable: {exc}") from exc
        if self._phone_column not in table.c:
            columns = ", ".join(column.name for column in table.c)
            raise DirectoryMisconfigured(
                f"customer table {self._where()!r} has no column {self._phone_column!r} "
                f"(columns: {columns}); set directory.phone_column"
            )
        return table

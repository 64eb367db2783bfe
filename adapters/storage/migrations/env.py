"""Alembic environment: migrates on the connection `upgrade_database` hands over.

Without one (the alembic CLI with a config whose script_location is this folder) it opens its own
async engine from `-x url=...` or `sqlalchemy.url`.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from adapters.storage.database import create_engine_for_url
from adapters.storage.tables import Base

target_metadata = Base.metadata


def _run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_new_engine(url: str) -> None:
    engine = create_engine_for_url(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run_on)
    finally:
        await engine.dispose()


def _main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("offline (--sql) migrations are not supported; run them against a database")
    shared = context.config.attributes.get("connection")
    if shared is not None:
        _run_on(shared)
        return
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database URL: pass -x url=postgresql+asyncpg://... or use upgrade_database()")
    asyncio.run(_run_on_new_engine(url))


_main()

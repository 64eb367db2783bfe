"""Schema migrations run from code (no alembic.ini needed) and the schema check behind /readyz."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.storage.database import Database, create_engine_for_url

MIGRATIONS_DIRECTORY = Path(__file__).with_name("migrations")

# Two gateways starting together must not both create the tables: PostgreSQL serialises them.
_MIGRATION_LOCK_KEY = 0x6374_6967_7721  # "ctigw!"


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIRECTORY))
    return config


def head_revision() -> str:
    """The newest schema revision this gateway ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships a revision
        raise RuntimeError(f"no migrations found in {MIGRATIONS_DIRECTORY}")
    return head


def _run_alembic(connection: Connection, action: str, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def _migrate(url: str, schema: str | None, action: str, revision: str) -> None:
    engine = create_engine_for_url(url, schema=schema)
    try:
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK_KEY}
                )
            await connection.run_sync(_run_alembic, action, revision)
    finally:
        await engine.dispose()


async def upgrade_database(url: str, *, schema: str | None = None, revision: str = "head") -> None:
    """Bring the database at `url` up to `revision` (default: the newest); safe to run at every start."""
    await _migrate(url, schema, "upgrade", revision)


async def downgrade_database(url: str, *, schema: str | None = None, revision: str = "base") -> None:
    """Take the schema back to `revision` (default: empty). Destroys the data in dropped tables."""
    await _migrate(url, schema, "downgrade", revision)


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def database_status(engine: AsyncEngine | Database, *, timeout: float = 3.0) -> str:
    """ "ok" if the database answers and its schema is at this gateway's head, else what is wrong."""
    if isinstance(engine, Database):
        engine = engine.engine
    try:
        async with asyncio.timeout(timeout):
            async with engine.connect() as connection:
                current = await connection.run_sync(_current_revision)
    except TimeoutError:
        return f"database did not answer within {timeout:g} s"
    except Exception as exc:  # a readiness probe reports every failure instead of raising it
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return f"database unreachable: {type(exc).__name__}: {reason}".rstrip(": ")
    head = head_revision()
    if current is None:
        return "database schema is not initialised; run the migrations (upgrade_database)"
    if current != head:
        return f"database schema is at revision {current} but this gateway needs {head}; run the migrations"
    return "ok"

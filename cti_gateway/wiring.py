"""The composition root: turn settings into adapters and hand them to a `Gateway` as ports.

This module and the CLI are the only places in `cti_gateway` that import `adapters`.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from adapters.asterisk.ami import AmiClient
from adapters.asterisk.ari import AriClient, AriEventLink
from adapters.bus import InProcessBus, RedisStreamsBus
from adapters.storage import (
    Database,
    SqlCallRecordStore,
    WriteBehindCallRecordStore,
    database_status,
    upgrade_database,
)
from cti_gateway.gateway import Gateway
from cti_gateway.ports.bus import EventBus
from cti_gateway.settings import Settings

log = structlog.get_logger(__name__)

MIGRATION_RETRY_SECONDS = 5.0


def build_gateway(settings: Settings) -> Gateway:
    """Wire the adapters named by `settings`; nothing connects until `Gateway.start()`."""
    ami = AmiClient(
        settings.ami_host,
        settings.ami_port,
        settings.ami_username,
        settings.ami_secret.get_secret_value(),
        ping_interval=settings.ami_ping_interval,
        backoff_base=settings.reconnect_backoff_base,
        backoff_max=settings.reconnect_backoff_max,
    )
    ari_client = AriClient(
        str(settings.ari_url).rstrip("/"), settings.ari_username, settings.ari_password.get_secret_value()
    )
    ari = AriEventLink(
        ari_client,
        settings.ari_app,
        backoff_base=settings.reconnect_backoff_base,
        backoff_max=settings.reconnect_backoff_max,
    )
    database = Database.from_url(settings.database_url)
    call_records = WriteBehindCallRecordStore(SqlCallRecordStore(database))
    bus: EventBus = RedisStreamsBus(settings.redis_url) if settings.redis_url else InProcessBus()
    migrations = _Migrations(settings.database_url)

    async def probe_database() -> str:
        return await database_status(database)

    async def close_storage() -> None:
        await migrations.stop()
        await call_records.stop()
        await ari.aclose()
        await database.dispose()

    return Gateway(
        ami=ami,
        ari=ari,
        bus=bus,
        call_records=call_records,
        database_probe=probe_database,
        on_start=[migrations.start, call_records.start],
        on_stop=[close_storage],
    )


class _Migrations:
    """Bring the schema to head at start-up, retrying in the background while the database is away."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._upgrade_until_done(), name="database-migrations")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _upgrade_until_done(self) -> None:
        while True:
            try:
                await upgrade_database(self._url)
            except Exception as exc:
                log.warning("database migration failed; retrying", error=str(exc))
                await asyncio.sleep(MIGRATION_RETRY_SECONDS)
            else:
                log.info("database schema at head")
                return

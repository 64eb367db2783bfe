"""The store ports implemented on a `Database`: one short transaction per call.

Connection failures become `StoreUnavailable` (retry later); anything else propagates, because
retrying it cannot help. `WriteBehindCallRecordStore` (outbox.py) wraps the call-record store so
that the call flow never waits on, or fails because of, the database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.storage.database import Database, is_connection_error
from adapters.storage.repositories import ApiTokenRepository, CallRecordRepository
from cti_gateway.ports.store import (
    ApiToken,
    ApiTokenNotFound,
    CallRecord,
    InvalidRecord,
    StoreUnavailable,
    check_call_end,
    check_revocation,
)

log = structlog.get_logger(__name__)


class _SqlStore:
    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def _session(self, doing: str) -> AsyncIterator[AsyncSession]:
        try:
            async with self._database.session() as session:
                yield session
        except Exception as exc:
            if is_connection_error(exc):
                raise StoreUnavailable(
                    f"database unreachable while {doing}: {type(exc).__name__}: {exc}"
                ) from exc
            raise


class SqlCallRecordStore(_SqlStore):
    """`CallRecordStore` writing straight through; raises `StoreUnavailable` when the database is down."""

    async def save(self, record: CallRecord) -> None:
        async with self._session(f"saving call {record.call_id}") as session:
            await CallRecordRepository(session).add(record)

    async def mark_ended(self, call_id: str, ended_at: datetime, hangup_cause: int | None) -> None:
        check_call_end(call_id, ended_at, hangup_cause)
        async with self._session(f"ending call {call_id}") as session:
            found = await CallRecordRepository(session).mark_ended(call_id, ended_at, hangup_cause)
        if not found:
            log.warning("call_record.end_of_unknown_call", call_id=call_id, hangup_cause=hangup_cause)

    async def get(self, call_id: str) -> CallRecord | None:
        async with self._session(f"reading call {call_id}") as session:
            return await CallRecordRepository(session).get(call_id)

    async def list_recent(self, limit: int = 50) -> list[CallRecord]:
        async with self._session("listing recent calls") as session:
            return await CallRecordRepository(session).list_recent(limit)


class SqlApiTokenStore(_SqlStore):
    """`ApiTokenStore` on the database."""

    async def add(self, token: ApiToken) -> None:
        try:
            async with self._session(f"adding API token {token.id}") as session:
                await ApiTokenRepository(session).add(token)
        except IntegrityError as exc:
            raise InvalidRecord(
                f"API token {token.id!r} was not stored: its id or secret hash is already in use"
            ) from exc

    async def get_by_hash(self, secret_hash: str) -> ApiToken | None:
        async with self._session("looking up an API token") as session:
            return await ApiTokenRepository(session).get_by_hash(secret_hash)

    async def revoke(self, token_id: str, revoked_at: datetime) -> None:
        check_revocation(token_id, revoked_at)
        async with self._session(f"revoking API token {token_id}") as session:
            found = await ApiTokenRepository(session).revoke(token_id, revoked_at)
        if not found:
            raise ApiTokenNotFound(f"no API token with id {token_id!r}")

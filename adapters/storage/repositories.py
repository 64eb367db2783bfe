"""Repositories: one per aggregate, each working inside a session the caller opened.

They translate between ORM rows and the core's dataclasses; the caller decides the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.storage.tables import ApiTokenRow, CallRecordRow
from cti_gateway.ports.store import ApiToken, CallRecord

MAX_LIST_LIMIT = 1000


def _call_record_values(record: CallRecord) -> dict[str, Any]:
    return {
        "call_id": record.call_id,
        "linked_id": record.linked_id,
        "direction": record.direction,
        "caller_number": record.caller_number,
        "called_number": record.called_number,
        "started_at": record.started_at,
        "answered_at": record.answered_at,
        "ended_at": record.ended_at,
        "hangup_cause": record.hangup_cause,
        "attached_data": dict(record.attached_data),
    }


def _call_record_of(row: CallRecordRow) -> CallRecord:
    return CallRecord(
        call_id=row.call_id,
        linked_id=row.linked_id,
        direction=row.direction,  # type: ignore[arg-type]  # guarded by a CHECK constraint
        caller_number=row.caller_number,
        called_number=row.called_number,
        started_at=row.started_at,
        answered_at=row.answered_at,
        ended_at=row.ended_at,
        hangup_cause=row.hangup_cause,
        attached_data=row.attached_data,
    )


def _api_token_of(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        kind=row.kind,  # type: ignore[arg-type]  # guarded by a CHECK constraint
        agent_id=row.agent_id,
        scopes=tuple(row.scopes),
        secret_hash=row.secret_hash,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


class CallRecordRepository:
    """Call records in one session: upsert, look up, list, close."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, record: CallRecord) -> None:
        """Insert the record, or replace the stored one with the same call id (last write wins)."""
        values = _call_record_values(record)
        changed = {name: value for name, value in values.items() if name != "call_id"}
        dialect = self._session.get_bind().dialect.name
        if dialect == "postgresql":
            pg_insert = postgresql.insert(CallRecordRow).values(values)
            statement = pg_insert.on_conflict_do_update(index_elements=["call_id"], set_=changed)
            await self._session.execute(statement)
        else:
            lite_insert = sqlite.insert(CallRecordRow).values(values)
            lite_statement = lite_insert.on_conflict_do_update(index_elements=["call_id"], set_=changed)
            await self._session.execute(lite_statement)

    async def get(self, call_id: str) -> CallRecord | None:
        row = await self._session.get(CallRecordRow, call_id, populate_existing=True)
        return None if row is None else _call_record_of(row)

    async def list_recent(self, limit: int = 50) -> list[CallRecord]:
        """The latest-started calls first (ties broken by call id, so pages are stable)."""
        if not 1 <= limit <= MAX_LIST_LIMIT:
            raise ValueError(f"limit must be between 1 and {MAX_LIST_LIMIT}, got {limit}")
        statement = (
            select(CallRecordRow)
            .order_by(CallRecordRow.started_at.desc(), CallRecordRow.call_id.desc())
            .limit(limit)
        )
        rows = (await self._session.scalars(statement)).all()
        return [_call_record_of(row) for row in rows]

    async def mark_ended(self, call_id: str, ended_at: datetime, hangup_cause: int | None) -> bool:
        """Set the end time and cause; False if there is no such call."""
        statement = (
            update(CallRecordRow)
            .where(CallRecordRow.call_id == call_id)
            .values(ended_at=ended_at, hangup_cause=hangup_cause)
            .execution_options(synchronize_session=False)
        )
        result = await self._session.execute(statement)
        return bool(getattr(result, "rowcount", 0))


class ApiTokenRepository:
    """API tokens in one session: add, find by secret hash, revoke."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, token: ApiToken) -> None:
        """Insert a new token; the id and the secret hash must both be new (IntegrityError otherwise)."""
        self._session.add(
            ApiTokenRow(
                id=token.id,
                name=token.name,
                kind=token.kind,
                agent_id=token.agent_id,
                scopes=list(token.scopes),
                secret_hash=token.secret_hash,
                created_at=token.created_at,
                revoked_at=token.revoked_at,
            )
        )
        await self._session.flush()

    async def get_by_hash(self, secret_hash: str) -> ApiToken | None:
        statement = select(ApiTokenRow).where(ApiTokenRow.secret_hash == secret_hash)
        row = (await self._session.scalars(statement)).one_or_none()
        return None if row is None else _api_token_of(row)

    async def revoke(self, token_id: str, revoked_at: datetime) -> bool:
        """Stamp the revocation time unless already revoked; False if there is no such token."""
        statement = (
            update(ApiTokenRow)
            .where(ApiTokenRow.id == token_id)
            .values(revoked_at=func.coalesce(ApiTokenRow.revoked_at, revoked_at))
            .execution_options(synchronize_session=False)
        )
        result = await self._session.execute(statement)
        return bool(getattr(result, "rowcount", 0))

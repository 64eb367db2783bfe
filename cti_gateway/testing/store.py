"""In-memory call-record and API-token stores with an on/off switch that imitates a database outage."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from cti_gateway.ports.store import (
    ApiToken,
    ApiTokenNotFound,
    CallRecord,
    InvalidRecord,
    StoreUnavailable,
    check_call_end,
    check_revocation,
)


class _Switch:
    def __init__(self) -> None:
        self.available = True

    def _require_available(self, doing: str) -> None:
        if not self.available:
            raise StoreUnavailable(f"in-memory store switched off while {doing}")


class InMemoryCallRecordStore(_Switch):
    """A `CallRecordStore` in a dict; set `available = False` to make every call raise `StoreUnavailable`."""

    def __init__(self) -> None:
        super().__init__()
        self.records: dict[str, CallRecord] = {}

    async def save(self, record: CallRecord) -> None:
        self._require_available(f"saving call {record.call_id}")
        self.records[record.call_id] = record

    async def mark_ended(self, call_id: str, ended_at: datetime, hangup_cause: int | None) -> None:
        check_call_end(call_id, ended_at, hangup_cause)
        self._require_available(f"ending call {call_id}")
        stored = self.records.get(call_id)
        if stored is not None:
            self.records[call_id] = replace(stored, ended_at=ended_at, hangup_cause=hangup_cause)

    async def get(self, call_id: str) -> CallRecord | None:
        self._require_available(f"reading call {call_id}")
        return self.records.get(call_id)

    async def list_recent(self, limit: int = 50) -> list[CallRecord]:
        self._require_available("listing recent calls")
        if not 1 <= limit <= 1000:
            raise ValueError(f"limit must be between 1 and 1000, got {limit}")
        ordered = sorted(self.records.values(), key=lambda r: (r.started_at, r.call_id), reverse=True)
        return ordered[:limit]


class InMemoryApiTokenStore(_Switch):
    """An `ApiTokenStore` in a dict, with the same uniqueness rules as the database."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: dict[str, ApiToken] = {}

    async def add(self, token: ApiToken) -> None:
        self._require_available(f"adding API token {token.id}")
        if token.id in self.tokens or any(t.secret_hash == token.secret_hash for t in self.tokens.values()):
            raise InvalidRecord(
                f"API token {token.id!r} was not stored: its id or secret hash is already in use"
            )
        self.tokens[token.id] = token

    async def get_by_hash(self, secret_hash: str) -> ApiToken | None:
        self._require_available("looking up an API token")
        return next((t for t in self.tokens.values() if t.secret_hash == secret_hash), None)

    async def revoke(self, token_id: str, revoked_at: datetime) -> None:
        check_revocation(token_id, revoked_at)
        self._require_available(f"revoking API token {token_id}")
        token = self.tokens.get(token_id)
        if token is None:
            raise ApiTokenNotFound(f"no API token with id {token_id!r}")
        if token.revoked_at is None:
            self.tokens[token_id] = replace(token, revoked_at=revoked_at)

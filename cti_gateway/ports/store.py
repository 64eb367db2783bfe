"""What the core needs from durable storage: call records and API tokens, as plain values.

Rows, sessions and SQL stay in the storage adapter; the core sees only these dataclasses and
protocols, so domain tests run against `cti_gateway.testing.store` without a database.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, get_args

CallDirection = Literal["inbound", "outbound", "internal"]
TokenKind = Literal["agent", "integration"]

CALL_DIRECTIONS: frozenset[str] = frozenset(get_args(CallDirection))
TOKEN_KINDS: frozenset[str] = frozenset(get_args(TokenKind))

# Column sizes, shared with the storage adapter so that a value the core accepts always fits.
MAX_CALL_ID_LENGTH = 128
MAX_NUMBER_LENGTH = 80
MAX_TOKEN_ID_LENGTH = 64
MAX_TOKEN_NAME_LENGTH = 200
MAX_AGENT_ID_LENGTH = 80
MAX_SECRET_HASH_LENGTH = 256
MAX_SCOPE_LENGTH = 100


class StoreError(Exception):
    """Base class for storage failures the core may want to tell apart."""


class StoreUnavailable(StoreError):
    """The database cannot be reached right now; reads fail, call-record writes wait in the outbox."""


class InvalidRecord(StoreError, ValueError):
    """A value that the store will never accept (wrong type, too long, not JSON); fix the caller."""


class CallRecordNotFound(StoreError, LookupError):
    """A call record that was expected to exist does not."""


class ApiTokenNotFound(StoreError, LookupError):
    """An API token that was expected to exist does not."""


def _check_text(owner: str, name: str, value: object, max_length: int, *, allow_empty: bool) -> None:
    if not isinstance(value, str):
        raise InvalidRecord(f"{owner}.{name} must be a string, got {type(value).__name__}")
    if not allow_empty and not value:
        raise InvalidRecord(f"{owner}.{name} must not be empty")
    if len(value) > max_length:
        raise InvalidRecord(f"{owner}.{name} is {len(value)} characters long; the limit is {max_length}")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        raise InvalidRecord(f"{owner}.{name} must not contain control characters: {value!r}")


def _check_moment(owner: str, name: str, value: object, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, datetime):
        raise InvalidRecord(f"{owner}.{name} must be a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidRecord(f"{owner}.{name} must be timezone-aware (use datetime.now(UTC)), got {value}")


def _in_utc(instance: object, *names: str) -> None:
    """Normalise the named moments of a frozen dataclass to UTC, so every store returns the same value."""
    for name in names:
        value = getattr(instance, name)
        if value is not None:
            object.__setattr__(instance, name, value.astimezone(UTC))


def _json_copy(owner: str, name: str, value: object) -> Any:
    """Return a deep, JSON-only copy of `value`, or say why it can never be stored."""
    try:
        text = json.dumps(value, allow_nan=False, ensure_ascii=True)
    except (TypeError, ValueError) as exc:
        raise InvalidRecord(f"{owner}.{name} must be plain JSON data: {exc}") from exc
    if "\\u0000" in text:
        raise InvalidRecord(f"{owner}.{name} must not contain NUL characters (PostgreSQL rejects them)")
    return json.loads(text)


def check_call_end(call_id: object, ended_at: object, hangup_cause: object) -> None:
    """Raise `InvalidRecord` unless these are a valid argument set for `CallRecordStore.mark_ended`."""
    _check_text("mark_ended", "call_id", call_id, MAX_CALL_ID_LENGTH, allow_empty=False)
    _check_moment("mark_ended", "ended_at", ended_at, optional=False)
    if hangup_cause is not None and (isinstance(hangup_cause, bool) or not isinstance(hangup_cause, int)):
        raise InvalidRecord(f"mark_ended.hangup_cause must be an int or None, got {hangup_cause!r}")


def check_revocation(token_id: object, revoked_at: object) -> None:
    """Raise `InvalidRecord` unless these are a valid argument set for `ApiTokenStore.revoke`."""
    _check_text("revoke", "token_id", token_id, MAX_TOKEN_ID_LENGTH, allow_empty=False)
    _check_moment("revoke", "revoked_at", revoked_at, optional=False)


@dataclass(frozen=True, slots=True)
class CallRecord:
    """The durable trace of one call leg, keyed by the PBX's unique id, for history and reporting.

    Moments must be timezone-aware and are kept in UTC.
    """

    call_id: str
    direction: CallDirection
    started_at: datetime
    linked_id: str = ""
    caller_number: str = ""
    called_number: str = ""
    answered_at: datetime | None = None
    ended_at: datetime | None = None
    hangup_cause: int | None = None
    attached_data: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        owner = "CallRecord"
        _check_text(owner, "call_id", self.call_id, MAX_CALL_ID_LENGTH, allow_empty=False)
        _check_text(owner, "linked_id", self.linked_id, MAX_CALL_ID_LENGTH, allow_empty=True)
        _check_text(owner, "caller_number", self.caller_number, MAX_NUMBER_LENGTH, allow_empty=True)
        _check_text(owner, "called_number", self.called_number, MAX_NUMBER_LENGTH, allow_empty=True)
        if self.direction not in CALL_DIRECTIONS:
            raise InvalidRecord(
                f"CallRecord.direction must be one of {sorted(CALL_DIRECTIONS)}, got {self.direction!r}"
            )
        _check_moment(owner, "started_at", self.started_at, optional=False)
        _check_moment(owner, "answered_at", self.answered_at, optional=True)
        _check_moment(owner, "ended_at", self.ended_at, optional=True)
        _in_utc(self, "started_at", "answered_at", "ended_at")
        if self.hangup_cause is not None and (
            isinstance(self.hangup_cause, bool) or not isinstance(self.hangup_cause, int)
        ):
            raise InvalidRecord(f"CallRecord.hangup_cause must be an int or None, got {self.hangup_cause!r}")
        if not isinstance(self.attached_data, Mapping):
            raise InvalidRecord("CallRecord.attached_data must be a mapping of JSON values")
        attached = _json_copy(owner, "attached_data", dict(self.attached_data))
        object.__setattr__(self, "attached_data", attached)


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A bearer credential for an agent desktop or an integration; only the secret's hash is kept."""

    id: str
    name: str
    kind: TokenKind
    secret_hash: str
    created_at: datetime
    scopes: tuple[str, ...] = ()
    agent_id: str | None = None
    revoked_at: datetime | None = None

    def __post_init__(self) -> None:
        owner = "ApiToken"
        _check_text(owner, "id", self.id, MAX_TOKEN_ID_LENGTH, allow_empty=False)
        _check_text(owner, "name", self.name, MAX_TOKEN_NAME_LENGTH, allow_empty=False)
        _check_text(owner, "secret_hash", self.secret_hash, MAX_SECRET_HASH_LENGTH, allow_empty=False)
        if self.kind not in TOKEN_KINDS:
            raise InvalidRecord(f"ApiToken.kind must be one of {sorted(TOKEN_KINDS)}, got {self.kind!r}")
        if self.kind == "agent" and not self.agent_id:
            raise InvalidRecord("ApiToken.agent_id is required for an agent token")
        if self.agent_id is not None:
            _check_text(owner, "agent_id", self.agent_id, MAX_AGENT_ID_LENGTH, allow_empty=False)
        if isinstance(self.scopes, str) or not isinstance(self.scopes, Sequence):
            raise InvalidRecord("ApiToken.scopes must be a sequence of scope names, not a single string")
        for scope in self.scopes:
            _check_text(owner, "scopes[]", scope, MAX_SCOPE_LENGTH, allow_empty=False)
        object.__setattr__(self, "scopes", tuple(self.scopes))
        _check_moment(owner, "created_at", self.created_at, optional=False)
        _check_moment(owner, "revoked_at", self.revoked_at, optional=True)
        _in_utc(self, "created_at", "revoked_at")

    @property
    def is_revoked(self) -> bool:
        """Whether the token may no longer authenticate anyone."""
        return self.revoked_at is not None


class CallRecordStore(Protocol):
    """Where the core journals calls; `save` must not fail just because the database is down."""

    async def save(self, record: CallRecord) -> None:
        """Insert or replace the record for `record.call_id` (the last save wins)."""

    async def mark_ended(self, call_id: str, ended_at: datetime, hangup_cause: int | None) -> None:
        """Record how and when a call ended, leaving the rest as saved.

        An unknown call id is logged and ignored: the journal must never stall the call flow.
        """

    async def get(self, call_id: str) -> CallRecord | None:
        """The stored record, or None; raises `StoreUnavailable` if the database is down."""

    async def list_recent(self, limit: int = 50) -> list[CallRecord]:
        """The most recently started calls first; raises `StoreUnavailable` if the database is down."""


class ApiTokenStore(Protocol):
    """Where API tokens are kept, looked up by the hash of the presented secret."""

    async def add(self, token: ApiToken) -> None:
        """Store a new token; raises `InvalidRecord` if its id or secret hash is already taken."""

    async def get_by_hash(self, secret_hash: str) -> ApiToken | None:
        """The token with this secret hash (revoked or not), or None."""

    async def revoke(self, token_id: str, revoked_at: datetime) -> None:
        """Mark a token revoked (a second revoke keeps the first time); raises `ApiTokenNotFound`."""

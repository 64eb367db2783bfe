"""Durable storage on SQLAlchemy 2 (async): SQLite by default, PostgreSQL for production.

The composition root opens a `Database`, runs `upgrade_database` at start-up, and hands the core
the store ports: `WriteBehindCallRecordStore(SqlCallRecordStore(db))` and `SqlApiTokenStore(db)`.
"""

from adapters.storage.agent_store import SqlAgentStore
from adapters.storage.call_control_stores import (
    SqlIdempotencyStore,
    SqlWebhookOutbox,
    SqlWebhookSubscriptionStore,
)
from adapters.storage.database import Database, UnsupportedDatabaseUrl, create_engine_for_url
from adapters.storage.outbox import WriteBehindCallRecordStore
from adapters.storage.recording_store import SqlRecordingOwners
from adapters.storage.repositories import ApiTokenRepository, CallRecordRepository
from adapters.storage.schema import database_status, downgrade_database, head_revision, upgrade_database
from adapters.storage.stores import SqlApiTokenStore, SqlCallRecordStore

__all__ = [
    "ApiTokenRepository",
    "CallRecordRepository",
    "Database",
    "SqlAgentStore",
    "SqlApiTokenStore",
    "SqlCallRecordStore",
    "SqlIdempotencyStore",
    "SqlRecordingOwners",
    "SqlWebhookOutbox",
    "SqlWebhookSubscriptionStore",
    "UnsupportedDatabaseUrl",
    "WriteBehindCallRecordStore",
    "create_engine_for_url",
    "database_status",
    "downgrade_database",
    "head_revision",
    "upgrade_database",
]

"""Call records and API tokens: the foundation schema.

Revision ID: 0001
Revises:
Create Date: 2024-06-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "call_records",
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("linked_id", sa.String(128), server_default="", nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("caller_number", sa.String(80), server_default="", nullable=False),
        sa.Column("called_number", sa.String(80), server_default="", nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("hangup_cause", sa.Integer(), nullable=True),
        sa.Column("attached_data", _json, nullable=False),
        sa.CheckConstraint(
            "direction IN ('inbound', 'outbound', 'internal')", name=op.f("ck_call_records_direction")
        ),
        sa.PrimaryKeyConstraint("call_id", name=op.f("pk_call_records")),
    )
    op.create_index(op.f("ix_call_records_linked_id"), "call_records", ["linked_id"])
    op.create_index(op.f("ix_call_records_started_at"), "call_records", ["started_at"])

    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.String(80), nullable=True),
        sa.Column("scopes", _json, nullable=False),
        sa.Column("secret_hash", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('agent', 'integration')", name=op.f("ck_api_tokens_kind")),
        sa.CheckConstraint(
            "kind <> 'agent' OR agent_id IS NOT NULL", name=op.f("ck_api_tokens_agent_token_names_agent")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_tokens_secret_hash")),
    )
    op.create_index(op.f("ix_api_tokens_agent_id"), "api_tokens", ["agent_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_api_tokens_agent_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_index(op.f("ix_call_records_started_at"), table_name="call_records")
    op.drop_index(op.f("ix_call_records_linked_id"), table_name="call_records")
    op.drop_table("call_records")

"""The ledger's first schema: decisions (hash-chained) with their items and measures,
outcomes, control instructions, API keys, audit events.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the column types: a migration must not change when ledger.schema does.
# ledger.schema.UTCDateTime stores through this type.
UTC_TIME = sa.DateTime(timezone=True)
JSON = sa.JSON(none_as_null=True)
# The chain's first link points at this "previous hash" (ledger.chain.GENESIS_HASH).
GENESIS_HASH = "0" * 64


def upgrade() -> None:
    create_decisions()
    create_outcomes()
    create_instructions()
    create_api_keys()
    create_audit_events()


def create_decisions() -> None:
    chain_head = op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("decision_id", sa.String(64), nullable=True),
        sa.Column("record_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_head")),
    )
    op.bulk_insert(chain_head, [{"id": 1, "sequence": 0, "record_hash": GENESIS_HASH}])
    op.create_table(
        "decisions",
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("sequence", sa.BigInteger(), nullable=False),
        sa.Column("declaration_id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("caller", sa.String(100), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("input_hash", sa.String(64), nullable=False),
        sa.Column("model_version", sa.String(100), nullable=False),
        sa.Column("thresholds_version", sa.String(100), nullable=False),
        sa.Column("policy_version", sa.String(100), nullable=False),
        sa.Column("catalogue_version", sa.String(100), nullable=False),
        sa.Column("disposition", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("decision_id", name=op.f("pk_decisions")),
        sa.UniqueConstraint(
            "caller", "idempotency_key", name=op.f("uq_decisions_caller_idempotency_key")
        ),
        sa.UniqueConstraint("record_hash", name=op.f("uq_decisions_record_hash")),
        sa.UniqueConstraint("sequence", name=op.f("uq_decisions_sequence")),
    )
    op.create_index(op.f("ix_decisions_created_at"), "decisions", ["created_at"])
    op.create_index(op.f("ix_decisions_declaration_id"), "decisions", ["declaration_id"])
    op.create_table(
        "decision_items",
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("item_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("selection_reason", sa.String(32), nullable=True),
        sa.Column("random_selected", sa.Boolean(), nullable=False),
        sa.Column("selection_probability", sa.Double(), nullable=False),
        sa.Column("credit_level", sa.String(32), nullable=True),
        sa.Column("highest_level", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.decision_id"],
            name=op.f("fk_decision_items_decision_id_decisions"),
        ),
        sa.PrimaryKeyConstraint("decision_id", "item_no", name=op.f("pk_decision_items")),
    )
    op.create_index(
        op.f("ix_decision_items_selection_reason"), "decision_items", ["selection_reason"]
    )
    op.create_table(
        "decision_measures",
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("item_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("instruction_id", sa.String(64), nullable=True),
        sa.Column("instruction_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id", "item_no"],
            ["decision_items.decision_id", "decision_items.item_no"],
            name=op.f("fk_decision_measures_decision_id_decision_items"),
        ),
        sa.PrimaryKeyConstraint(
            "decision_id", "item_no", "position", name=op.f("pk_decision_measures")
        ),
    )
    op.create_index(
        op.f("ix_decision_measures_instruction_id"), "decision_measures", ["instruction_id"]
    )


def create_outcomes() -> None:
    op.create_table(
        "outcomes",
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("item_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("findings", JSON, nullable=False),
        sa.Column("found", JSON, nullable=False),
        sa.Column("duty_assessed_cny", sa.Double(), nullable=False),
        sa.Column("seized", sa.Boolean(), nullable=False),
        sa.Column("inspected_at", UTC_TIME, nullable=False),
        sa.Column("outcome_known_at", UTC_TIME, nullable=False),
        sa.Column("recorded_at", UTC_TIME, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.Column("selection_reason", sa.String(32), nullable=True),
        sa.Column("selection_probability", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id", "item_no"],
            ["decision_items.decision_id", "decision_items.item_no"],
            name=op.f("fk_outcomes_decision_id_decision_items"),
        ),
        sa.PrimaryKeyConstraint("decision_id", "item_no", name=op.f("pk_outcomes")),
    )
    op.create_index(op.f("ix_outcomes_recorded_at"), "outcomes", ["recorded_at"])


def create_instructions() -> None:
    op.create_table(
        "instructions",
        sa.Column("instruction_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("emergency", sa.Boolean(), nullable=False),
        sa.Column("valid_from", UTC_TIME, nullable=True),
        sa.Column("valid_to", UTC_TIME, nullable=True),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("created_by_role", sa.String(32), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("instruction_id", "version", name=op.f("pk_instructions")),
    )
    op.create_index(op.f("ix_instructions_status"), "instructions", ["status"])


def create_api_keys() -> None:
    op.create_table(
        "api_keys",
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("revoked_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_api_keys")),
    )
    op.create_index(op.f("ix_api_keys_name"), "api_keys", ["name"])


def create_audit_events() -> None:
    op.create_table(
        "audit_events",
        sa.Column(
            "event_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.String(100), nullable=False),
        sa.Column("old", JSON, nullable=True),
        sa.Column("new", JSON, nullable=True),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_audit_events")),
    )
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"])
    op.create_index(
        op.f("ix_audit_events_entity_entity_id"), "audit_events", ["entity", "entity_id"]
    )


def downgrade() -> None:
    # Children before parents; indexes go with their tables.
    for table in (
        "outcomes",
        "decision_measures",
        "decision_items",
        "decisions",
        "chain_head",
        "instructions",
        "api_keys",
        "audit_events",
    ):
        op.drop_table(table)

"""The reviewers' workbench: the queue's facts per goods item and sign-in sessions.

Decisions recorded before this revision have no facts row, so they are not in the queue;
they stay readable by id.

Revision ID: 0003_workbench
Revises: 0002_reviews
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_workbench"
down_revision = "0002_reviews"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "decision_item_facts",
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("item_no", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("decided_at", UTC_TIME, nullable=False),
        sa.Column("declared_at", UTC_TIME, nullable=True),
        sa.Column("customs_office", sa.String(32), nullable=True),
        sa.Column("hs_code", sa.String(32), nullable=True),
        sa.Column("origin_country", sa.String(32), nullable=True),
        sa.Column("top_category", sa.String(32), nullable=True),
        sa.Column("overall_probability", sa.Double(), nullable=False),
        sa.Column("overall_level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decision_id", "item_no"],
            ["decision_items.decision_id", "decision_items.item_no"],
            name=op.f("fk_decision_item_facts_decision_id_decision_items"),
        ),
        sa.PrimaryKeyConstraint("decision_id", "item_no", name=op.f("pk_decision_item_facts")),
    )
    for column in ("decided_at", "customs_office", "top_category", "overall_level"):
        op.create_index(op.f(f"ix_decision_item_facts_{column}"), "decision_item_facts", [column])
    op.create_table(
        "workbench_sessions",
        sa.Column("session_hash", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(32), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("ended_at", UTC_TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["key_id"], ["api_keys.key_id"], name=op.f("fk_workbench_sessions_key_id_api_keys")
        ),
        sa.PrimaryKeyConstraint("session_hash", name=op.f("pk_workbench_sessions")),
    )
    op.create_index(op.f("ix_workbench_sessions_key_id"), "workbench_sessions", ["key_id"])


def downgrade() -> None:
    op.drop_table("workbench_sessions")
    op.drop_table("decision_item_facts")

"""Reviews of decisions and risk warnings: evidence and its review (Art. 15), expert
assessments (Art. 11), risk warnings (Art. 14, 19).

Revision ID: 0002_reviews
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_reviews"
down_revision = "0001"
branch_labels = None
depends_on = None

# Frozen copies of the column types, as in 0001: a migration must not change when
# ledger.schema does.
UTC_TIME = sa.DateTime(timezone=True)
JSON = sa.JSON(none_as_null=True)


def upgrade() -> None:
    create_evidence()
    create_expert_assessments()
    create_risk_warnings()


def _item_key(table: str) -> sa.ForeignKeyConstraint:
    """The goods item a row is about (none: the whole declaration, left unchecked)."""
    return sa.ForeignKeyConstraint(
        ["decision_id", "item_no"],
        ["decision_items.decision_id", "decision_items.item_no"],
        name=op.f(f"fk_{table}_decision_id_decision_items"),
    )


def create_evidence() -> None:
    op.create_table(
        "evidence",
        sa.Column("evidence_id", sa.String(64), nullable=False),
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("item_no", sa.Integer(), nullable=True),
        sa.Column("categories", JSON, nullable=False),
        sa.Column("document_reference", sa.String(200), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("submitted_by", sa.String(100), nullable=False),
        sa.Column("submitted_role", sa.String(32), nullable=False),
        sa.Column("submitted_at", UTC_TIME, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("reviewed_by", sa.String(100), nullable=True),
        sa.Column("reviewed_role", sa.String(32), nullable=True),
        sa.Column("reviewed_at", UTC_TIME, nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("redecision_id", sa.String(64), nullable=True),
        _item_key("evidence"),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.decision_id"],
            name=op.f("fk_evidence_decision_id_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["redecision_id"],
            ["decisions.decision_id"],
            name=op.f("fk_evidence_redecision_id_decisions"),
        ),
        sa.PrimaryKeyConstraint("evidence_id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("redecision_id", name=op.f("uq_evidence_redecision_id")),
    )
    op.create_index(op.f("ix_evidence_decision_id"), "evidence", ["decision_id"])
    op.create_index(op.f("ix_evidence_status"), "evidence", ["status"])


def create_expert_assessments() -> None:
    op.create_table(
        "expert_assessments",
        sa.Column("assessment_id", sa.String(64), nullable=False),
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("item_no", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(32), nullable=True),
        sa.Column("conclusion", sa.String(32), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("author", sa.String(100), nullable=False),
        sa.Column("author_role", sa.String(32), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        _item_key("expert_assessments"),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.decision_id"],
            name=op.f("fk_expert_assessments_decision_id_decisions"),
        ),
        sa.PrimaryKeyConstraint("assessment_id", name=op.f("pk_expert_assessments")),
    )
    op.create_index(
        op.f("ix_expert_assessments_decision_id"), "expert_assessments", ["decision_id"]
    )


def create_risk_warnings() -> None:
    op.create_table(
        "risk_warnings",
        sa.Column("warning_id", sa.String(64), nullable=False),
        sa.Column("audience", sa.String(32), nullable=False),
        sa.Column("scope", JSON, nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("valid_from", UTC_TIME, nullable=False),
        sa.Column("valid_to", UTC_TIME, nullable=False),
        sa.Column("title_zh", sa.String(200), nullable=False),
        sa.Column("title_en", sa.String(200), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("source_signal", JSON, nullable=True),
        sa.Column("issued_by", sa.String(100), nullable=False),
        sa.Column("issued_role", sa.String(32), nullable=False),
        sa.Column("issued_at", UTC_TIME, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("withdrawn_at", UTC_TIME, nullable=True),
        sa.Column("withdrawn_by", sa.String(100), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("warning_id", name=op.f("pk_risk_warnings")),
    )
    op.create_index(op.f("ix_risk_warnings_audience"), "risk_warnings", ["audience"])
    op.create_index(op.f("ix_risk_warnings_status"), "risk_warnings", ["status"])
    op.create_index(op.f("ix_risk_warnings_valid_to"), "risk_warnings", ["valid_to"])


def downgrade() -> None:
    for table in ("risk_warnings", "expert_assessments", "evidence"):
        op.drop_table(table)

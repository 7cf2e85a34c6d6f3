"""The ledger's tables: one schema for SQLite and PostgreSQL.

The migrations in ``ledger/migrations/versions`` create exactly these tables; a test
compares the migrated database with this metadata. Times are stored in UTC and come back
timezone-aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    Double,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Lengths of the identifier columns, each declared once.
ID = 64  # decision, declaration, instruction ids (uuid4 strings are 36)
NAME = 100  # key names, actors, versions
CODE = 32  # roles, statuses, measure codes, selection reasons, credit levels
HASH = 64  # sha256 hex digests
TITLE = 200  # document references, warning titles

# Constraint names fixed by convention, so a later migration can alter or drop them by
# name on both backends (SQLite's batch mode needs names).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """Now, in UTC, timezone-aware: the one clock of the ledger."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC time on both backends.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so the time is stored as
    naive UTC and made aware again when read. Naive input is refused: a time without a
    zone is ambiguous in a record meant to be evidence.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: the ledger stores aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# SQLite gives an auto-incrementing key only to a column declared exactly INTEGER.
AutoIncrementId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(none_as_null=True),
    }


class ChainHead(Base):
    """The last link of the decision chain: one row, locked by every append.

    Appends serialise on it (PostgreSQL ``SELECT … FOR UPDATE``; SQLite takes the write
    lock at ``BEGIN IMMEDIATE``), and ``verify`` compares it with the last decision, so
    rows deleted from the end of the chain are noticed too. The migration inserts it.
    """

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    sequence: Mapped[int] = mapped_column(BigInteger)
    decision_id: Mapped[str | None] = mapped_column(String(ID))
    record_hash: Mapped[str] = mapped_column(String(HASH))


class DecisionRow(Base):
    """One decision on one declaration (Art. 4): append-only, hash-chained."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("caller", "idempotency_key"),)

    decision_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger, unique=True)
    declaration_id: Mapped[str] = mapped_column(String(ID), index=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    caller: Mapped[str] = mapped_column(String(NAME))
    role: Mapped[str] = mapped_column(String(CODE))
    input_hash: Mapped[str] = mapped_column(String(HASH))
    model_version: Mapped[str] = mapped_column(String(NAME))
    thresholds_version: Mapped[str] = mapped_column(String(NAME))
    policy_version: Mapped[str] = mapped_column(String(NAME))
    catalogue_version: Mapped[str] = mapped_column(String(NAME))
    disposition: Mapped[str] = mapped_column(String(ID))
    created_at: Mapped[datetime] = mapped_column(index=True)
    # Text, not JSON: the hash covers these exact bytes (canonical JSON).
    payload: Mapped[str] = mapped_column(Text)
    previous_hash: Mapped[str] = mapped_column(String(HASH))
    record_hash: Mapped[str] = mapped_column(String(HASH), unique=True)


class DecisionItemRow(Base):
    """A goods item of a decision: what the queue and the effectiveness reports query."""

    __tablename__ = "decision_items"

    decision_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("decisions.decision_id"), primary_key=True
    )
    item_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    selection_reason: Mapped[str | None] = mapped_column(String(CODE), index=True)
    random_selected: Mapped[bool] = mapped_column(Boolean)
    selection_probability: Mapped[float] = mapped_column(Double)
    credit_level: Mapped[str | None] = mapped_column(String(CODE))
    highest_level: Mapped[int | None] = mapped_column(Integer)


class DecisionMeasureRow(Base):
    """A measure imposed on a goods item, with its source (and instruction, if any)."""

    __tablename__ = "decision_measures"
    __table_args__ = (
        ForeignKeyConstraint(
            ["decision_id", "item_no"], ["decision_items.decision_id", "decision_items.item_no"]
        ),
    )

    decision_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    item_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(CODE))
    kind: Mapped[str] = mapped_column(String(ID))
    source: Mapped[str] = mapped_column(String(CODE))
    instruction_id: Mapped[str | None] = mapped_column(String(ID), index=True)
    instruction_version: Mapped[int | None] = mapped_column(Integer)


class OutcomeRow(Base):
    """The inspection result of one goods item of a decision: at most one."""

    __tablename__ = "outcomes"
    __table_args__ = (
        ForeignKeyConstraint(
            ["decision_id", "item_no"], ["decision_items.decision_id", "decision_items.item_no"]
        ),
    )

    decision_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    item_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    findings: Mapped[dict[str, Any]]
    found: Mapped[dict[str, Any]]
    duty_assessed_cny: Mapped[float] = mapped_column(Double)
    seized: Mapped[bool] = mapped_column(Boolean)
    inspected_at: Mapped[datetime]
    outcome_known_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(index=True)
    recorded_by: Mapped[str] = mapped_column(String(NAME))
    selection_reason: Mapped[str | None] = mapped_column(String(CODE))
    selection_probability: Mapped[float] = mapped_column(Double)


class InstructionRow(Base):
    """One version of one control instruction (布控指令); every version is kept."""

    __tablename__ = "instructions"

    instruction_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    status: Mapped[str] = mapped_column(String(CODE), index=True)
    payload: Mapped[dict[str, Any]]
    emergency: Mapped[bool] = mapped_column(Boolean)
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(NAME))
    created_by_role: Mapped[str] = mapped_column(String(CODE))
    created_at: Mapped[datetime]


class EvidenceRow(Base):
    """Evidence an enterprise gives against a decision's risk assessment (Art. 15), and
    its review. Accepted evidence names the decision taken again (``redecision_id``)."""

    __tablename__ = "evidence"
    __table_args__ = (
        # item_no NULL (the whole declaration) leaves this key unchecked, as SQL does.
        ForeignKeyConstraint(
            ["decision_id", "item_no"], ["decision_items.decision_id", "decision_items.item_no"]
        ),
    )

    evidence_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    decision_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("decisions.decision_id"), index=True
    )
    item_no: Mapped[int | None] = mapped_column(Integer)
    categories: Mapped[list[str]] = mapped_column(JSON(none_as_null=True))
    document_reference: Mapped[str] = mapped_column(String(TITLE))
    document_sha256: Mapped[str] = mapped_column(String(HASH))
    description: Mapped[str] = mapped_column(Text)
    submitted_by: Mapped[str] = mapped_column(String(NAME))
    submitted_role: Mapped[str] = mapped_column(String(CODE))
    submitted_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(CODE), index=True)
    reviewed_by: Mapped[str | None] = mapped_column(String(NAME))
    reviewed_role: Mapped[str | None] = mapped_column(String(CODE))
    reviewed_at: Mapped[datetime | None]
    review_reason: Mapped[str | None] = mapped_column(Text)
    # Unique: a decision is taken again on account of one evidence only.
    redecision_id: Mapped[str | None] = mapped_column(
        String(ID), ForeignKey("decisions.decision_id"), unique=True
    )


class ExpertAssessmentRow(Base):
    """An expert's assessment of a decision's risk (Art. 11): it informs, decides nothing."""

    __tablename__ = "expert_assessments"
    __table_args__ = (
        ForeignKeyConstraint(
            ["decision_id", "item_no"], ["decision_items.decision_id", "decision_items.item_no"]
        ),
    )

    assessment_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    decision_id: Mapped[str] = mapped_column(
        String(ID), ForeignKey("decisions.decision_id"), index=True
    )
    item_no: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(CODE))
    conclusion: Mapped[str] = mapped_column(String(CODE))
    level: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(NAME))
    author_role: Mapped[str] = mapped_column(String(CODE))
    at: Mapped[datetime]


class RiskWarningRow(Base):
    """A risk warning (Art. 14, 19) as issued, and its withdrawal."""

    __tablename__ = "risk_warnings"

    warning_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    audience: Mapped[str] = mapped_column(String(CODE), index=True)
    scope: Mapped[dict[str, Any]]
    category: Mapped[str] = mapped_column(String(CODE))
    valid_from: Mapped[datetime]
    valid_to: Mapped[datetime] = mapped_column(index=True)
    title_zh: Mapped[str] = mapped_column(String(TITLE))
    title_en: Mapped[str] = mapped_column(String(TITLE))
    text_zh: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    source_signal: Mapped[dict[str, Any] | None]
    issued_by: Mapped[str] = mapped_column(String(NAME))
    issued_role: Mapped[str] = mapped_column(String(CODE))
    issued_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(CODE), index=True)
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(NAME))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)


class ApiKeyRow(Base):
    """An API key: its public id and the hash of the whole key, never the key."""

    __tablename__ = "api_keys"

    key_id: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME), index=True)
    role: Mapped[str] = mapped_column(String(CODE))
    key_hash: Mapped[str] = mapped_column(String(HASH))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(NAME))
    revoked_at: Mapped[datetime | None]


class AuditEventRow(Base):
    """Who did what to which record, with the values before and after (Art. 5)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "entity", "entity_id"),)

    event_id: Mapped[int] = mapped_column(AutoIncrementId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(NAME))
    role: Mapped[str] = mapped_column(String(CODE))
    action: Mapped[str] = mapped_column(String(ID))
    entity: Mapped[str] = mapped_column(String(CODE))
    entity_id: Mapped[str] = mapped_column(String(NAME))
    old: Mapped[dict[str, Any] | None]
    new: Mapped[dict[str, Any] | None]


class DecisionFactsRow(Base):
    """What the reviewers' queue filters and sorts a goods item by, copied from the decision
    when it is recorded. Derived from the hashed payload, so outside the chain: it can be
    rebuilt from the decisions and adds no fact of its own."""

    __tablename__ = "decision_item_facts"
    __table_args__ = (
        ForeignKeyConstraint(
            ["decision_id", "item_no"], ["decision_items.decision_id", "decision_items.item_no"]
        ),
    )

    decision_id: Mapped[str] = mapped_column(String(ID), primary_key=True)
    item_no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    decided_at: Mapped[datetime] = mapped_column(index=True)
    declared_at: Mapped[datetime | None]
    customs_office: Mapped[str | None] = mapped_column(String(CODE), index=True)
    hs_code: Mapped[str | None] = mapped_column(String(CODE))
    origin_country: Mapped[str | None] = mapped_column(String(CODE))
    top_category: Mapped[str | None] = mapped_column(String(CODE), index=True)
    overall_probability: Mapped[float] = mapped_column(Double)
    overall_level: Mapped[int] = mapped_column(Integer, index=True)


class WorkbenchSessionRow(Base):
    """A reviewer signed in to the workbench with a personal key: the hash of the session
    token (the cookie holds the token), the key it came from, and when it ends."""

    __tablename__ = "workbench_sessions"

    session_hash: Mapped[str] = mapped_column(String(HASH), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(CODE), ForeignKey("api_keys.key_id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

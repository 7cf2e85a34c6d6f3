"""Evidence against a decision's risk assessment (Art. 15) and its review.

An enterprise (through its clearance system) or an officer attaches evidence to a
decision: which risk categories it rebuts, on one goods item or the whole declaration,
the document it rests on (a reference and the SHA-256 of its bytes, so the document
shown later can be checked against the one reviewed) and what it shows. An officer
reviews it once: rejected, it is only recorded; accepted, the declaration is decided
again and the new decision is appended to the chain **in the same transaction** as the
evidence's review, so neither exists without the other.

Where the link between the two decisions lives: the new decision's payload names the
decision it supersedes and the evidence (``redecision`` in the payload, under the chain's
hash, so the link cannot be edited unnoticed); the evidence row names the new decision
(``redecision_id``), which is how the old decision finds its successor (its own row is
append-only). A decision is superseded at most once: evidence on a superseded decision
is refused, and pending evidence on it can only be rejected (or given again on the new
decision), so the decisions on a declaration form one line, never a fork.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ledger.actors import Actor
from ledger.audit import AuditEvent, write_event
from ledger.database import read_transaction, write_transaction
from ledger.decisions import NewDecision, RecordedDecision, append
from ledger.errors import AlreadyReviewed, DecisionSuperseded, UnknownDecision, UnknownEvidence
from ledger.schema import TITLE, DecisionItemRow, DecisionRow, EvidenceRow, utc_now
from sources.contracts import RISK_CATEGORIES

PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
MAX_DOCUMENT_REFERENCE_CHARS = TITLE


@dataclass(frozen=True)
class NewEvidence:
    """Evidence as submitted: the categories it rebuts (at least one), on goods item
    ``item_no`` or (None) the whole declaration."""

    categories: tuple[str, ...]
    document_reference: str
    document_sha256: str
    description: str
    item_no: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "categories", tuple(self.categories))
        problems = _problems(self)
        if problems:
            raise ValueError("; ".join(problems))


def _problems(e: NewEvidence) -> list[str]:
    problems = []
    if not e.categories:
        problems.append("field 'categories': name at least one risk category")
    unknown = [c for c in e.categories if c not in RISK_CATEGORIES]
    if unknown:
        problems.append(f"field 'categories': unknown risk categories {unknown}")
    if len(set(e.categories)) != len(e.categories):
        problems.append("field 'categories': a category is listed twice")
    if not e.document_reference.strip() or len(e.document_reference) > TITLE:
        problems.append(f"field 'document_reference': 1 to {TITLE} characters")
    if not re.fullmatch(SHA256_PATTERN, e.document_sha256):
        problems.append("field 'document_sha256': 64 lowercase hexadecimal digits")
    if not e.description.strip():
        problems.append("field 'description': say what the evidence shows")
    return problems


@dataclass(frozen=True)
class RecordedEvidence:
    evidence_id: str
    decision_id: str
    item_no: int | None
    categories: tuple[str, ...]
    document_reference: str
    document_sha256: str
    description: str
    submitted_by: str
    submitted_role: str
    submitted_at: datetime
    status: str
    reviewed_by: str | None
    reviewed_role: str | None
    reviewed_at: datetime | None
    review_reason: str | None
    redecision_id: str | None


def new_evidence_id() -> str:
    return f"EVD-{uuid.uuid4().hex}"


class EvidenceStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def submit(self, decision_id: str, evidence: NewEvidence, actor: Actor) -> RecordedEvidence:
        """Attach ``evidence`` to the decision, pending review, audited as
        ``evidence.submit``. Raises ``UnknownDecision`` (no such decision or goods item)
        or ``DecisionSuperseded``."""
        with write_transaction(self._engine) as session:
            if session.get(DecisionRow, decision_id) is None:
                raise UnknownDecision(f"no decision {decision_id!r}")
            if evidence.item_no is not None and (
                session.get(DecisionItemRow, (decision_id, evidence.item_no)) is None
            ):
                raise UnknownDecision(f"no goods item {evidence.item_no} in decision {decision_id}")
            _lock_evidence_of(session, decision_id)
            _refuse_superseded(session, decision_id)
            row = EvidenceRow(
                evidence_id=new_evidence_id(),
                decision_id=decision_id,
                item_no=evidence.item_no,
                categories=list(evidence.categories),
                document_reference=evidence.document_reference,
                document_sha256=evidence.document_sha256,
                description=evidence.description,
                submitted_by=actor.name,
                submitted_role=str(actor.role),
                submitted_at=utc_now(),
                status=PENDING,
            )
            session.add(row)
            recorded = _recorded(row)
            write_event(
                session,
                AuditEvent(actor, "evidence.submit", "evidence", row.evidence_id, new=recorded),
            )
        return recorded

    def get(self, evidence_id: str) -> RecordedEvidence | None:
        with read_transaction(self._engine) as session:
            row = session.get(EvidenceRow, evidence_id)
            return None if row is None else _recorded(row)

    def of_decision(self, decision_id: str) -> list[RecordedEvidence]:
        """The decision's evidence, in the order it was submitted."""
        query = (
            select(EvidenceRow)
            .where(EvidenceRow.decision_id == decision_id)
            .order_by(EvidenceRow.submitted_at, EvidenceRow.evidence_id)
        )
        with read_transaction(self._engine) as session:
            return [_recorded(row) for row in session.scalars(query)]

    def superseded_by(self, decision_id: str) -> str | None:
        """The decision taken again on accepted evidence of this one, if any."""
        with read_transaction(self._engine) as session:
            return session.scalar(_successor(decision_id))

    def reject(self, evidence_id: str, actor: Actor, reason: str) -> RecordedEvidence:
        """Record that the evidence does not convince, audited as ``evidence.reject``.
        Raises ``UnknownEvidence`` or ``AlreadyReviewed``."""
        _check_reason(reason)
        with write_transaction(self._engine) as session:
            row, old = _pending(session, evidence_id)
            _review(row, REJECTED, actor, reason)
            new = _recorded(row)
            write_event(
                session, AuditEvent(actor, "evidence.reject", "evidence", evidence_id, old, new)
            )
        return new

    def accept(
        self, evidence_id: str, actor: Actor, reason: str, redecision: NewDecision
    ) -> tuple[RecordedEvidence, RecordedDecision]:
        """Accept the evidence and append ``redecision`` (the declaration decided again)
        in one transaction, audited as ``evidence.accept``. Raises ``UnknownEvidence``,
        ``AlreadyReviewed`` or ``DecisionSuperseded`` (another evidence of the decision
        was accepted first); a refusal records nothing, the decision included."""
        _check_reason(reason)
        with write_transaction(self._engine) as session:
            row, old = _pending(session, evidence_id)
            _refuse_superseded(session, row.decision_id)
            declaration_id = session.get(DecisionRow, row.decision_id).declaration_id
            if redecision.declaration_id != declaration_id:
                raise ValueError(
                    f"evidence {evidence_id} is on declaration {declaration_id}, the new "
                    f"decision on {redecision.declaration_id}"
                )
            if redecision.idempotency_key is not None:
                # a replayed earlier decision would be linked as the new one
                raise ValueError("a decision taken again has no idempotency key")
            decided = append(session.connection(), redecision)
            _review(row, ACCEPTED, actor, reason)
            row.redecision_id = decided.decision_id
            new = _recorded(row)
            write_event(
                session, AuditEvent(actor, "evidence.accept", "evidence", evidence_id, old, new)
            )
        return new, decided


def _successor(decision_id: str):
    return select(EvidenceRow.redecision_id).where(
        EvidenceRow.decision_id == decision_id,
        EvidenceRow.status == ACCEPTED,
    )


def _lock_evidence_of(session: Session, decision_id: str) -> dict[str, EvidenceRow]:
    """The decision's evidence rows, locked (PostgreSQL; SQLite's write lock holds the
    whole file) and read afresh, always in id order: a submission or two reviews on one
    decision then run in turn, without deadlock, and each sees what the one before did."""
    rows = session.scalars(
        select(EvidenceRow)
        .where(EvidenceRow.decision_id == decision_id)
        .order_by(EvidenceRow.evidence_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.evidence_id: row for row in rows}


def _refuse_superseded(session: Session, decision_id: str) -> None:
    """Raise ``DecisionSuperseded`` when the decision was taken again (call it with the
    decision's evidence locked)."""
    successor = session.scalar(_successor(decision_id))
    if successor is not None:
        raise DecisionSuperseded(
            f"decision {decision_id} was taken again on accepted evidence: see {successor}"
        )


def _pending(session: Session, evidence_id: str) -> tuple[EvidenceRow, RecordedEvidence]:
    """The evidence row, its decision's evidence locked, if it awaits review; with its
    values before the review."""
    decision_id = session.scalar(
        select(EvidenceRow.decision_id).where(EvidenceRow.evidence_id == evidence_id)
    )
    row = None if decision_id is None else _lock_evidence_of(session, decision_id)[evidence_id]
    if row is None:
        raise UnknownEvidence(f"no evidence {evidence_id!r}")
    if row.status != PENDING:
        raise AlreadyReviewed(
            f"evidence {evidence_id} was {row.status} by {row.reviewed_by} at "
            f"{row.reviewed_at:%Y-%m-%d %H:%M} UTC"
        )
    return row, _recorded(row)


def _check_reason(reason: str) -> None:
    if not reason.strip():
        raise ValueError("field 'reason': say why the evidence is accepted or rejected")


def _review(row: EvidenceRow, status: str, actor: Actor, reason: str) -> None:
    row.status = status
    row.reviewed_by = actor.name
    row.reviewed_role = str(actor.role)
    row.reviewed_at = utc_now()
    row.review_reason = reason.strip()


def _recorded(row: EvidenceRow) -> RecordedEvidence:
    return RecordedEvidence(
        evidence_id=row.evidence_id,
        decision_id=row.decision_id,
        item_no=row.item_no,
        categories=tuple(row.categories),
        document_reference=row.document_reference,
        document_sha256=row.document_sha256,
        description=row.description,
        submitted_by=row.submitted_by,
        submitted_role=row.submitted_role,
        submitted_at=row.submitted_at,
        status=row.status,
        reviewed_by=row.reviewed_by,
        reviewed_role=row.reviewed_role,
        reviewed_at=row.reviewed_at,
        review_reason=row.review_reason,
        redecision_id=row.redecision_id,
    )

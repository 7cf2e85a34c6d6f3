"""Expert assessments (Art. 11): an officer's or analyst's conclusion on a decision's risk.

An assessment is about a decision, one of its goods items or the whole declaration, and
one risk category or all: whether the expert finds the risk confirmed, overstated,
understated or cannot tell, the level (1-4) the expert would give, and why. It informs
reviewers and the re-assessment of the models (Art. 18); it changes no decision. Each is
kept as written (append-only) and audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from ledger.actors import Actor
from ledger.audit import AuditEvent, write_event
from ledger.database import read_transaction, write_transaction
from ledger.errors import UnknownDecision
from ledger.schema import DecisionItemRow, DecisionRow, ExpertAssessmentRow, utc_now
from sources.contracts import RISK_CATEGORIES

CONCLUSIONS: tuple[str, ...] = (
    "risk_confirmed",
    "risk_overstated",
    "risk_understated",
    "inconclusive",
)
MIN_LEVEL, MAX_LEVEL = 1, 4


@dataclass(frozen=True)
class NewAssessment:
    """An assessment as written: ``item_no`` None = the whole declaration, ``category``
    None = every category."""

    conclusion: str
    level: int
    comment: str
    item_no: int | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.conclusion not in CONCLUSIONS:
            problems.append(f"field 'conclusion': one of {', '.join(CONCLUSIONS)}")
        if not MIN_LEVEL <= self.level <= MAX_LEVEL:
            problems.append(f"field 'level': {MIN_LEVEL} to {MAX_LEVEL}")
        if not self.comment.strip():
            problems.append("field 'comment': say what the assessment rests on")
        if self.category is not None and self.category not in RISK_CATEGORIES:
            problems.append(f"field 'category': unknown risk category {self.category!r}")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class RecordedAssessment:
    assessment_id: str
    decision_id: str
    item_no: int | None
    category: str | None
    conclusion: str
    level: int
    comment: str
    author: str
    author_role: str
    at: datetime


class AssessmentStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(
        self, decision_id: str, assessment: NewAssessment, actor: Actor
    ) -> RecordedAssessment:
        """Store the assessment, audited as ``assessment.record``. Raises
        ``UnknownDecision`` (no such decision or goods item)."""
        with write_transaction(self._engine) as session:
            if session.get(DecisionRow, decision_id) is None:
                raise UnknownDecision(f"no decision {decision_id!r}")
            if assessment.item_no is not None and (
                session.get(DecisionItemRow, (decision_id, assessment.item_no)) is None
            ):
                raise UnknownDecision(
                    f"no goods item {assessment.item_no} in decision {decision_id}"
                )
            row = ExpertAssessmentRow(
                assessment_id=f"EXA-{uuid.uuid4().hex}",
                decision_id=decision_id,
                item_no=assessment.item_no,
                category=assessment.category,
                conclusion=assessment.conclusion,
                level=int(assessment.level),
                comment=assessment.comment,
                author=actor.name,
                author_role=str(actor.role),
                at=utc_now(),
            )
            session.add(row)
            recorded = _recorded(row)
            write_event(
                session,
                AuditEvent(
                    actor, "assessment.record", "expert_assessment", row.assessment_id, new=recorded
                ),
            )
        return recorded

    def of_decision(self, decision_id: str) -> list[RecordedAssessment]:
        """The decision's assessments, in the order they were written."""
        query = (
            select(ExpertAssessmentRow)
            .where(ExpertAssessmentRow.decision_id == decision_id)
            .order_by(ExpertAssessmentRow.at, ExpertAssessmentRow.assessment_id)
        )
        with read_transaction(self._engine) as session:
            return [_recorded(row) for row in session.scalars(query)]


def _recorded(row: ExpertAssessmentRow) -> RecordedAssessment:
    return RecordedAssessment(
        assessment_id=row.assessment_id,
        decision_id=row.decision_id,
        item_no=row.item_no,
        category=row.category,
        conclusion=row.conclusion,
        level=row.level,
        comment=row.comment,
        author=row.author,
        author_role=row.author_role,
        at=row.at,
    )

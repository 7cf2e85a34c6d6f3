"""Inspection outcomes: what the inspection of a decided goods item found.

One outcome per goods item of a decision, with the selection reason and probability
copied from the decision, so the outcome says by itself why the item was inspected (what
training, monitoring and the effectiveness report need). The caller checks the content
against the lake contract; this store refuses only what it can see: an unknown decision
or item, and a second outcome. A refusal changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from ledger.actors import Actor
from ledger.audit import AuditEvent, write_event
from ledger.database import read_transaction, write_transaction
from ledger.errors import OutcomeAlreadyRecorded, UnknownDecision
from ledger.schema import DecisionItemRow, DecisionRow, OutcomeRow, utc_now


@dataclass(frozen=True)
class InspectionOutcome:
    """The result of inspecting one goods item: per risk category whether a violation was
    found (``findings``) and, where one was, what (``found``); the duty assessed after
    the inspection (CNY), whether goods were seized, and when it was inspected and the
    result became known (the label exists from then on)."""

    findings: Mapping[str, bool]
    inspected_at: datetime
    outcome_known_at: datetime
    found: Mapping[str, str] = field(default_factory=dict)
    duty_assessed_cny: float = 0.0
    seized: bool = False

    def __post_init__(self) -> None:
        for moment in (self.inspected_at, self.outcome_known_at):
            if moment.tzinfo is None:
                raise ValueError(f"naive datetime {moment!r}: give inspection times in UTC")


@dataclass(frozen=True)
class RecordedOutcome:
    decision_id: str
    declaration_id: str
    item_no: int
    findings: dict[str, bool]
    found: dict[str, str]
    duty_assessed_cny: float
    seized: bool
    inspected_at: datetime
    outcome_known_at: datetime
    recorded_at: datetime
    recorded_by: str
    selection_reason: str | None
    selection_probability: float


class OutcomeStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(
        self, decision_id: str, item_no: int, outcome: InspectionOutcome, actor: Actor
    ) -> RecordedOutcome:
        """Store the outcome of goods item ``item_no`` of the decision, audited as
        ``outcome.record``. Raises ``UnknownDecision`` or ``OutcomeAlreadyRecorded``."""
        try:
            with write_transaction(self._engine) as session:
                item = session.get(DecisionItemRow, (decision_id, item_no))
                if item is None:
                    raise UnknownDecision(f"no goods item {item_no} in decision {decision_id!r}")
                if session.get(OutcomeRow, (decision_id, item_no)) is not None:
                    raise OutcomeAlreadyRecorded(f"decision {decision_id!r} item {item_no}")
                row = _outcome_row(decision_id, item, outcome, actor)
                session.add(row)
                declaration_id = session.scalar(
                    select(DecisionRow.declaration_id).where(DecisionRow.decision_id == decision_id)
                )
                recorded = _recorded(row, declaration_id)
                entity_id = f"{decision_id}/{item_no}"
                write_event(
                    session, AuditEvent(actor, "outcome.record", "outcome", entity_id, new=recorded)
                )
        except IntegrityError as error:
            # Another request stored this item's outcome between our check and our insert.
            raise OutcomeAlreadyRecorded(f"decision {decision_id!r} item {item_no}") from error
        return recorded

    def get(self, decision_id: str, item_no: int) -> RecordedOutcome | None:
        with read_transaction(self._engine) as session:
            found = session.execute(
                _query().where(OutcomeRow.decision_id == decision_id, OutcomeRow.item_no == item_no)
            ).first()
            return None if found is None else _recorded(*found)

    def since(self, moment: datetime) -> list[RecordedOutcome]:
        """Outcomes recorded at or after ``moment``, in the order they were recorded: what
        an export to the lake reads (by recording time, as an outcome known long ago may
        be entered today)."""
        query = (
            _query()
            .where(OutcomeRow.recorded_at >= moment)
            .order_by(OutcomeRow.recorded_at, OutcomeRow.decision_id, OutcomeRow.item_no)
        )
        with read_transaction(self._engine) as session:
            return [
                _recorded(row, declaration_id) for row, declaration_id in session.execute(query)
            ]


def _query():
    return select(OutcomeRow, DecisionRow.declaration_id).join(
        DecisionRow, DecisionRow.decision_id == OutcomeRow.decision_id
    )


def _outcome_row(
    decision_id: str, item: DecisionItemRow, outcome: InspectionOutcome, actor: Actor
) -> OutcomeRow:
    return OutcomeRow(
        decision_id=decision_id,
        item_no=item.item_no,
        findings={category: bool(found) for category, found in outcome.findings.items()},
        found=dict(outcome.found),
        duty_assessed_cny=float(outcome.duty_assessed_cny),
        seized=bool(outcome.seized),
        inspected_at=outcome.inspected_at,
        outcome_known_at=outcome.outcome_known_at,
        recorded_at=utc_now(),
        recorded_by=actor.name,
        selection_reason=item.selection_reason,
        selection_probability=item.selection_probability,
    )


def _recorded(row: OutcomeRow, declaration_id: str) -> RecordedOutcome:
    return RecordedOutcome(
        decision_id=row.decision_id,
        declaration_id=declaration_id,
        item_no=row.item_no,
        findings=dict(row.findings),
        found=dict(row.found),
        duty_assessed_cny=row.duty_assessed_cny,
        seized=row.seized,
        inspected_at=row.inspected_at,
        outcome_known_at=row.outcome_known_at,
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        selection_reason=row.selection_reason,
        selection_probability=row.selection_probability,
    )

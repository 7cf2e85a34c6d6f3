"""Recorded decisions: read them back (audited), and record what inspection found
(``serving.outcomes``)."""

from __future__ import annotations

from fastapi import APIRouter

from ledger.outcomes import RecordedOutcome
from serving.decisions import visible_decision
from serving.dependencies import AppSettings, LedgerAccess
from serving.outcomes import record_inspection
from serving.schemas import OutcomeRequest, RecordedDecisionResponse
from serving.security import OutcomeRecorder, Reviewer
from sources.lake import DataLake

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])


@router.get("/{decision_id}", response_model=RecordedDecisionResponse)
def read_decision(
    decision_id: str, ledger: LedgerAccess, caller: Reviewer
) -> RecordedDecisionResponse:
    """The decision as recorded, with its place in the chain and, for a declaration decided
    again on accepted evidence (Art. 15), the decisions before and after. Every read is
    audited."""
    recorded = visible_decision(ledger, decision_id, caller, audit=True)
    return RecordedDecisionResponse.of(recorded, ledger.evidence.superseded_by(decision_id))


@router.post("/{decision_id}/outcome", status_code=201, response_model=RecordedOutcome)
def record_outcome(
    decision_id: str,
    body: OutcomeRequest,  # type: ignore[valid-type]
    ledger: LedgerAccess,
    settings: AppSettings,
    caller: OutcomeRecorder,
) -> RecordedOutcome:
    """Record what the inspection of one goods item found (once per item)."""
    decided = visible_decision(ledger, decision_id, caller, audit=False)
    return record_inspection(ledger, DataLake(settings.data_dir), decided, body, caller)

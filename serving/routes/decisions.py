"""Recorded decisions: read them back (audited), and record what inspection found
(``serving.outcomes``)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from ledger.actors import Principal, Role
from ledger.decisions import RecordedDecision
from ledger.outcomes import RecordedOutcome
from serving.dependencies import AppSettings, LedgerAccess
from serving.outcomes import record_inspection
from serving.schemas import OutcomeRequest, RecordedDecisionResponse
from serving.security import OutcomeRecorder, Reviewer
from sources.lake import DataLake

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])


def visible_decision(ledger, decision_id: str, caller: Principal, audit: bool) -> RecordedDecision:
    """The decision, if it exists and the caller may see it (a clearance system: only its
    own decisions; 404 otherwise, so ids of others' decisions reveal nothing)."""
    found = ledger.decisions.get(decision_id, reader=caller if audit else None)
    if found is None or (caller.role == Role.clearance_system and found.caller != caller.name):
        raise HTTPException(404, f"no decision {decision_id}")
    return found


@router.get("/{decision_id}", response_model=RecordedDecisionResponse)
def read_decision(
    decision_id: str, ledger: LedgerAccess, caller: Reviewer
) -> RecordedDecisionResponse:
    """The decision as recorded, with its place in the chain. Every read is audited."""
    recorded = visible_decision(ledger, decision_id, caller, audit=True)
    return RecordedDecisionResponse.of(recorded)


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

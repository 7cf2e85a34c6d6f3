"""Recorded decisions: read them back (audited), and record what inspection found.

An outcome is checked against the contract of the lake's inspection outcomes and against
its decision (the goods item exists; inspected no earlier than declared), stored in the
ledger once, and added to the lake, where the next ingestion validates it with the
other sources and training, monitoring and the effectiveness report read it.
"""

from __future__ import annotations

import math

import pandas as pd
from fastapi import APIRouter, HTTPException

from ledger.actors import Principal
from ledger.decisions import RecordedDecision
from ledger.errors import OutcomeAlreadyRecorded, UnknownDecision
from ledger.outcomes import InspectionOutcome, RecordedOutcome
from serving.decisions import visible_decision
from serving.dependencies import AppSettings, LedgerAccess
from serving.errors import InvalidField
from serving.schemas import OutcomeRequest, RecordedDecisionResponse
from serving.security import OutcomeRecorder, Reviewer
from sources.contracts import CONTRACTS, RISK_CATEGORIES, conform
from sources.lake import DataLake

router = APIRouter(prefix="/v1/decisions", tags=["decisions"])
# An inspected item the decision did not select (an officer's own initiative) is targeted.
UNSELECTED_REASON = "rule"


def _visible(ledger, decision_id: str, caller: Principal, audit: bool) -> RecordedDecision:
    return visible_decision(ledger, decision_id, caller, audit)


@router.get("/{decision_id}", response_model=RecordedDecisionResponse)
def read_decision(
    decision_id: str, ledger: LedgerAccess, caller: Reviewer
) -> RecordedDecisionResponse:
    """The decision as recorded, with its place in the chain and, for a declaration decided
    again on accepted evidence (Art. 15), the decisions before and after. Every read is
    audited."""
    recorded = _visible(ledger, decision_id, caller, audit=True)
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
    decided = _visible(ledger, decision_id, caller, audit=False)
    declaration = _declaration_item(decided, body.item_no)
    declared_at = pd.Timestamp(declaration["declared_at"])
    declared_at = declared_at.tz_localize("UTC") if declared_at.tz is None else declared_at
    if body.inspected_at < declared_at:
        raise InvalidField(
            "inspected_at",
            f"before the goods were declared ({declared_at.isoformat()})",
            body.inspected_at.isoformat(),
        )
    outcome = InspectionOutcome(
        findings={c: c in body.findings and body.findings[c].found for c in RISK_CATEGORIES},
        found={c: f.description for c, f in body.findings.items() if f.description},
        inspected_at=body.inspected_at,
        outcome_known_at=body.outcome_known_at,
        duty_assessed_cny=body.duty_recovered_cny,
        seized=body.seized,
    )
    try:
        recorded = ledger.outcomes.record(decision_id, body.item_no, outcome, caller)
    except UnknownDecision as error:
        raise HTTPException(404, str(error)) from None
    except OutcomeAlreadyRecorded as error:
        raise HTTPException(409, f"an outcome is already recorded: {error}") from None
    _add_to_lake(DataLake(settings.data_dir), recorded, declaration)
    return recorded


def _declaration_item(decided: RecordedDecision, item_no: int) -> dict:
    inputs = {int(d.get("item_no", 1)): d for d in decided.payload["inputs"]}
    if item_no not in inputs:
        raise InvalidField("item_no", f"the decision has goods items {sorted(inputs)}", item_no)
    return inputs[item_no]


def _add_to_lake(lake: DataLake, outcome: RecordedOutcome, declaration: dict) -> None:
    """The outcome and its goods item as lake records, for the next ingestion."""
    reason = outcome.selection_reason or UNSELECTED_REASON
    row = {
        "declaration_id": outcome.declaration_id,
        "item_no": outcome.item_no,
        "selection_reason": reason,
        "inspected_at": outcome.inspected_at,
        "outcome_known_at": outcome.outcome_known_at,
        **{f"finding_{c}": bool(outcome.findings.get(c, False)) for c in RISK_CATEGORIES},
        "duty_recovered_cny": outcome.duty_assessed_cny,
        # only a random draw's probability weights the outcome in unbiased estimates
        "selection_probability": outcome.selection_probability if reason == "random" else math.nan,
    }
    name = f"{outcome.decision_id}-{outcome.item_no}"
    frame = pd.DataFrame([row])
    for column in ("inspected_at", "outcome_known_at"):
        frame[column] = frame[column].dt.tz_convert("UTC").dt.tz_localize(None)
    lake.add_incoming("inspection_outcomes", conform(frame, CONTRACTS["inspection_outcomes"]), name)
    goods = pd.DataFrame([declaration])
    goods["declared_at"] = pd.to_datetime(goods["declared_at"], utc=True).dt.tz_localize(None)
    lake.add_incoming("declarations", conform(goods, CONTRACTS["declarations"]), name)

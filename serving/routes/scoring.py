"""Decisions on goods declarations: risk per category, the measures to apply, recorded.

Every call is recorded in the decision ledger before it is answered (Art. 4): a decision
the ledger could not record is never acknowledged (503). The answer is the decision's JSON
as recorded (the response models document it; the decision was built from typed objects
and is not validated a second time). A retried request with the same
``Idempotency-Key`` gets the decision recorded the first time, not a second one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse

from serving.decisions import Decider, DeclarationDecision
from serving.schemas import (
    BatchDecision,
    BatchScoreRequest,
    DeclarationScoreRequest,
    ItemScoreResponse,
    ScoreRequest,
    item_score_json,
)
from serving.security import ClearanceSystem

router = APIRouter(prefix="/v1", tags=["scoring"])
IdempotencyKey = Annotated[
    str | None,
    Header(
        max_length=128,
        description="Retries with the same key get the first decision back, not a new one.",
    ),
]


@router.post("/score", response_model=ItemScoreResponse)
def score(
    body: ScoreRequest,
    decider: Decider,
    caller: ClearanceSystem,
    explain: bool = True,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Decide one goods item: its risks, measures, random selection, recorded as a decision
    (the one-item case of ``/v1/score/declaration``). ``?explain=false`` omits reasons."""
    decided = decider.decide([body.declaration.model_dump()], caller, explain, idempotency_key)
    return JSONResponse(item_score_json(decided[0]))


@router.post("/score/declaration", response_model=DeclarationDecision)
def score_declaration(
    body: DeclarationScoreRequest,
    decider: Decider,
    caller: ClearanceSystem,
    explain: bool = True,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    """Decide all goods items of one declaration together: each item's risks and
    measures, and the declaration's disposition (the strictest any item requires)."""
    items = [d.model_dump() for d in body.items]
    return JSONResponse(decider.decide(items, caller, explain, idempotency_key)[0])


@router.post("/score/batch", response_model=BatchDecision)
def score_batch(
    body: BatchScoreRequest, decider: Decider, caller: ClearanceSystem, explain: bool = True
) -> JSONResponse:
    """Decide up to 1,000 goods items at once: one decision per declaration (items grouped
    by ``declaration_id``). ``?explain=false`` omits reasons."""
    decisions = decider.decide([d.model_dump() for d in body.declarations], caller, explain)
    model_version = decisions[0]["model_version"] if decisions else None
    return JSONResponse({"model_version": model_version, "decisions": decisions})

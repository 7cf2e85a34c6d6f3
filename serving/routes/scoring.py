"""Risk scores of goods declarations, one or a batch at a time."""

from __future__ import annotations

from fastapi import APIRouter

from serving.dependencies import ServedModel
from serving.schemas import BatchDecision, BatchScoreRequest, Decision, ScoreRequest

router = APIRouter(prefix="/v1", tags=["scoring"])


@router.post("/score", response_model=Decision)
def score(body: ScoreRequest, loaded: ServedModel, explain: bool = True) -> Decision:
    """Score one goods declaration. ``?explain=false`` omits reasons (faster)."""
    return loaded.scorer.score([body.declaration.model_dump()], explain=explain)[0]


@router.post("/score/batch", response_model=BatchDecision)
def score_batch(body: BatchScoreRequest, loaded: ServedModel, explain: bool = True) -> dict:
    """Score up to 1,000 goods declarations at once. ``?explain=false`` omits reasons."""
    decisions = loaded.scorer.score([d.model_dump() for d in body.declarations], explain=explain)
    return {"model_version": loaded.scorer.model_version, "decisions": decisions}

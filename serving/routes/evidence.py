"""Evidence against a decision's risk assessment (Art. 15) and its review.

A clearance system (on its own declarations) or an officer gives evidence; an officer
accepts or rejects it, once, saying why. Accepting decides the declaration again with the
rebutted categories set aside and records the new decision with the review: both
decisions stay in the ledger, the old one answering ``superseded_by``, the new one
``supersedes`` and ``evidence_id``. The rules are ``serving.reviews``'.
"""

from __future__ import annotations

from fastapi import APIRouter

from ledger.evidence import RecordedEvidence
from serving.reviews import ReviewAccess, invalid
from serving.schemas import (
    EvidenceReview,
    EvidenceSubmission,
    RecordedDecisionResponse,
    ReviewResponse,
)
from serving.security import EvidenceGiver, EvidenceReviewer, Reviewer

router = APIRouter(prefix="/v1/decisions", tags=["reviews"])


@router.post("/{decision_id}/evidence", status_code=201, response_model=RecordedEvidence)
def submit_evidence(
    decision_id: str, body: EvidenceSubmission, reviews: ReviewAccess, caller: EvidenceGiver
) -> RecordedEvidence:
    """Give evidence that a risk the decision assessed is absent or low: pending until an
    officer reviews it. 409 when the decision was taken again already."""
    try:
        evidence = body.as_new()
    except ValueError as error:
        raise invalid(error, "evidence") from None
    return reviews.submit_evidence(decision_id, evidence, caller)


@router.get("/{decision_id}/evidence", response_model=list[RecordedEvidence])
def list_evidence(
    decision_id: str, reviews: ReviewAccess, caller: Reviewer
) -> list[RecordedEvidence]:
    """The decision's evidence, in the order it was given, with each review."""
    return reviews.evidence_of(decision_id, caller)


@router.post("/{decision_id}/evidence/{evidence_id}/review", response_model=ReviewResponse)
def review_evidence(
    decision_id: str,
    evidence_id: str,
    body: EvidenceReview,
    reviews: ReviewAccess,
    caller: EvidenceReviewer,
) -> ReviewResponse:
    """Accept or reject the evidence, once (409 after). Accepted: the declaration is
    decided again (served model, policy, published instructions; the rebutted categories
    read as no risk on the items it covers; instructions and random selection as before)
    and the new decision is returned."""
    review = reviews.review_evidence(decision_id, evidence_id, body.accept, body.reason, caller)
    decision = review.redecision
    return ReviewResponse(
        evidence=review.evidence,
        decision=None if decision is None else RecordedDecisionResponse.of(decision),
    )

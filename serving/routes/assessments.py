"""Expert assessments of a decision's risk (Art. 11): written by officers and analysts,
read by them; they inform and change no decision."""

from __future__ import annotations

from fastapi import APIRouter

from ledger.assessments import NewAssessment, RecordedAssessment
from serving.reviews import ReviewAccess, invalid
from serving.schemas import AssessmentRequest
from serving.security import Assessor

router = APIRouter(prefix="/v1/decisions", tags=["reviews"])


@router.post("/{decision_id}/assessments", status_code=201, response_model=RecordedAssessment)
def record_assessment(
    decision_id: str, body: AssessmentRequest, reviews: ReviewAccess, caller: Assessor
) -> RecordedAssessment:
    """Record an expert's conclusion on the decision, one of its goods items, one category."""
    try:
        assessment = NewAssessment(**body.model_dump())
    except ValueError as error:
        raise invalid(error, "assessment") from None
    return reviews.record_assessment(decision_id, assessment, caller)


@router.get("/{decision_id}/assessments", response_model=list[RecordedAssessment])
def list_assessments(
    decision_id: str, reviews: ReviewAccess, caller: Assessor
) -> list[RecordedAssessment]:
    """The decision's expert assessments, in the order they were written."""
    return reviews.assessments_of(decision_id, caller)

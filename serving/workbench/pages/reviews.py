"""Evidence (Art. 15) and expert assessments (Art. 11) on the decision page: the forms
behind the same service as the API (``serving.reviews``), which checks roles itself."""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import UploadFile

from ledger.assessments import NewAssessment
from serving.reviews import ReviewAccess
from serving.schemas import AssessmentRequest, EvidenceReview, EvidenceSubmission
from serving.workbench.auth import Assessor, Officer, checked_form
from serving.workbench.forms import (
    form_text,
    refusals,
)
from serving.workbench.pages.decisions import decision_page_with_errors
from serving.workbench.templating import speaker_of

router = APIRouter()


async def _document_hash(form) -> str | None:
    """The SHA-256 of an uploaded document (not kept), else the one typed in."""
    document = form.get("document")
    if isinstance(document, UploadFile):
        content = await document.read()
        if content:
            return hashlib.sha256(content).hexdigest()
    return form_text(form, "document_sha256")


def _back(decision_id: str, anchor: str) -> RedirectResponse:
    return RedirectResponse(f"/workbench/decisions/{decision_id}#{anchor}", 303)


@router.post("/decisions/{decision_id}/evidence", response_model=None)
async def submit_evidence(
    decision_id: str, request: Request, reviews: ReviewAccess, session: Officer
) -> HTMLResponse | RedirectResponse:
    """An enterprise's evidence, entered by an officer: pending until reviewed."""
    form = await request.form()
    checked_form(session, str(form.get("csrf", "")))
    body = {
        "item_no": form_text(form, "item_no"),
        "categories": form.getlist("categories"),
        "document_reference": form_text(form, "document_reference"),
        "document_sha256": await _document_hash(form),
        "description": form_text(form, "description"),
    }
    body = {k: v for k, v in body.items() if v is not None}

    def submit():
        evidence = EvidenceSubmission.model_validate(body).as_new()
        return reviews.submit_evidence(decision_id, evidence, session.principal)

    _, errors = refusals(submit, speaker_of(request))
    if errors:
        return decision_page_with_errors(request, decision_id, session, "evidence", errors)
    return _back(decision_id, "evidence")


@router.post("/decisions/{decision_id}/evidence/{evidence_id}/review", response_model=None)
async def review_evidence(
    decision_id: str,
    evidence_id: str,
    request: Request,
    reviews: ReviewAccess,
    session: Officer,
) -> HTMLResponse | RedirectResponse:
    """Accept (the declaration is decided again: go to the new decision) or reject."""
    form = await request.form()
    checked_form(session, str(form.get("csrf", "")))

    def review():
        body = EvidenceReview.model_validate(
            {"accept": form.get("accept") == "yes", "reason": form_text(form, "reason")}
        )
        return reviews.review_evidence(
            decision_id, evidence_id, body.accept, body.reason, session.principal
        )

    done, errors = refusals(review, speaker_of(request))
    if errors:
        return decision_page_with_errors(request, decision_id, session, "evidence", errors)
    if done.redecision is not None:
        return RedirectResponse(f"/workbench/decisions/{done.redecision.decision_id}", 303)
    return _back(decision_id, "evidence")


@router.post("/decisions/{decision_id}/assessments", response_model=None)
async def record_assessment(
    decision_id: str, request: Request, reviews: ReviewAccess, session: Assessor
) -> HTMLResponse | RedirectResponse:
    """An expert's conclusion on the decision (Art. 11), attributed to the reviewer."""
    form = await request.form()
    checked_form(session, str(form.get("csrf", "")))
    body = {
        "item_no": form_text(form, "item_no"),
        "category": form_text(form, "category"),
        "conclusion": form_text(form, "conclusion"),
        "level": form_text(form, "level"),
        "comment": form_text(form, "comment"),
    }

    def record():
        request_body = AssessmentRequest.model_validate({k: v for k, v in body.items() if v})
        assessment = NewAssessment(**request_body.model_dump())
        return reviews.record_assessment(decision_id, assessment, session.principal)

    _, errors = refusals(record, speaker_of(request))
    if errors:
        return decision_page_with_errors(request, decision_id, session, "assessments", errors)
    return _back(decision_id, "assessments")

"""The decision page: what was declared, the assessment and its reasons per category, the
consignee's record, the measures and the selection; and the outcome form (officers).
Opening it is an audited read of the decision (``decision.read``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup
from pydantic import ValidationError

from ledger.assessments import CONCLUSIONS
from ledger.decisions import RecordedDecision
from ledger.sessions import Session
from serving.decisions import redecision_link, visible_decision
from serving.dependencies import AppSettings, LedgerAccess
from serving.errors import InvalidField
from serving.outcomes import record_inspection
from serving.schemas import OutcomeRequest
from serving.workbench.auth import AnyReviewer, Officer, checked_form
from serving.workbench.charts import contribution_chart
from serving.workbench.consignees import ConsigneeHistory
from serving.workbench.forms import (
    FieldError,
    form_text,
    invalid_field_error,
    validation_errors,
)
from serving.workbench.i18n import Speaker
from serving.workbench.labels import domain_label
from serving.workbench.templating import render, speaker_of
from serving.workbench.views import CategoryView, item_views
from sources.contracts import RISK_CATEGORIES
from sources.lake import DataLake

router = APIRouter()


def reasons_chart(category: CategoryView, speaker: Speaker) -> Markup:
    """The category's top contributions as a chart, in the reviewer's language."""

    def named(reason) -> tuple[str, str, float]:
        value = reason.value
        value = "" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)
        return (domain_label("feature", reason.feature, speaker), value, reason.contribution)

    return contribution_chart(
        [named(r) for r in category.reasons],
        title=speaker.gettext(
            "%(category)s: what raised or lowered the risk",
            category=domain_label("category", category.category, speaker),
        ),
        base_label=speaker.gettext("the model's average goods item"),
        unit_label=speaker.gettext("log-odds"),
        raises_label=speaker.gettext("raises the risk"),
        lowers_label=speaker.gettext("lowers the risk"),
        no_data_label=speaker.gettext("No reasons recorded (scored without explanation)."),
    )


def _history(request: Request, settings) -> ConsigneeHistory:
    state = request.app.state
    if getattr(state, "consignee_history", None) is None:
        state.consignee_history = ConsigneeHistory(DataLake(settings.data_dir))
    return state.consignee_history


def _reviews_of(ledger, recorded: RecordedDecision) -> dict[str, Any]:
    """Evidence, expert assessments and the decisions before and after this one."""
    return {
        "evidence": ledger.evidence.of_decision(recorded.decision_id),
        "assessments": ledger.assessments.of_decision(recorded.decision_id),
        "superseded_by": ledger.evidence.superseded_by(recorded.decision_id),
        "link": redecision_link(recorded),
    }


def _page(
    request: Request,
    session: Session,
    recorded: RecordedDecision,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    ledger, settings = request.app.state.ledger, request.app.state.settings
    items = item_views(recorded, session.principal.role)
    history = _history(request, settings)
    decided_at = datetime.fromisoformat(recorded.payload["decision"]["decided_at"])
    records = {
        item.item_no: history.of(item.consignee_id, decided_at) if item.consignee_id else None
        for item in items
    }
    outcomes = {
        item.item_no: ledger.outcomes.get(recorded.decision_id, item.item_no) for item in items
    }
    speaker = speaker_of(request)
    return render(
        request,
        "decision.html",
        session,
        status_code,
        nav="queue",
        recorded=recorded,
        decision=recorded.payload["decision"],
        items=items,
        records=records,
        outcomes=outcomes,
        categories=RISK_CATEGORIES,
        reasons_chart=lambda category: reasons_chart(category, speaker),
        conclusions=CONCLUSIONS,
        **_reviews_of(ledger, recorded),
        **{"errors": [], "form": {}, "notice": None, "section": None, **extra},
    )


@router.get("/decisions/{decision_id}", response_class=HTMLResponse)
def decision_page(
    decision_id: str,
    request: Request,
    ledger: LedgerAccess,
    settings: AppSettings,
    session: AnyReviewer,
) -> HTMLResponse:
    try:
        recorded = visible_decision(ledger, decision_id, session.principal, audit=True)
    except HTTPException:
        return render(request, "not_found.html", session, 404, what=decision_id)
    notice = request.query_params.get("recorded")
    return _page(request, session, recorded, notice=notice)


def decision_page_with_errors(
    request: Request, decision_id: str, session: Session, section: str, errors: list[FieldError]
) -> HTMLResponse:
    """The decision page again, with why a form of ``section`` was refused (422)."""
    ledger = request.app.state.ledger
    recorded = visible_decision(ledger, decision_id, session.principal, audit=False)
    return _page(request, session, recorded, 422, errors=errors, section=section)


def _outcome_body(form) -> dict[str, Any]:
    """The form as an ``OutcomeRequest`` body (times entered in UTC)."""
    findings = {}
    for category in RISK_CATEGORIES:
        found = form.get(f"found_{category}") == "on"
        description = form_text(form, f"description_{category}") or ""
        if found or description:
            findings[category] = {"found": found, "description": description}
    body: dict[str, Any] = {
        "item_no": form_text(form, "item_no"),
        "inspected_at": form_text(form, "inspected_at"),
        "outcome_known_at": form_text(form, "outcome_known_at"),
        "findings": findings,
        "duty_recovered_cny": form_text(form, "duty_recovered_cny") or 0,
        "seized": form.get("seized") == "on",
    }
    return {k: v for k, v in body.items() if v is not None}


@router.post("/decisions/{decision_id}/outcome", response_model=None)
async def record_outcome_form(
    decision_id: str,
    request: Request,
    ledger: LedgerAccess,
    settings: AppSettings,
    session: Officer,
) -> HTMLResponse | RedirectResponse:
    """The outcome form: the same request model, checks and store as the API's."""
    form = await request.form()
    checked_form(session, str(form.get("csrf", "")))
    recorded = visible_decision(ledger, decision_id, session.principal, audit=False)
    speaker = speaker_of(request)
    errors: list[FieldError] = []
    try:
        body = OutcomeRequest.model_validate(_outcome_body(form))
        outcome = record_inspection(
            ledger, DataLake(settings.data_dir), recorded, body, session.principal
        )
    except ValidationError as error:
        errors = validation_errors(error, speaker)
    except InvalidField as error:
        errors = [invalid_field_error(error, speaker)]
    except HTTPException as error:
        message = speaker.gettext("An outcome is already recorded for this goods item.")
        errors = [FieldError("item_no", message if error.status_code == 409 else str(error.detail))]
    if errors:
        return _page(
            request, session, recorded, 422, errors=errors, form=dict(form), section="outcome"
        )
    return RedirectResponse(
        f"/workbench/decisions/{decision_id}?recorded={outcome.item_no}#item-{outcome.item_no}",
        303,
    )

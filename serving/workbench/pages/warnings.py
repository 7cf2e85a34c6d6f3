"""Risk warnings (Art. 14, 19) in the workbench: the list, issuing one (optionally from a
monitoring signal: a route whose finding rate rose), withdrawing it. Issued warnings are
also published as a JSON Feed (``GET /v1/warnings/feed``) for other systems."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from disposal.warnings import WarningAudience
from ledger.sessions import Session
from reassessment.signals import RouteSignal
from serving.dependencies import LedgerAccess
from serving.errors import InvalidField
from serving.history import HistoryUnavailable
from serving.risk_warnings import issue_warning, warning_response, withdraw_warning
from serving.schemas import WarningRequest, Withdrawal
from serving.security import WARNING_ISSUERS
from serving.workbench.auth import AnyReviewer, checked_form, signed_in
from serving.workbench.forms import (
    FieldError,
    form_text,
    invalid_field_error,
    scope_of,
    validation_errors,
)
from serving.workbench.templating import render, speaker_of
from sources.contracts import RISK_CATEGORIES

router = APIRouter()
Issuer = Annotated[Session, Depends(signed_in(*WARNING_ISSUERS))]


def _signals(request: Request) -> list[RouteSignal]:
    """Routes whose finding rate rose (none while the lake holds no batch yet)."""
    try:
        found, _ = request.app.state.history.current().route_signals(datetime.now(UTC))
    except HistoryUnavailable:
        return []
    return list(found.signals)


def _proposal(signal: RouteSignal) -> dict[str, Any]:
    """A warning's form prefilled from a signal: its route as scope, its category."""
    return {
        "hs_prefixes": ", ".join(signal.suggested_scope.get("hs_prefixes", [])),
        "origin_countries": ", ".join(signal.suggested_scope.get("origin_countries", [])),
        "category": signal.category,
        "audience": WarningAudience.CUSTOMS_INTERNAL.value,
        "source_signal": signal.model_dump_json(),
    }


@router.get("/warnings", response_class=HTMLResponse)
def warnings_page(request: Request, ledger: LedgerAccess, session: AnyReviewer) -> HTMLResponse:
    now = datetime.now(UTC)
    listed = [warning_response(w, now) for w in ledger.warnings.list()]
    may_issue = session.principal.role in {*WARNING_ISSUERS, "admin"}
    signals = _signals(request) if may_issue else []
    chosen = request.query_params.get("signal", "")
    picked = int(chosen) if chosen.isdigit() and int(chosen) < len(signals) else None
    form = _proposal(signals[picked]) if picked is not None else {}
    return _page(
        request, session, listed, signals, form, [], error=request.query_params.get("error")
    )


def _page(
    request, session, listed, signals, form, errors, status_code=200, error=None
) -> HTMLResponse:
    return render(
        request,
        "warnings.html",
        session,
        status_code,
        nav="warnings",
        listed=listed,
        signals=signals,
        form=form,
        errors=errors,
        audiences=list(WarningAudience),
        categories=RISK_CATEGORIES,
        may_issue=session.principal.role in {*WARNING_ISSUERS, "admin"},
        error=error,
    )


def warning_body(form) -> dict[str, Any]:
    body = {
        "audience": form_text(form, "audience"),
        "scope": scope_of(form),
        "category": form_text(form, "category"),
        "valid_from": form_text(form, "valid_from"),
        "valid_to": form_text(form, "valid_to"),
        **{f: form_text(form, f) for f in ("title_zh", "title_en", "text_zh", "text_en")},
    }
    signal = form_text(form, "source_signal")
    if signal:
        body["source_signal"] = json.loads(signal)
    return {k: v for k, v in body.items() if v is not None}


@router.post("/warnings", response_model=None)
async def issue(
    request: Request, ledger: LedgerAccess, session: Issuer
) -> HTMLResponse | RedirectResponse:
    form = await request.form()
    checked_form(session, str(form.get("csrf", "")))
    speaker = speaker_of(request)
    errors: list[FieldError] = []
    try:
        body = WarningRequest.model_validate(warning_body(form))
        issue_warning(ledger, body, session.principal)
    except ValidationError as error:
        errors = validation_errors(error, speaker)
    except InvalidField as error:
        errors = [invalid_field_error(error, speaker)]
    except json.JSONDecodeError:
        errors = [FieldError("source_signal", speaker.gettext("Enter a number."))]
    if errors:
        now = datetime.now(UTC)
        listed = [warning_response(w, now) for w in ledger.warnings.list()]
        return _page(request, session, listed, _signals(request), dict(form), errors, 422)
    return RedirectResponse("/workbench/warnings", 303)


@router.post("/warnings/{warning_id}/withdraw")
async def withdraw(
    warning_id: str, request: Request, ledger: LedgerAccess, session: Issuer
) -> RedirectResponse:
    form = await request.form()
    checked_form(session, str(form.get("csrf", "")))
    speaker = speaker_of(request)
    try:
        body = Withdrawal.model_validate({"reason": form_text(form, "reason")})
        withdraw_warning(ledger, warning_id, body.reason, session.principal)
    except ValidationError:
        message = speaker.gettext("Say why the warning is withdrawn.")
        return RedirectResponse(f"/workbench/warnings?error={quote(message)}", 303)
    except HTTPException as error:
        return RedirectResponse(f"/workbench/warnings?error={quote(str(error.detail))}", 303)
    return RedirectResponse("/workbench/warnings", 303)

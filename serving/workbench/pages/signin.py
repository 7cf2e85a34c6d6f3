"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from ledger.actors import Role
from ledger.audit import AuditEvent
from ledger.sessions import Session
from serving.dependencies import AppSettings, LedgerAccess
from serving.workbench.auth import (
    PREFIX,
    SESSION_COOKIE,
    CsrfToken,
    checked_form,
    current_session,
    safe_next,
)
from serving.workbench.i18n import N_, chosen_language
from serving.workbench.templating import LANGUAGE_COOKIE, render

router = APIRouter()
YEAR = 365 * 24 * 3600


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    return render(request, "signin.html", None, next=safe_next(next), error=None)


@router.post("/sign-in", response_model=None)
def sign_in(
    request: Request,
    ledger: LedgerAccess,
    settings: AppSettings,
    key: Annotated[str, Form()],
    next: Annotated[str, Form()] = PREFIX + "/",
) -> HTMLResponse | RedirectResponse:
    """Check the personal key once and open a session; the key itself is not kept."""
    principal = ledger.keys.authenticate(key.strip())
    error = None
    if principal is None:
        error = N_("This key is unknown or revoked.")
    elif principal.role == Role.clearance_system:
        error = N_("This key belongs to a clearance system; the workbench is for reviewers.")
        ledger.audit.record(AuditEvent(principal, "session.refused", "key", principal.key_id))
    if error is not None:
        return render(request, "signin.html", None, 401, next=safe_next(next), error=error)
    token, _ = ledger.sessions.open(principal, timedelta(hours=settings.workbench_session_hours))
    response = RedirectResponse(safe_next(next), 303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(settings.workbench_session_hours * 3600),
        path=PREFIX,
        secure=settings.workbench_secure_cookie,
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/sign-out")
def sign_out(
    request: Request,
    ledger: LedgerAccess,
    session: Annotated[Session, Depends(current_session)],
    csrf: CsrfToken,
) -> RedirectResponse:
    checked_form(session, csrf)
    ledger.sessions.end(request.cookies[SESSION_COOKIE], session.principal)
    response = RedirectResponse(f"{PREFIX}/sign-in", 303)
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


@router.get("/language")
def switch_language(to: str, next: str | None = None) -> RedirectResponse:
    """Remember the chosen language (a cookie for a year) and go back to the page."""
    response = RedirectResponse(safe_next(next), 303)
    response.set_cookie(
        LANGUAGE_COOKIE, chosen_language(to), max_age=YEAR, path=PREFIX, samesite="lax"
    )
    return response

"""Who is at the workbench: sign-in with a personal API key, a session cookie, roles.

The key is checked once, at sign-in; the browser then holds a random session token in an
HttpOnly, SameSite=Strict cookie scoped to ``/workbench`` (Secure unless configured off),
and the ledger keeps its hash (``ledger.sessions``). Every form carries the session's
CSRF token. Clearance-system keys cannot sign in: the workbench is for people.
"""

from __future__ import annotations

import hmac
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse

from ledger.actors import Role
from ledger.sessions import Session

SESSION_COOKIE = "wb_session"
PREFIX = "/workbench"
STAFF_ROLES = (Role.officer, Role.analyst, Role.publisher, Role.admin)


class SignInRequired(Exception):
    """No live session: the page answers with the sign-in page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class NotAllowed(Exception):
    """The reviewer's role may not see or do this (a 403 page naming the roles that may)."""

    def __init__(self, allowed: tuple[Role, ...]) -> None:
        self.allowed = allowed


class BadForm(Exception):
    """A form without this session's CSRF token (a cross-site post, or a stale page)."""


def safe_next(path: str | None) -> str:
    """Where to go after signing in: only a workbench page of this site."""
    if path and path.startswith(PREFIX + "/") and not path.startswith("//"):
        return path
    return PREFIX + "/"


def sign_in_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}/sign-in?next={quote(safe_next(next_path))}", 303)


def current_session(request: Request) -> Session:
    token = request.cookies.get(SESSION_COOKIE)
    found = request.app.state.ledger.sessions.resolve(token) if token else None
    if found is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path)
    request.state.principal = found.principal  # for the access log
    return found


def signed_in(*roles: Role):
    """A dependency: the live session of a reviewer with one of ``roles`` (admin always)."""
    allowed = (*roles, Role.admin)

    def check(session: Annotated[Session, Depends(current_session)]) -> Session:
        if session.principal.role not in allowed:
            raise NotAllowed(allowed)
        return session

    return check


def checked_form(session: Session, csrf: str) -> Session:
    """``session``, once the form proved it came from one of its pages."""
    if not hmac.compare_digest(csrf.encode(), session.csrf_token.encode()):
        raise BadForm()
    return session


AnyReviewer = Annotated[Session, Depends(signed_in(*STAFF_ROLES))]
Officer = Annotated[Session, Depends(signed_in(Role.officer))]
Assessor = Annotated[Session, Depends(signed_in(Role.officer, Role.analyst))]
Drafter = Annotated[Session, Depends(signed_in(Role.analyst, Role.publisher))]
Publisher = Annotated[Session, Depends(signed_in(Role.publisher))]
CsrfToken = Annotated[str, Form()]

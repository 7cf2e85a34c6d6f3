"""Who is calling (Art. 5): API keys sent as ``Authorization: Bearer …``, each with a role.

No key, or one that is unknown or revoked → 401; a key whose role may not use the route →
403 naming the roles that may. ``/healthz`` and ``/readyz`` need no key. Keys are created
with ``customs-risk keys create`` and stored hashed (``ledger.keys``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledger.actors import Principal, Role

_bearer = HTTPBearer(auto_error=False, description="An API key from `customs-risk keys create`.")


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller behind the bearer key; 401 without a valid one."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            401,
            "an API key is required: Authorization: Bearer <key>",
            {"WWW-Authenticate": "Bearer"},
        )
    found = request.app.state.keys.authenticate(credentials.credentials)
    if found is None:
        raise HTTPException(401, "unknown or revoked API key", {"WWW-Authenticate": "Bearer"})
    request.state.principal = found  # for the access log
    return found


def authorise(caller: Principal, roles: tuple[Role, ...]) -> Principal:
    """``caller`` if its role is one of ``roles`` (admin always); 403 otherwise. For code
    called outside a route's dependencies too (the reviewers' workbench)."""
    allowed = {*roles, Role.admin}
    if caller.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise HTTPException(403, f"role {caller.role} may not do this; allowed: {names}")
    return caller


def requires(*roles: Role) -> Callable[..., Principal]:
    """A dependency admitting callers with one of ``roles`` (admin always); 403 otherwise."""

    def check(caller: Annotated[Principal, Depends(principal)]) -> Principal:
        return authorise(caller, roles)

    return check


# Who may do what with reviews of decisions and with risk warnings (Art. 11, 14, 15).
EVIDENCE_GIVERS = (Role.clearance_system, Role.officer)
EVIDENCE_REVIEWERS = (Role.officer,)
ASSESSORS = (Role.officer, Role.analyst)
WARNING_ISSUERS = (Role.analyst, Role.publisher)


ClearanceSystem = Annotated[Principal, Depends(requires(Role.clearance_system))]
Reviewer = Annotated[
    Principal,
    Depends(requires(Role.clearance_system, Role.officer, Role.analyst, Role.publisher)),
]
OutcomeRecorder = Annotated[Principal, Depends(requires(Role.clearance_system, Role.officer))]
Drafter = Annotated[Principal, Depends(requires(Role.analyst, Role.publisher))]
Publisher = Annotated[Principal, Depends(requires(Role.publisher))]
Staff = Annotated[Principal, Depends(requires(Role.officer, Role.analyst, Role.publisher))]
EvidenceGiver = Annotated[Principal, Depends(requires(*EVIDENCE_GIVERS))]
EvidenceReviewer = Annotated[Principal, Depends(requires(*EVIDENCE_REVIEWERS))]
Assessor = Annotated[Principal, Depends(requires(*ASSESSORS))]
WarningIssuer = Annotated[Principal, Depends(requires(*WARNING_ISSUERS))]
AnyRole = Annotated[Principal, Depends(principal)]

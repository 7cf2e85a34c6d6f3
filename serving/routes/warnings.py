"""Risk warnings (Art. 14, 19): analysts and publishers issue and withdraw them, staff
list them, and any system with a key reads those in force as a JSON Feed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from disposal.warnings import WarningAudience, WarningStatus
from serving.dependencies import LedgerAccess
from serving.risk_warnings import (
    FEED_LANGUAGES,
    issue_warning,
    warning_feed,
    warning_response,
    withdraw_warning,
)
from serving.schemas import WarningFeed, WarningRequest, WarningResponse, Withdrawal
from serving.security import AnyRole, Staff, WarningIssuer

router = APIRouter(prefix="/v1/warnings", tags=["warnings"])
FeedLanguage = Literal[FEED_LANGUAGES]  # type: ignore[valid-type]


class FeedResponse(JSONResponse):
    media_type = "application/feed+json"


@router.post("", status_code=201, response_model=WarningResponse)
def issue(body: WarningRequest, ledger: LedgerAccess, caller: WarningIssuer) -> WarningResponse:
    """Issue a risk warning to its audience, in force from ``valid_from`` (default now)
    to ``valid_to``."""
    recorded = issue_warning(ledger, body, caller)
    return warning_response(recorded, datetime.now(UTC))


@router.post("/{warning_id}/withdraw", response_model=WarningResponse)
def withdraw(
    warning_id: str, body: Withdrawal, ledger: LedgerAccess, caller: WarningIssuer
) -> WarningResponse:
    """Withdraw a warning now, saying why (once: 409 after)."""
    recorded = withdraw_warning(ledger, warning_id, body.reason, caller)
    return warning_response(recorded, datetime.now(UTC))


@router.get("", response_model=list[WarningResponse])
def list_warnings(
    ledger: LedgerAccess,
    caller: Staff,
    status: WarningStatus | None = None,
    audience: WarningAudience | None = None,
    in_force: bool | None = None,
) -> list[WarningResponse]:
    """Warnings, newest first: by ``status`` (issued, withdrawn), ``audience``, and
    whether they are ``in_force`` now."""
    now = datetime.now(UTC)
    listed = [
        warning_response(w, now)
        for w in ledger.warnings.list(
            status=None if status is None else str(status),
            audience=None if audience is None else str(audience),
        )
    ]
    return [w for w in listed if in_force is None or w.in_force_now == in_force]


@router.get(
    "/feed",
    response_model=WarningFeed,
    response_class=FeedResponse,
    response_model_exclude_none=True,
)
def feed(
    request: Request,
    ledger: LedgerAccess,
    caller: AnyRole,
    audience: WarningAudience | None = None,
    lang: FeedLanguage = FEED_LANGUAGES[0],
) -> WarningFeed:
    """The warnings in force now as a JSON Feed 1.1 document (application/feed+json):
    titles and texts in ``lang`` (zh-CN or en), both languages and the warning's
    audience, category, scope and validity in each item's ``_customs``."""
    in_force = ledger.warnings.list(
        audience=None if audience is None else str(audience), in_force_at=datetime.now(UTC)
    )
    return warning_feed(in_force, lang, str(request.url))

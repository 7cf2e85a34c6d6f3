"""Risk warnings through the API and the workbench (Art. 14, 19): issue, withdraw, list,
and the feed other systems read.

The rules are the domain's (``disposal.warnings``) and the records the ledger's
(``ledger.warnings``); here a request becomes a warning, a refusal becomes the API's
answer (422 naming the field, 404, 409), and the warnings in force become a JSON Feed 1.1
document (https://jsonfeed.org/version/1.1) in the language asked for, with both
languages and the warning's terms in its ``_customs`` extension.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from fastapi import HTTPException

from disposal import warnings as lifecycle
from disposal.warnings import WarningError
from ledger.actors import Principal
from ledger.errors import UnknownWarning, WarningWithdrawn
from ledger.store import Ledger
from ledger.warnings import RecordedWarning
from serving.errors import InvalidField
from serving.schemas import (
    FeedItem,
    FeedWarning,
    WarningFeed,
    WarningRequest,
    WarningResponse,
)

ZH, EN = "zh-CN", "en"
FEED_LANGUAGES = (ZH, EN)  # the first is the default
FEED_TITLES = {ZH: "海关风险预警", EN: "Customs risk warnings"}
FEED_DESCRIPTIONS = {
    ZH: "现行有效的风险预警（《海关风险管理办法》第十四条、第十九条）。",
    EN: "Risk warnings in force now (GACC Order No. 271, Art. 14 and 19).",
}


def _invalid(error: WarningError) -> InvalidField:
    return InvalidField(error.field or "warning", str(error))


def issue_warning(ledger: Ledger, body: WarningRequest, caller: Principal) -> RecordedWarning:
    """Issue a warning now (from ``valid_from``, default now), by ``caller``."""
    now = datetime.now(UTC)
    try:
        warning = lifecycle.issue(
            **body.model_dump(exclude={"valid_from"}),
            valid_from=body.valid_from or now,
            issued_by=caller.name,
            at=now,
        )
    except WarningError as error:
        raise _invalid(error) from None
    return ledger.warnings.issue(warning, caller)


def withdraw_warning(
    ledger: Ledger, warning_id: str, reason: str, caller: Principal
) -> RecordedWarning:
    """Withdraw a warning now, saying why; once only (409 after)."""
    try:
        return ledger.warnings.withdraw(warning_id, caller, reason)
    except UnknownWarning as error:
        raise HTTPException(404, str(error)) from None
    except WarningWithdrawn as error:
        raise HTTPException(409, str(error)) from None
    except WarningError as error:
        raise _invalid(error) from None


def warning_response(recorded: RecordedWarning, now: datetime) -> WarningResponse:
    in_force = lifecycle.is_in_force(recorded.warning(), now)
    return WarningResponse(**recorded.__dict__, in_force_now=in_force)


def warning_feed(
    warnings: Sequence[RecordedWarning], language: str, feed_url: str | None = None
) -> WarningFeed:
    """The warnings as a JSON Feed 1.1 document whose titles and texts are in
    ``language`` (zh-CN or en)."""
    english = language == EN
    return WarningFeed(
        title=FEED_TITLES[language],
        description=FEED_DESCRIPTIONS[language],
        feed_url=feed_url,
        language=language,
        items=[
            FeedItem(
                id=w.warning_id,
                title=w.title_en if english else w.title_zh,
                content_text=w.text_en if english else w.text_zh,
                date_published=w.issued_at,
                # a warning in force was never changed: withdrawal is its only change
                date_modified=w.withdrawn_at or w.issued_at,
                language=language,
                customs=FeedWarning(
                    audience=w.audience,
                    category=w.category,
                    scope=w.scope,
                    valid_from=w.valid_from,
                    valid_to=w.valid_to,
                    title_zh=w.title_zh,
                    title_en=w.title_en,
                    text_zh=w.text_zh,
                    text_en=w.text_en,
                ),
            )
            for w in warnings
        ],
    )

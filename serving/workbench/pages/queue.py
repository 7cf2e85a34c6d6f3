"""The queue: decisions of the last days, filtered, riskiest first, paged; and how many
goods items each measure reached today against the policy's capacity targets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from disposal.catalogue import MeasureKind
from ledger.audit import AuditEvent
from ledger.canonical import json_ready
from ledger.queue import QueueFilter
from serving.dependencies import AppSettings, LedgerAccess, ServedModel
from serving.workbench.auth import AnyReviewer
from serving.workbench.templating import render
from sources.contracts import RISK_CATEGORIES

router = APIRouter()
PER_PAGE = 50


@dataclass(frozen=True)
class MeasureLoad:
    """One measure's reach today: goods items and share, against its capacity target."""

    code: str
    name_zh: str
    name_en: str
    items: int
    share: float
    target_share: float | None


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _queue_filter(request: Request, days: int) -> QueueFilter:
    query = request.query_params
    kind = query.get("measure_kind") or None
    return QueueFilter(
        since=datetime.now(UTC) - timedelta(days=days),
        measure_kind=kind if kind in set(MeasureKind) else None,
        level=_int_or_none(query.get("level")),
        category=query.get("category") or None,
        credit_level=query.get("credit_level") or None,
        customs_office=query.get("office") or None,
        instruction_id=query.get("instruction") or None,
        awaiting_outcome=query.get("awaiting") == "1",
    )


def _measure_loads(ledger, loaded) -> tuple[int, list[MeasureLoad]]:
    """Today's (UTC) goods items per measure, with the policy's target share per measure."""
    start_of_day = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    total, counts = ledger.queue.measure_counts(start_of_day)
    targets: dict[str, float] = {}
    for rule in loaded.rules.policy.rules:
        targets[rule.measure] = targets.get(rule.measure, 0.0) + rule.target_share
    loads = []
    for measure in loaded.rules.catalogue.measures.values():
        n = counts.get(measure.code, 0)
        if n or measure.code in targets:
            share = n / total if total else 0.0
            loads.append(
                MeasureLoad(
                    measure.code,
                    measure.name_zh,
                    measure.name_en,
                    n,
                    share,
                    targets.get(measure.code),
                )
            )
    return total, loads


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request,
    ledger: LedgerAccess,
    settings: AppSettings,
    loaded: ServedModel,
    session: AnyReviewer,
) -> HTMLResponse:
    wanted = _queue_filter(request, settings.workbench_queue_days)
    page = max(1, _int_or_none(request.query_params.get("page")) or 1)
    found = ledger.queue.page(wanted, page, PER_PAGE)
    # what was listed, and for whom: reading decisions, even as a list, is on the record
    listed = {"filters": json_ready(wanted), "page": page, "items": found.total}
    ledger.audit.record(
        AuditEvent(session.principal, "queue.read", "queue", "workbench", new=listed)
    )
    today_total, loads = _measure_loads(ledger, loaded)
    query = {k: v for k, v in request.query_params.items() if k != "page" and v}
    return render(
        request,
        "queue.html",
        session,
        nav="queue",
        found=found,
        wanted=wanted,
        query=query,
        days=settings.workbench_queue_days,
        today_total=today_total,
        loads=loads,
        kinds=list(MeasureKind),
        categories=RISK_CATEGORIES,
        credit_levels=list(loaded.rules.policy.credit),
        offices=ledger.queue.offices(wanted.since),
    )

"""Monitoring signals an analyst can turn into a risk warning or a control instruction.

``GET /v1/monitoring/signals``: routes (HS chapter × origin country) whose finding rate in
a category rose in the recent window against the baseline before it, with statistical
support (``reassessment.signals``), each with a suggested instruction scope. Read from the
lake's history (``serving.history``), up to now or the lake's end.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query

from reassessment.signals import BASELINE_DAYS, FALSE_DISCOVERY_RATE, MIN_INSPECTED, RECENT_DAYS
from serving.dependencies import RecentHistory
from serving.schemas import MonitoringSignals
from serving.security import Drafter

router = APIRouter(prefix="/v1/monitoring", tags=["monitoring"])


@router.get("/signals", response_model=MonitoringSignals)
def route_signals(
    history: RecentHistory,
    caller: Drafter,
    recent_days: Annotated[int, Query(ge=1, le=365)] = RECENT_DAYS,
    baseline_days: Annotated[int, Query(ge=1, le=1095)] = BASELINE_DAYS,
    min_inspected: Annotated[int, Query(ge=1, le=100_000)] = MIN_INSPECTED,
    false_discovery_rate: Annotated[float, Query(gt=0, le=0.5)] = FALSE_DISCOVERY_RATE,
) -> MonitoringSignals:
    """Routes whose finding rate in a category rose (one-sided Fisher's exact test,
    Benjamini-Hochberg over every route tested), most certain first."""
    now = datetime.now(UTC)
    scan, basis = history.route_signals(
        now,
        recent_days=recent_days,
        baseline_days=baseline_days,
        min_inspected=min_inspected,
        false_discovery_rate=false_discovery_rate,
    )
    return MonitoringSignals(**dict(scan), requested_until=now, until_basis=basis)

"""Art. 10 risk assessment: likelihood, severity, trend and level per category.

- likelihood: the calibrated probability of a finding;
- severity: what is at stake if the risk is real — for revenue the duty at stake
  (value × duty rate, CNY); for the safety and protection categories a documented
  category weight times the quantity involved, log-scaled;
- trend: how the findings rate of the declaration's segment (HS chapter × origin) moved —
  the last 90 days against the 275 days before them, from outcomes known before the
  declaration (the same point-in-time state as the features);
- level: 1-4 from the calibrated probability and the inspection capacity.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from features.entities import (
    CONSIGNEE,
    DECLARATION_COUNTS,
    HS6_ORIGIN,
    OUTCOME_HISTORY,
    ROUTE,
    UNIT_VALUES,
    Aggregate,
)
from features.inputs import ResolvedDeclarations
from features.state import EntityState
from models.decision import Severity, Trend
from sources.contracts import RISK_CATEGORIES

# Weight of a violation per category (1 = gravest), for severity of non-revenue risks.
# Prohibited goods and public health threaten lives directly; biosecurity and food safety
# can spread; product quality harms users; IPR harms right holders.
CATEGORY_WEIGHT: dict[str, float] = {
    "prohibited_restricted": 1.0,
    "public_health": 1.0,
    "biosecurity": 0.9,
    "food_safety": 0.9,
    "product_quality": 0.6,
    "ipr": 0.4,
}
TREND_RECENT_DAYS = 90
TREND_BASELINE_DAYS = 365
TREND_MIN_INSPECTIONS = 10  # per period, else the trend is "unknown"
TREND_RATIO = 1.5  # a rate this many times higher (or lower) is rising (falling)


def severity(category: str, value_cny: float, duty_rate: float, net_weight_kg: float) -> Severity:
    """What is at stake for one declaration and category."""
    if category == "revenue":
        return Severity.trusted(
            measure="duty at stake (CNY)", value=round(value_cny * duty_rate, 2)
        )
    weight = CATEGORY_WEIGHT.get(category, 0.5)
    return Severity.trusted(
        measure="category weight × log10(1 + net kg)",
        value=round(weight * float(np.log10(1.0 + max(net_weight_kg, 0.0))), 4),
    )


def segment_trends(
    declarations: ResolvedDeclarations | Mapping[str, np.ndarray], state: EntityState
) -> dict[str, list[Trend]]:
    """Per category, per declaration: the trend of its HS chapter × origin findings rate."""
    resolved = ResolvedDeclarations.of(declarations)
    history = OUTCOME_HISTORY[ROUTE]
    keys, t = resolved.key(history.entity), resolved.seconds
    outcomes = state.aggregates[history.name]
    recent = outcomes.window_sums(keys, t, TREND_RECENT_DAYS)
    year = outcomes.window_sums(keys, t, TREND_BASELINE_DAYS)
    before = year - recent
    n = history.column("inspections")
    trends: dict[str, list] = {}
    for category in RISK_CATEGORIES:
        i = history.column(category)
        trends[category] = [
            _trend(recent[row, i], recent[row, n], before[row, i], before[row, n])
            for row in range(len(t))
        ]
    return trends


def _trend(recent_hits, recent_n, before_hits, before_n) -> Trend:
    if recent_n < TREND_MIN_INSPECTIONS or before_n < TREND_MIN_INSPECTIONS:
        return Trend.trusted(direction="unknown", recent_rate=None, previous_rate=None)
    recent_rate = recent_hits / recent_n
    previous_rate = before_hits / before_n
    # A pseudo-count keeps "0 → 1 finding" from reading as an infinite rise.
    ratio = (recent_hits + 0.5) / (recent_n + 1) / ((before_hits + 0.5) / (before_n + 1))
    direction = (
        "rising" if ratio >= TREND_RATIO else "falling" if ratio <= 1 / TREND_RATIO else "stable"
    )
    return Trend.trusted(
        direction=direction,
        recent_rate=round(float(recent_rate), 4),
        previous_rate=round(float(previous_rate), 4),
    )


MIN_BIN_SUPPORT = 30  # held-out rows a calibration bin needs before its score is trusted


# Entities whose first declaration is news, with the reason shown; their declaration
# counts (all history before the declaration) tell.
NOVELTY: tuple[tuple[Aggregate, str], ...] = (
    (DECLARATION_COUNTS[CONSIGNEE], "new consignee: no earlier declaration"),
    (UNIT_VALUES[HS6_ORIGIN], "HS subheading × origin never declared before"),
)


def novelty_reasons(
    declarations: ResolvedDeclarations | Mapping[str, np.ndarray], state: EntityState
) -> list[list[str]]:
    """Per declaration, why its score rests on little experience (Art. 16), if it does."""
    resolved = ResolvedDeclarations.of(declarations)
    unseen = []
    for aggregate, _ in NOVELTY:
        events = state.aggregates[aggregate.name]
        before = events.window_sums(resolved.key(aggregate.entity), resolved.seconds, None)
        unseen.append(before[:, aggregate.column("count")] == 0)
    return [
        [reason for (_, reason), new in zip(NOVELTY, unseen, strict=True) if new[row]]
        for row in range(len(resolved))
    ]

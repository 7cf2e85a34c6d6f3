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

from features.compute import entity_keys
from features.state import EntityState, to_seconds
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


def severity(category: str, value_cny: float, duty_rate: float, net_weight_kg: float) -> dict:
    """What is at stake for one declaration and category."""
    if category == "revenue":
        return {"measure": "duty at stake (CNY)", "value": round(value_cny * duty_rate, 2)}
    weight = CATEGORY_WEIGHT.get(category, 0.5)
    return {
        "measure": "category weight × log10(1 + net kg)",
        "value": round(weight * float(np.log10(1.0 + max(net_weight_kg, 0.0))), 4),
    }


def segment_trends(columns: Mapping[str, np.ndarray], state: EntityState) -> dict[str, list]:
    """Per category, per declaration: the trend of its HS chapter × origin findings rate."""
    keys = entity_keys(columns)["route"]
    t = to_seconds(columns["declared_at"])
    outcomes = state.aggregates["route_outcomes"]
    recent = outcomes.window_sums(keys, t, TREND_RECENT_DAYS)
    year = outcomes.window_sums(keys, t, TREND_BASELINE_DAYS)
    before = year - recent
    trends: dict[str, list] = {}
    for i, category in enumerate(RISK_CATEGORIES, start=1):
        trends[category] = [
            _trend(recent[row, i], recent[row, 0], before[row, i], before[row, 0])
            for row in range(len(t))
        ]
    return trends


def _trend(recent_hits, recent_n, before_hits, before_n) -> dict:
    if recent_n < TREND_MIN_INSPECTIONS or before_n < TREND_MIN_INSPECTIONS:
        return {"direction": "unknown", "recent_rate": None, "previous_rate": None}
    recent_rate = recent_hits / recent_n
    previous_rate = before_hits / before_n
    # A pseudo-count keeps "0 → 1 finding" from reading as an infinite rise.
    ratio = (recent_hits + 0.5) / (recent_n + 1) / ((before_hits + 0.5) / (before_n + 1))
    direction = (
        "rising" if ratio >= TREND_RATIO else "falling" if ratio <= 1 / TREND_RATIO else "stable"
    )
    return {
        "direction": direction,
        "recent_rate": round(float(recent_rate), 4),
        "previous_rate": round(float(previous_rate), 4),
    }


MIN_BIN_SUPPORT = 30  # held-out rows a calibration bin needs before its score is trusted


def novelty_reasons(columns: Mapping[str, np.ndarray], state: EntityState) -> list[list[str]]:
    """Per declaration, why its score rests on little experience (Art. 16), if it does."""
    keys = entity_keys(columns)
    t = to_seconds(columns["declared_at"])
    consignee = state.aggregates["consignee_declarations"].window_sums(keys["consignee"], t, None)
    pair = state.aggregates["hs6_origin_unit_value"].window_sums(keys["hs6_origin"], t, None)
    reasons: list[list[str]] = []
    for row in range(len(t)):
        found = []
        if consignee[row, 0] == 0:
            found.append("new consignee: no earlier declaration")
        if pair[row, 0] == 0:
            found.append("HS subheading × origin never declared before")
        reasons.append(found)
    return reasons

"""One monitoring window end to end: which rows and inputs are compared, every measure,
and the decision (``reassessment.alert_policy``)."""

from __future__ import annotations

from dataclasses import asdict

import numpy as np
import pandas as pd

from features.definitions import FEATURES_BY_NAME
from reassessment.alert_policy import SEGMENT, Thresholds, assess, is_trending
from reassessment.drift_measures import (
    input_drift,
    outcome_performance,
    quality_drift,
    reconcile,
    score_drift,
)


def monitoring_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """Feature rows plus the derived segment (route = HS chapter × origin)."""
    out = frame.copy()
    if "hs_chapter" in out.columns and "origin_country" in out.columns:
        out[SEGMENT] = out["hs_chapter"].astype(str) + "×" + out["origin_country"].astype(str)
    return out


def key_inputs(model, count: int) -> list[str]:
    """The model's ``count`` most important inputs: gain share per category, summed.

    Each category's gains are normalised first, so a category with many trees does not
    dominate the ranking.
    """
    totals: dict[str, float] = {}
    for category in model.categories.values():
        gain = np.asarray(category.booster.feature_importance("gain"), dtype=float)
        if gain.sum() <= 0:
            continue
        for name, share in zip(model.spec.names, gain / gain.sum(), strict=True):
            totals[name] = totals.get(name, 0.0) + float(share)
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    return [name for name, value in ranked[:count] if value > 0]


def _between(frame: pd.DataFrame, column: str, start, end) -> pd.DataFrame:
    values = frame[column]
    return frame[(values >= start) & (values < end)]


def monitor_window(
    model,
    features: pd.DataFrame,
    declarations: pd.DataFrame,
    outcomes: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    reference: tuple[pd.Timestamp, pd.Timestamp],
    thresholds: Thresholds,
    inspection_rate: float,
    contract,
    reconcile_weeks: int = 4,
) -> dict:
    """Everything monitoring measures for one window against the model's reference period.

    ``features``/``declarations`` are the lake tables (at least the reference and window
    periods); ``outcomes`` the inspection outcomes, of which only those known before the
    window's end count as matured. Returns a JSON-ready report with the decision.
    """
    start, end = (pd.Timestamp(x) for x in window)
    ref_start, ref_end = (pd.Timestamp(x) for x in reference)
    ref_rows = monitoring_inputs(_between(features, "declared_at", ref_start, ref_end))
    win_rows = monitoring_inputs(_between(features, "declared_at", start, end))

    names = [n for n in model.spec.names if n in FEATURES_BY_NAME and n in win_rows.columns]
    trending = [n for n in names if is_trending(FEATURES_BY_NAME[n])]
    numeric = [n for n in names if n not in trending and FEATURES_BY_NAME[n].kind == "numeric"]
    categorical = [n for n in names if FEATURES_BY_NAME[n].kind == "categorical"]
    if SEGMENT in win_rows.columns:
        categorical.append(SEGMENT)
    assessed = input_drift(ref_rows, win_rows, numeric, categorical)
    reported = input_drift(ref_rows, win_rows, trending, [])
    key = key_inputs(model, thresholds.key_features)

    ref_scores = model.predict_proba(model.spec.encode(ref_rows)) if len(ref_rows) else {}
    win_scores = model.predict_proba(model.spec.encode(win_rows)) if len(win_rows) else {}
    scores = [
        score_drift(c, ref_scores[c], win_scores[c], inspection_rate)
        for c in model.categories
        if len(ref_rows) and len(win_rows)
    ]
    cutoffs = {s.category: s.cutoff for s in scores}

    quality = quality_drift(
        _between(declarations, "declared_at", ref_start, ref_end),
        _between(declarations, "declared_at", start, end),
        contract,
    )

    keys = ["declaration_id", "item_no"]
    labels = outcomes[[*keys, "outcome_known_at", *(f"finding_{c}" for c in model.categories)]]
    # The window's inspected items, with their positions in ``win_rows`` (already scored).
    inspected = win_rows[keys].assign(_row=np.arange(len(win_rows))).merge(labels, on=keys)
    outcome_rows = []
    if len(inspected) and cutoffs:
        rows = inspected["_row"].to_numpy()
        probability = {c: win_scores[c][rows] for c in model.categories}
        matured = (inspected["outcome_known_at"] < end).to_numpy()
        outcome_rows = [
            outcome_performance(
                c,
                probability[c],
                inspected[f"finding_{c}"].to_numpy(dtype=float),
                matured,
                cutoffs[c],
            )
            for c in model.categories
        ]

    reconciliations = []
    for k in range(1, reconcile_weeks + 1):
        lo, hi = start - pd.Timedelta(days=7 * k), start - pd.Timedelta(days=7 * (k - 1))
        earlier = _between(features, "declared_at", lo, hi).merge(labels, on=keys, how="inner")
        if earlier.empty or not cutoffs:
            continue
        probability = model.predict_proba(model.spec.encode(earlier))
        known_then = (earlier["outcome_known_at"] < hi).to_numpy()
        known_now = (earlier["outcome_known_at"] < end).to_numpy()
        for c in model.categories:
            reconciliations.append(
                reconcile(
                    c,
                    (str(lo), str(hi)),
                    probability[c],
                    earlier[f"finding_{c}"].to_numpy(dtype=float),
                    known_then,
                    known_now,
                    cutoffs[c],
                )
            )

    assessment = assess(assessed, scores, quality, outcome_rows, key, thresholds, len(win_rows))
    return {
        "window": {"start": str(start), "end": str(end), "rows": len(win_rows)},
        "reference": {"start": str(ref_start), "end": str(ref_end), "rows": len(ref_rows)},
        "inspection_rate": inspection_rate,
        "key_inputs": sorted({*key, SEGMENT}),
        **assessment.to_dict(),
        "thresholds": asdict(thresholds),
        "inputs": [f.to_dict() for f in assessed],
        "trending_inputs": [f.to_dict() for f in reported],
        "scores": [s.to_dict() for s in scores],
        "quality": [q.to_dict() for q in quality],
        "outcomes": [o.to_dict() for o in outcome_rows],
        "reconciliation": [r.to_dict() for r in reconciliations],
    }

"""One monitoring window end to end: which rows and inputs are compared, every measure,
and the decision (``reassessment.alert_policy``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from features.definitions import FEATURES_BY_NAME
from reassessment.alert_policy import SEGMENT, Assessment, Thresholds, assess, is_trending
from reassessment.drift_measures import (
    FeatureDrift,
    OutcomePerformance,
    QualityDrift,
    Reconciliation,
    ScoreDrift,
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


OUTCOME_KEYS = ["declaration_id", "item_no"]  # an inspection outcome is per goods item


@dataclass(frozen=True)
class Period:
    """Declarations in ``[start, end)`` and how many there were."""

    start: pd.Timestamp
    end: pd.Timestamp
    rows: int

    def to_dict(self) -> dict:
        return {"start": str(self.start), "end": str(self.end), "rows": self.rows}


@dataclass(frozen=True)
class InputSelection:
    """The model's inputs as monitoring compares them: assessed numeric and categorical
    ones (the route included), and the trending ones, only reported."""

    numeric: list[str]
    categorical: list[str]
    trending: list[str]


def select_inputs(model, window_rows: pd.DataFrame) -> InputSelection:
    """The catalogued inputs of ``model`` present in the window, by how they are compared."""
    names = [n for n in model.spec.names if n in FEATURES_BY_NAME and n in window_rows.columns]
    trending = [n for n in names if is_trending(FEATURES_BY_NAME[n])]
    numeric = [n for n in names if n not in trending and FEATURES_BY_NAME[n].kind == "numeric"]
    categorical = [n for n in names if FEATURES_BY_NAME[n].kind == "categorical"]
    if SEGMENT in window_rows.columns:
        categorical.append(SEGMENT)
    return InputSelection(numeric, categorical, trending)


@dataclass(frozen=True)
class WindowReport:
    """Everything monitoring measured on one window, and the decision."""

    window: Period
    reference: Period
    inspection_rate: float
    key_inputs: list[str]  # sorted, the route included
    assessment: Assessment
    thresholds: Thresholds
    inputs: list[FeatureDrift]  # assessed
    trending_inputs: list[FeatureDrift]  # reported only
    scores: list[ScoreDrift]
    quality: list[QualityDrift]
    outcomes: list[OutcomePerformance]
    reconciliation: list[Reconciliation]

    def to_dict(self) -> dict:
        """The report as JSON-ready data (``drift/report.json``, the HTML report)."""
        return {
            "window": self.window.to_dict(),
            "reference": self.reference.to_dict(),
            "inspection_rate": self.inspection_rate,
            "key_inputs": self.key_inputs,
            **self.assessment.to_dict(),
            "thresholds": asdict(self.thresholds),
            "inputs": [f.to_dict() for f in self.inputs],
            "trending_inputs": [f.to_dict() for f in self.trending_inputs],
            "scores": [s.to_dict() for s in self.scores],
            "quality": [q.to_dict() for q in self.quality],
            "outcomes": [o.to_dict() for o in self.outcomes],
            "reconciliation": [r.to_dict() for r in self.reconciliation],
        }


def _probabilities(model, rows: pd.DataFrame) -> dict[str, np.ndarray]:
    return model.predict_proba(model.spec.encode(rows)) if len(rows) else {}


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
) -> WindowReport:
    """Everything monitoring measures for one window against the model's reference period.

    ``features``/``declarations`` are the lake tables (at least the reference and window
    periods); ``outcomes`` the inspection outcomes, of which only those known before the
    window's end count as matured.
    """
    start, end = (pd.Timestamp(x) for x in window)
    ref_start, ref_end = (pd.Timestamp(x) for x in reference)
    ref_rows = monitoring_inputs(_between(features, "declared_at", ref_start, ref_end))
    win_rows = monitoring_inputs(_between(features, "declared_at", start, end))

    selection = select_inputs(model, win_rows)
    assessed = input_drift(ref_rows, win_rows, selection.numeric, selection.categorical)
    reported = input_drift(ref_rows, win_rows, selection.trending, [])
    key = key_inputs(model, thresholds.key_features)

    win_scores = _probabilities(model, win_rows)
    scores = score_drifts(model, _probabilities(model, ref_rows), win_scores, inspection_rate)
    cutoffs = {s.category: s.cutoff for s in scores}
    quality = quality_drift(
        _between(declarations, "declared_at", ref_start, ref_end),
        _between(declarations, "declared_at", start, end),
        contract,
    )
    labels = outcomes[[*OUTCOME_KEYS, "outcome_known_at", *_finding_columns(model)]]
    performance = outcome_performances(model, win_rows, win_scores, labels, end, cutoffs)
    earlier = reconciliations(model, features, labels, (start, end), cutoffs, reconcile_weeks)

    return WindowReport(
        window=Period(start, end, len(win_rows)),
        reference=Period(ref_start, ref_end, len(ref_rows)),
        inspection_rate=inspection_rate,
        key_inputs=sorted({*key, SEGMENT}),
        assessment=assess(assessed, scores, quality, performance, key, thresholds, len(win_rows)),
        thresholds=thresholds,
        inputs=assessed,
        trending_inputs=reported,
        scores=scores,
        quality=quality,
        outcomes=performance,
        reconciliation=earlier,
    )


def _finding_columns(model) -> list[str]:
    return [f"finding_{c}" for c in model.categories]


def score_drifts(
    model,
    reference_scores: dict[str, np.ndarray],
    window_scores: dict[str, np.ndarray],
    inspection_rate: float,
) -> list[ScoreDrift]:
    """Each category's score drift; none when either period has no declaration."""
    if not reference_scores or not window_scores:
        return []
    return [
        score_drift(c, reference_scores[c], window_scores[c], inspection_rate)
        for c in model.categories
    ]


def outcome_performances(
    model,
    window_rows: pd.DataFrame,
    window_scores: dict[str, np.ndarray],
    labels: pd.DataFrame,
    end: pd.Timestamp,
    cutoffs: dict[str, float],
) -> list[OutcomePerformance]:
    """Performance on the window's inspected items, with labels matured by ``end``."""
    # The window's inspected items, with their positions in ``window_rows`` (already scored).
    positions = window_rows[OUTCOME_KEYS].assign(_row=np.arange(len(window_rows)))
    inspected = positions.merge(labels, on=OUTCOME_KEYS)
    if not len(inspected) or not cutoffs:
        return []
    rows = inspected["_row"].to_numpy()
    matured = (inspected["outcome_known_at"] < end).to_numpy()
    return [
        outcome_performance(
            c,
            window_scores[c][rows],
            inspected[f"finding_{c}"].to_numpy(dtype=float),
            matured,
            cutoffs[c],
        )
        for c in model.categories
    ]


def reconciliations(
    model,
    features: pd.DataFrame,
    labels: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    cutoffs: dict[str, float],
    weeks: int,
) -> list[Reconciliation]:
    """For each of the ``weeks`` weeks before the window: the estimate made then for its
    flagged pending items, against the labels known by the window's end."""
    start, end = window
    out = []
    for k in range(1, weeks + 1):
        lo, hi = start - pd.Timedelta(days=7 * k), start - pd.Timedelta(days=7 * (k - 1))
        earlier = _between(features, "declared_at", lo, hi).merge(
            labels, on=OUTCOME_KEYS, how="inner"
        )
        if earlier.empty or not cutoffs:
            continue
        probability = model.predict_proba(model.spec.encode(earlier))
        known_then = (earlier["outcome_known_at"] < hi).to_numpy()
        known_now = (earlier["outcome_known_at"] < end).to_numpy()
        out += [
            reconcile(
                c,
                (str(lo), str(hi)),
                probability[c],
                earlier[f"finding_{c}"].to_numpy(dtype=float),
                known_then,
                known_now,
                cutoffs[c],
            )
            for c in model.categories
        ]
    return out

"""Figures of one policy's week, read against the truth (nothing else in the platform may).

Revenue is normalised by an oracle that inspects, with the same capacity, the items with
the most duty at stake. The violation rate is estimated from the random picks alone
(Hájek inverse-probability weighting, ``reassessment.compliance.ipw_rate``) and compared
with the share of *all* items that hold a violation an inspection would find; the naive
rate among every inspected item is reported beside it, to show what selection does to it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from reassessment.compliance import ipw_rate
from sources.contracts import RISK_CATEGORIES

DETECTABLE = [f"detectable_{c}" for c in RISK_CATEGORIES]
VIOLATION = [f"violation_{c}" for c in RISK_CATEGORIES]


def oracle_revenue(at_stake: np.ndarray, capacity: int) -> float:
    """What an inspector who knew every item's duty at stake recovers with ``capacity``
    inspections: the sum of the ``capacity`` largest amounts."""
    if capacity <= 0 or len(at_stake) == 0:
        return 0.0
    top = np.sort(np.asarray(at_stake, dtype=float))[::-1][:capacity]
    return float(top.sum())


def normalised_revenue(recovered: float, oracle: float) -> float:
    """Recovered ÷ the oracle's; NaN when there was nothing to recover."""
    return recovered / oracle if oracle > 0 else float("nan")


def rate_errors(
    found_any: np.ndarray,
    inspected: np.ndarray,
    random_pick: np.ndarray,
    probability: np.ndarray,
    true_rate: float,
) -> dict[str, float]:
    """The IPW estimate of the violation rate from the random picks and the naive rate
    among all inspected items, each with its absolute error against ``true_rate``. Arrays
    are per item of the period (``probability``: inclusion probability of a random pick)."""
    picks = random_pick & inspected
    estimate = ipw_rate(found_any[picks], probability[picks])[0] if picks.any() else math.nan
    naive = float(found_any[inspected].mean()) if inspected.any() else math.nan
    return {
        "true_violation_rate": true_rate,
        "estimated_violation_rate": estimate,
        "violation_rate_error": abs(estimate - true_rate),
        "naive_violation_rate": naive,
        "naive_rate_error": abs(naive - true_rate),
        "random_picks": int(picks.sum()),
    }


def auc_pr(truth: np.ndarray, scores: np.ndarray) -> float:
    """Average precision of ``scores`` on every item (NaN without a positive)."""
    if not truth.any():
        return math.nan
    return float(average_precision_score(truth, scores))


def period_figures(judged: pd.DataFrame, capacity: int) -> dict:
    """The figures of one policy over a period (a week, or all weeks with ``capacity``
    their sum). ``judged``: one row per item of the period with the truth columns,
    ``inspected``, ``random``, ``random_probability`` and ``overall_probability``."""
    inspected = judged["inspected"].to_numpy(dtype=bool)
    detectable = judged[DETECTABLE].to_numpy(dtype=bool)
    found = detectable & inspected[:, None]
    violations = judged[VIOLATION].to_numpy(dtype=bool)
    at_stake = judged["duty_at_stake_cny"].to_numpy(dtype=float)
    recovered = float(at_stake[inspected].sum())
    oracle = oracle_revenue(at_stake, capacity)
    recall = {
        c: float(found[:, k].sum() / violations[:, k].sum()) if violations[:, k].any() else None
        for k, c in enumerate(RISK_CATEGORIES)
    }
    recall["any"] = (
        float(found.any(axis=1).sum() / violations.any(axis=1).sum()) if violations.any() else None
    )
    errors = rate_errors(
        found.any(axis=1),
        inspected,
        judged["random"].to_numpy(dtype=bool),
        judged["random_probability"].to_numpy(dtype=float),
        float(detectable.any(axis=1).mean()) if len(judged) else math.nan,
    )
    return {
        "items": len(judged),
        "capacity": capacity,
        "inspected": int(inspected.sum()),
        "hits": int(found.any(axis=1).sum()),
        "hit_rate": float(found.any(axis=1)[inspected].mean()) if inspected.any() else None,
        "recall": recall,
        "revenue_recovered": round(recovered, 2),
        "oracle_revenue": round(oracle, 2),
        "normalised_revenue": normalised_revenue(recovered, oracle),
        **errors,
        "auc_pr": auc_pr(
            violations.any(axis=1), judged["overall_probability"].to_numpy(dtype=float)
        ),
    }


def json_safe(value):
    """NaN → None, recursively, so the report is valid JSON."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("normalised_revenue", "norm. revenue"),
    ("hit_rate", "hit rate"),
    ("recall_any", "recall"),
    ("violation_rate_error", "IPW rate error"),
    ("naive_rate_error", "naive rate error"),
    ("auc_pr", "AUC-PR"),
)


def summary_rows(report: dict) -> list[dict]:
    """One row per policy of the totals the summary table prints (None: no estimate)."""
    rows = []
    for name, policy in report["policies"].items():
        total = policy["total"]
        row = {"policy": name, "default": name == report["default_policy"]}
        for key, _ in SUMMARY_COLUMNS:
            row[key] = total["recall"]["any"] if key == "recall_any" else total[key]
        rows.append(row)
    return rows

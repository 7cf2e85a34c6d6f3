"""The backtest's figures on a few hand-made rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from backtest.metrics import (
    json_safe,
    normalised_revenue,
    oracle_revenue,
    period_figures,
    rate_errors,
)
from sources.contracts import RISK_CATEGORIES


def test_the_oracle_inspects_the_largest_duties_at_stake():
    at_stake = np.array([0.0, 50.0, 10.0, 0.0, 200.0, 5.0])
    assert oracle_revenue(at_stake, 2) == 250.0
    assert oracle_revenue(at_stake, 10) == 265.0
    assert oracle_revenue(at_stake, 0) == 0.0
    assert normalised_revenue(60.0, 250.0) == pytest.approx(0.24)
    assert math.isnan(normalised_revenue(0.0, 0.0))


def test_ipw_weights_random_picks_and_the_naive_rate_reads_every_inspection():
    # Ten items: two random picks at π = 0.5 (one found), one at π = 0.25 (found), and
    # two targeted inspections, both found.
    found = np.array([1, 0, 1, 1, 1, 0, 0, 0, 0, 0], dtype=bool)
    inspected = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0], dtype=bool)
    random = np.array([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], dtype=bool)
    probability = np.array([0.5, 0.5, 0.25, *[np.nan] * 7])
    errors = rate_errors(found, inspected, random, probability, true_rate=0.5)
    # Hájek: (2·1 + 2·0 + 4·1) / (2 + 2 + 4) = 0.75
    assert errors["estimated_violation_rate"] == pytest.approx(0.75)
    assert errors["violation_rate_error"] == pytest.approx(0.25)
    assert errors["naive_violation_rate"] == pytest.approx(0.8)
    assert errors["naive_rate_error"] == pytest.approx(0.3)
    assert errors["random_picks"] == 3


def test_without_random_picks_there_is_no_estimate():
    found = np.array([1, 0, 0], dtype=bool)
    errors = rate_errors(found, found, np.zeros(3, bool), np.full(3, np.nan), 0.1)
    assert math.isnan(errors["estimated_violation_rate"])
    assert math.isnan(errors["violation_rate_error"])
    assert json_safe(errors)["violation_rate_error"] is None
    assert errors["naive_rate_error"] == pytest.approx(0.9)


def _judged() -> pd.DataFrame:
    """Six items: item 0 hides revenue (1000 at stake) and ipr; item 2 revenue (300), not
    detectable; item 4 revenue (500). Items 0, 1 and 2 are inspected, 1 at random."""
    rows = 6
    judged = pd.DataFrame(
        {
            **{f"violation_{c}": np.zeros(rows, bool) for c in RISK_CATEGORIES},
            **{f"detectable_{c}": np.zeros(rows, bool) for c in RISK_CATEGORIES},
            "duty_at_stake_cny": [1000.0, 0.0, 0.0, 0.0, 500.0, 0.0],
            "inspected": [True, True, True, False, False, False],
            "random": [False, True, False, False, False, False],
            "random_probability": [np.nan, 0.5, np.nan, np.nan, np.nan, np.nan],
            "overall_probability": [0.9, 0.1, 0.8, 0.2, 0.3, 0.05],
        }
    )
    judged.loc[[0, 2, 4], "violation_revenue"] = True
    judged.loc[[0, 4], "detectable_revenue"] = True
    judged.loc[0, ["violation_ipr", "detectable_ipr"]] = True
    return judged


def test_period_figures_judge_the_inspections_against_the_truth():
    figures = period_figures(_judged(), capacity=2)
    assert figures["inspected"] == 3 and figures["hits"] == 1
    assert figures["hit_rate"] == pytest.approx(1 / 3)
    assert figures["recall"]["revenue"] == pytest.approx(1 / 3)  # 1 found of 3 violations
    assert figures["recall"]["ipr"] == 1.0
    assert figures["recall"]["biosecurity"] is None
    assert figures["recall"]["any"] == pytest.approx(1 / 3)
    assert figures["revenue_recovered"] == 1000.0
    assert figures["oracle_revenue"] == 1500.0
    assert figures["normalised_revenue"] == pytest.approx(2 / 3)
    # Two of six items hold a detectable violation; the random pick found none.
    assert figures["true_violation_rate"] == pytest.approx(1 / 3)
    assert figures["estimated_violation_rate"] == 0.0
    assert figures["violation_rate_error"] == pytest.approx(1 / 3)
    assert figures["naive_violation_rate"] == pytest.approx(1 / 3)
    # AUC-PR reads every violation, detectable or not: the three violating items (0, 2,
    # 4) are the three highest scores.
    assert figures["auc_pr"] == 1.0
    worse = _judged().assign(overall_probability=[0.9, 0.1, 0.8, 0.2, 0.01, 0.05])
    # Item 4 now ranks last: precision 1, 1, then 3/6 at the third hit.
    assert period_figures(worse, 2)["auc_pr"] == pytest.approx((1 + 1 + 0.5) / 3)


def test_random_picks_are_repeated_by_their_inverse_probability_up_to_the_cap():
    from backtest.engine import importance_weighted

    outcomes = pd.DataFrame(
        {
            "declaration_id": ["a", "b", "c", "d"],
            "selection_reason": ["random", "random", "model", "random"],
            "selection_probability": [0.25, 0.01, np.nan, 1.0],
        }
    )
    weighted = importance_weighted(outcomes, cap=10)
    counts = weighted["declaration_id"].value_counts().to_dict()
    assert counts == {"a": 4, "b": 10, "c": 1, "d": 1}

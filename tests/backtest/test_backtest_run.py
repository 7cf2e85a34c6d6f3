"""A short backtest on a small world: the report's shape, capacity kept, and what random
selection does for the estimate of the violation rate that top-score selection cannot."""

from __future__ import annotations

import json

import pytest

from backtest.engine import BacktestConfig, run_backtest
from backtest.policies import POLICY_NAMES
from config.settings import Settings
from sources.generator import GeneratorConfig, generate

WORLD = GeneratorConfig(n_declarations=30_000, months=12, start="2025-01-01", seed=7)
WEEKS = 6


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("backtest")
    settings = Settings(data_dir=root / "data", mlflow_dir=root / "mlflow", min_positives=15)
    return run_backtest(generate(WORLD), BacktestConfig(weeks=WEEKS, retrain_every=3), settings)


def test_the_report_holds_every_policy_weekly_and_in_total(report):
    json.dumps(report, allow_nan=False)  # valid JSON: no NaN
    assert report["default_policy"] == "default"
    assert set(report["policies"]) == set(POLICY_NAMES)
    for name, policy in report["policies"].items():
        total = policy["total"]
        for key in ("normalised_revenue", "hit_rate", "violation_rate_error", "recall"):
            assert key in total, (name, key)
        assert set(total["recall"]) >= {"revenue", "ipr", "any"}
        assert 0 < total["normalised_revenue"] <= 1, name
        assert len(policy["weekly"]) == WEEKS
        for week in policy["weekly"]:
            # Every policy spends exactly the week's capacity.
            assert week["inspected"] == week["capacity"] > 0, (name, week["week"])
            assert 0 <= week["auc_pr"] <= 1
        # Retrained every 3 weeks, not after the last one.
        assert [r["week"] for r in policy["retrained"]] == [3]


def test_random_selection_estimates_the_rate_and_top_score_cannot(report):
    policies = report["policies"]
    random, top = policies["random"]["total"], policies["top_score"]["total"]
    assert random["random_picks"] == random["inspected"]
    assert random["violation_rate_error"] < 0.02
    assert top["random_picks"] == 0 and top["violation_rate_error"] is None
    # The naive rate among targeted inspections is far from the truth.
    assert top["naive_rate_error"] > 0.05
    assert top["naive_rate_error"] > 5 * random["violation_rate_error"]
    # ...while the targeting recovers far more revenue than chance.
    assert top["normalised_revenue"] > 3 * random["normalised_revenue"]
    assert top["hit_rate"] > 2 * random["hit_rate"]


def test_the_default_policy_draws_at_random_per_credit_level(report):
    default = report["policies"]["default"]["total"]
    assert default["random_picks"] > 0
    assert default["violation_rate_error"] < 0.03

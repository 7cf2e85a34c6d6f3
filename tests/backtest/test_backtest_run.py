"""A short backtest on a small world, run as a user runs it (``customs-risk backtest``, the
Prefect flow, MLflow): the report's shape, capacity kept, figures and run logged, and what
random selection does for the estimate of the violation rate that top score cannot."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import mlflow
from backtest.plots import PLOTTED
from backtest.policies import POLICY_NAMES
from config.settings import get_settings
from customs_risk.cli import app

pytestmark = pytest.mark.integration
WEEKS = 6
# A small world (30k goods items over 12 months): enough findings for a warm-up champion.
WORLD = {"DECLARATIONS": "30000", "MONTHS": "12", "SEED": "7", "MIN_POSITIVES": "15"}


@pytest.fixture(scope="module")
def run(tmp_path_factory, prefect_harness):
    root = tmp_path_factory.mktemp("backtest")
    env = {f"CUSTOMS_RISK_{k}": v for k, v in WORLD.items()}
    env |= {"CUSTOMS_RISK_DATA_DIR": str(root / "data")}
    env |= {"CUSTOMS_RISK_MLFLOW_DIR": str(root / "mlflow")}
    env |= {"CUSTOMS_RISK_TRACKING_URI": f"sqlite:///{root / 'mlflow' / 'mlflow.db'}"}
    out = root / "reports" / "backtest.json"
    get_settings.cache_clear()
    try:
        command = ["backtest", "--weeks", str(WEEKS), "--retrain-every", "3", "--out", str(out)]
        result = CliRunner().invoke(app, command, env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    return {"output": result.output, "out": out, "env": env}


@pytest.fixture(scope="module")
def report(run):
    return json.loads(run["out"].read_text())


def test_the_command_prints_the_table_and_logs_figures_and_report(run):
    for name in POLICY_NAMES:
        assert name in run["output"]
    assert "default (default)" in run["output"]
    folder = run["out"].parent
    assert {p.name for p in folder.glob("*.png")} == {f"backtest_{m}.png" for m in PLOTTED}
    mlflow.set_tracking_uri(run["env"]["CUSTOMS_RISK_TRACKING_URI"])
    runs = mlflow.search_runs(experiment_names=["backtest"], output_format="list")
    assert len(runs) == 1
    metrics = runs[0].data.metrics
    assert {f"{p}.normalised_revenue" for p in POLICY_NAMES} <= set(metrics)
    artifacts = mlflow.MlflowClient().list_artifacts(runs[0].info.run_id, "plots")
    assert len(artifacts) == len(PLOTTED)


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
        # Re-evaluated every 3 weeks, not after the last one; a challenger that trained
        # went through the promotion gate, whose reasons are kept.
        assert [r["week"] for r in policy["retrained"]] == [3]
        for entry in policy["retrained"]:
            assert isinstance(entry["promoted"], bool)
            if "error" not in entry:
                assert entry["gate"], (name, entry)
                assert entry["version"].endswith("-w3") == entry["promoted"]


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

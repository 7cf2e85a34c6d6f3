"""The selection loop on the public KCS files: the world built from them (labels as truth,
the train file as warm-up) and the command run on it, every week of the valid period."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from backtest.kcs import KCS_CAPACITY, kcs_world
from backtest.plots import PLOTTED
from backtest.policies import POLICY_NAMES
from config.settings import Settings, get_settings
from customs_risk.cli import app
from pipelines.backtest import KCS_FILES
from sources import kcs

DATA = Settings().kcs_dir


@pytest.fixture(scope="module")
def files():
    if not all((DATA / name).exists() for name in KCS_FILES):
        pytest.skip("shared KCS data not present")
    return [DATA / name for name in KCS_FILES]


def test_the_world_reveals_what_the_labels_say_and_warms_up_on_the_train_file(files):
    world = kcs_world(*files)
    train, valid = (kcs.read_kcs(p) for p in files)
    truth = world.data.truth
    assert len(truth) == len(train) + len(valid) == len(world.data.declarations)
    labels = kcs.labels(pd.concat([train, valid], ignore_index=True))
    assert (truth["detectable_revenue"].to_numpy() == (labels["fraud"] == 1)).all()
    assert (
        truth["detectable_prohibited_restricted"].to_numpy() == (labels["critical_fraud"] == 1)
    ).all()
    assert (truth.loc[~truth["detectable_revenue"], "duty_at_stake_cny"] == 0).all()
    assert world.warmup_end == pd.Timestamp("2021-01-01")
    assert world.weeks == 13  # 2021-01-01 to 2021-03-31
    legacy = world.data.inspection_outcomes
    assert len(legacy) == len(train) and (legacy["inspected_at"] < world.warmup_end).all()


@pytest.mark.integration
def test_the_command_runs_every_policy_over_the_valid_weeks(files, tmp_path, prefect_harness):
    out = tmp_path / "reports" / "backtest-kcs.json"
    env = {
        "CUSTOMS_RISK_MLFLOW_DIR": str(tmp_path / "mlflow"),
        "CUSTOMS_RISK_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}",
    }
    # Without retraining, and without default_weighted's second warm-up model: minutes.
    chosen = ("random", "top_score", "default")
    command = ["backtest", "--world", "kcs", "--retrain-every", "0", "--out", str(out)]
    command += ["--policies", ",".join(chosen)]
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, command, env=env)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "Backtest on kcs" in result.output
    assert {p.name for p in out.parent.glob("*.png")} == {f"backtest-kcs_{m}.png" for m in PLOTTED}
    report = json.loads(out.read_text())
    assert report["world"]["name"] == "kcs" and report["weeks"] == 13
    assert set(report["policies"]) == set(chosen) < set(POLICY_NAMES)
    for policy in report["policies"].values():
        weekly = policy["weekly"]
        assert len(weekly) == 13
        assert all(w["inspected"] == w["capacity"] for w in weekly)
        items = sum(w["items"] for w in weekly)
        assert policy["total"]["capacity"] == pytest.approx(KCS_CAPACITY * items, abs=13)
    random, top = report["policies"]["random"]["total"], report["policies"]["top_score"]["total"]
    assert top["violation_rate_error"] is None and random["violation_rate_error"] < 0.05
    # Targeting beats chance on KCS's own labels, even without retraining.
    assert top["hit_rate"] > random["hit_rate"]
    assert np.isfinite(report["policies"]["default"]["total"]["normalised_revenue"])

"""The KCS benchmark: test labels cannot influence scores; the report has the promised shape."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from config.settings import Settings
from features.compute import build_entity_state, feature_frame
from models.benchmark import (
    KcsConfig,
    baseline_scores,
    run_kcs,
    score_kcs,
    target_report,
    uncertainty_check,
)
from sources import kcs
from sources.contracts import CONTRACTS
from sources.validation import validate_frame

DATA = Settings().kcs_dir


@pytest.fixture(scope="module")
def kcs_sample():
    # Only the tests on KCS rows need the shared files: the hand-computed ones always run.
    if not DATA.exists():
        pytest.skip("shared KCS data not present")
    train = kcs.read_kcs(DATA / "df_syn_train_eng.csv")
    dates = train["Date"]
    return (
        train[dates < "2020-07-01"].sample(6000, random_state=0).sort_values("Date"),
        train[(dates >= "2020-07-01") & (dates < "2020-09-01")],
        train[dates >= "2020-12-01"],
    )


def test_adapter_output_passes_the_declaration_contract(kcs_sample):
    declarations = kcs.to_declarations(kcs_sample[0])
    report = validate_frame(declarations, CONTRACTS["declarations"])
    assert report.success, report.render()
    assert declarations["hs_code"].str.len().eq(6).all()


def test_goods_line_counts_earlier_identical_kcs_rows(kcs_sample):
    """Through the adapter, the platform's goods line is the KCS row's HS6, origin, net
    mass and item price: its count equals earlier identical rows counted in pandas."""
    raw = pd.concat(kcs_sample, ignore_index=True)
    declarations = kcs.to_declarations(raw)
    state = build_entity_state(
        declarations,
        kcs.empty("credit_history"),
        kcs.empty("monitoring"),
        kcs.empty("inspection_outcomes"),
    )
    counted = feature_frame(declarations, state)["goods_line_declarations_total"].to_numpy()
    line = ["HS6 Code", "Country of Origin", "Net Mass", "Item Price"]
    # Rows are in date order; identical rows of the same day are not "before".
    same_day = raw.groupby([*line, "Date"]).cumcount()
    earlier = raw.groupby(line).cumcount() - same_day
    np.testing.assert_array_equal(counted, earlier.to_numpy(dtype=float))
    assert (counted > 0).mean() > 0.3  # the set does repeat goods lines


def test_shuffling_test_labels_changes_no_score(kcs_sample):
    train, valid, test = kcs_sample
    config = KcsConfig(min_positives=10)
    scores, _fitted = score_kcs(train, valid, test, config)
    shuffled = test.copy()
    rng = np.random.default_rng(0)
    shuffled["Fraud"] = rng.permutation(shuffled["Fraud"].to_numpy())
    shuffled["Critical Fraud"] = rng.permutation(shuffled["Critical Fraud"].to_numpy())
    again, _ = score_kcs(train, valid, shuffled, config)
    assert np.isfinite(scores["fraud"]).all()
    for target in kcs.TARGETS:
        np.testing.assert_array_equal(scores[target], again[target])
    truth = kcs.labels(test)["fraud"].to_numpy()
    assert target_report(truth, scores["fraud"])["auc_roc"] > 0.7  # it learned something


def test_report_entry_has_the_promised_keys(kcs_sample):
    train, _, test = kcs_sample
    probability = baseline_scores(train, test, "fraud")
    entry = target_report(kcs.labels(test)["fraud"].to_numpy(), probability)
    assert {"auc_roc", "auc_pr", "ece", "brier"} <= set(entry)
    assert set(entry["precision_at"]) == set(entry["recall_at"]) == {"1", "2", "5", "10"}


def test_cli_writes_the_report(kcs_sample, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from customs_risk.cli import app

    paths = {}
    for name, frame in zip(("train", "valid", "test"), kcs_sample, strict=True):
        paths[name] = Path(tmp_path) / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    monkeypatch.setenv("CUSTOMS_RISK_MLFLOW_DIR", str(tmp_path / "mlflow"))
    tracking_uri = f"sqlite:///{tmp_path}/mlflow/mlflow.db"
    monkeypatch.setenv("CUSTOMS_RISK_TRACKING_URI", tracking_uri)
    from config.settings import get_settings

    get_settings.cache_clear()
    out = tmp_path / "report.json"
    result = CliRunner().invoke(
        app,
        [
            "benchmark",
            "kcs",
            "--train",
            str(paths["train"]),
            "--valid",
            str(paths["valid"]),
            "--test",
            str(paths["test"]),
            "--out",
            str(out),
            "--no-baseline",
        ],
    )
    get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["dataset"] == "kcs"
    assert set(report["targets"]) == {"fraud", "critical_fraud"}
    assert report["rows"] == {
        "train": 6000,
        "valid": len(kcs_sample[1]),
        "test": len(kcs_sample[2]),
    }
    assert isinstance(report["seconds"], float)
    by_line = report["by_goods_line"]
    assert 0.0 <= by_line["repeated_share"] <= 1.0
    for target in ("fraud", "critical_fraud"):
        parts = by_line["platform"][target]
        assert parts["repeated"]["rows"] + parts["new"]["rows"] == len(kcs_sample[2])
    # Lineage: each input file's SHA-256 (computed here independently) and rows, in the
    # report and in the MLflow run.
    import mlflow

    sha256 = {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in paths.items()}
    rows = dict(zip(("train", "valid", "test"), map(len, kcs_sample), strict=True))
    assert report["inputs"] == {
        name: {"path": str(paths[name]), "sha256": sha256[name], "rows": rows[name]}
        for name in paths
    }
    client = mlflow.MlflowClient(tracking_uri=tracking_uri)
    experiment = client.get_experiment_by_name("kcs-benchmark")
    (run,) = client.search_runs([experiment.experiment_id])
    for name in paths:
        assert run.data.params[f"input.{name}.sha256"] == sha256[name]
        assert run.data.params[f"input.{name}.rows"] == str(rows[name])


def test_a_target_too_rare_to_train_is_reported_not_scored(kcs_sample, tmp_path):
    train, valid, test = kcs_sample[0].head(2000).copy(), kcs_sample[1].head(2000), kcs_sample[2]
    critical = train.index[train["Critical Fraud"].astype(int) == 2]
    train.loc[critical[3:], "Critical Fraud"] = "0"  # 3 positives left: fewer than 10
    paths = []
    for name, frame in (("train", train), ("valid", valid), ("test", test)):
        paths.append(tmp_path / f"{name}.csv")
        frame.to_csv(paths[-1], index=False)
    report = run_kcs(*paths, KcsConfig(min_positives=10), with_baseline=False)
    assert set(report["targets"]) == {"fraud", "critical_fraud"}  # the shape is kept
    critical = report["targets"]["critical_fraud"]
    assert critical["auc_roc"] is None and set(critical["precision_at"].values()) == {None}
    assert "only 3 labelled positives" in report["not_scored"]["critical_fraud"]
    assert critical["not_scored"] == report["not_scored"]["critical_fraud"]
    json.dumps(report, allow_nan=False)  # valid JSON: no NaN anywhere
    assert set(report["by_goods_line"]["platform"]) == set(report["feature_views"]) == {"fraud"}
    assert "critical_fraud" not in report["uncertainty"]
    assert np.isfinite(report["targets"]["fraud"]["auc_roc"])
    assert set(report["revenue_ranking"]["by_fraud_probability"]) == {"1", "2", "5", "10"}


def test_uncertainty_check_brier_and_log_loss_by_hand():
    y = np.array([1, 0, 1, 0])
    p = np.array([0.8, 0.4, 0.0, 0.1])
    check = uncertainty_check(y, p, np.array([True, True, False, False]))
    assert check["flagged"]["brier"] == pytest.approx((0.2**2 + 0.4**2) / 2)
    assert check["flagged"]["log_loss"] == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)
    # a probability of 0 for a finding costs -log(1e-6), not infinity
    assert check["not_flagged"]["log_loss"] == pytest.approx(-(np.log(1e-6) + np.log(0.9)) / 2)
    assert check["flagged_share"] == 0.5

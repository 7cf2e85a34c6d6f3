"""The Prefect flows, run for real (ephemeral Prefect API, SQLite MLflow, Parquet lake)."""

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mlflow.tracking import MlflowClient

import mlflow
from features.compute import FRAME_COLUMNS
from features.state import EntityState
from models.registry import load_champion, resolve_alias
from pipelines.flows import batch_score, build_features, ingest_and_validate, train_and_register
from reassessment.monitoring_view import monitoring_view
from sources.lake import DataLake, write_parquet
from sources.validation import DataValidationError

pytestmark = pytest.mark.integration


def test_cycle_registers_a_champion_and_scores_the_latest_month(cycle):
    settings, result = cycle
    training = result["training"]
    assert training["version"] == "1" and training["promoted"]
    assert resolve_alias(settings, "champion") == "1"
    report = training["report"]
    scored = [c for c, entry in report.items() if entry["status"] == "scored"]
    assert "revenue" in scored
    for category, entry in report.items():
        if entry["status"] == "not_scored":
            assert "positives" in entry["reason"], category
    revenue = report["revenue"]
    # a useful model that is far from perfect on noisy planted mechanisms
    assert 0.6 < revenue["auc_roc"] < 0.99
    assert revenue["precision_at"]["5"] > revenue["prevalence"]
    scores = pd.read_parquet(result["scoring"]["path"])
    assert len(scores) == result["scoring"]["rows"] > 0
    assert scores["overall_level"].between(1, 4).all()
    # The overall level is the highest of the categories' levels and of the combined
    # probability's level; the combined probability's cut-offs follow capacity c (top 4c, c,
    # c/5), not the number of categories: the month's shares strictly above them stay
    # within those the test period's cut-offs set, up to sampling error (binomial, 4 sd).
    cutoffs = load_champion(settings).model.overall_cutoffs
    capacity, n = settings.inspection_capacity, len(scores)
    probability = scores["overall_probability"]
    combined_level = 1 + sum((probability > c).astype(int) for c in cutoffs)
    category_levels = scores[[c for c in scores.columns if c.startswith("level_")]]
    assert not category_levels.empty
    highest = np.maximum(category_levels.max(axis=1), combined_level)
    assert (scores["overall_level"] == highest).all()
    shares = (4 * capacity, capacity, capacity / 5)  # at levels ≥ 2, ≥ 3, 4
    for cutoff, share in zip(cutoffs, shares, strict=True):
        band = 4 * math.sqrt(share * (1 - share) / n)
        assert (probability > cutoff).mean() - band <= share


def test_the_latest_month_is_disposed_of_as_the_policy_says(cycle):
    """Random selection per credit level within sampling error of the policy's share, and
    the model policy's measure kinds near their capacity targets (thresholds derived on the
    model's reference period, applied to a later month)."""
    _, result = cycle
    disposal = result["scoring"]["disposal"]
    dispositions = pd.read_parquet(disposal["path"])
    assert len(dispositions) == result["scoring"]["rows"]
    assert dispositions["random_probability"].between(0, 1).all()
    selection = pd.DataFrame(disposal["random_selection"])
    assert set(selection["credit_level"]) >= {"regular", "certified"}
    for row in selection.itertuples():
        assert row.within, row  # configured probability inside the observed share's interval
    for row in disposal["measure_shares"]:
        if row["target_share"] > 0:
            assert (
                abs(row["model_share"] - row["target_share"]) < 0.5 * row["target_share"] + 0.005
            ), row


def test_cycle_keeps_what_the_monitoring_page_reads(cycle):
    settings, result = cycle
    run_id = result["training"]["run_id"]
    copy = json.loads((settings.resolved_model_cache_dir / "registry.json").read_text())
    assert copy["version"] == "1" and copy["run_id"] == run_id
    effectiveness = result["effectiveness"]
    assert Path(effectiveness["path"]).exists() and effectiveness["windows"] == 12
    view = monitoring_view(settings.model_copy(update={"mlflow_ui_url": "http://ui:5000"}))
    assert view.model.run_id == run_id and view.model.run_url == f"http://ui:5000/#/runs/{run_id}"
    scored = [c.category for c in view.model.categories if c.scored]
    assert "revenue" in scored and len(view.model.categories) == len(result["training"]["report"])
    assert view.effectiveness.run_id == effectiveness["mlflow_run_id"]
    assert len(view.effectiveness.periods) == 12 and view.effectiveness.compliance
    assert view.drift is None and view.drift_demo is None  # no monitoring window, no demo


def test_training_run_logs_its_evidence(cycle):
    settings, result = cycle
    mlflow.set_tracking_uri(settings.resolved_tracking_uri)
    client = MlflowClient()
    run_id = result["training"]["run_id"]
    artifacts = {a.path for a in client.list_artifacts(run_id, "plots")}
    assert "plots/reliability_revenue.png" in artifacts
    assert "plots/shap_summary_revenue.png" in artifacts
    run = client.get_run(run_id)
    assert "revenue.auc_pr" in run.data.metrics
    names = {a.path for a in client.list_artifacts(run_id)}
    assert {
        "data_validation",
        "features",
        "lineage",
        "evaluation",
        "registry",
        "model_card.md",
    } <= names
    card = client.download_artifacts(run_id, "model_card.md")
    text = Path(card).read_text()
    assert "revenue" in text and "AUC-PR" in text
    for category, entry in result["training"]["report"].items():
        if entry["status"] == "not_scored":
            assert f"**{category}**" in text
        else:  # the feature view each category kept is on the card
            assert f"| {category} | scored | {entry['feature_view']} |" in text
    version = client.get_model_version(settings.model_name, "1")
    model_info = mlflow.models.get_model_info(f"models:/{settings.model_name}/1")
    assert model_info.signature is not None and version.run_id == run_id


def test_registered_pyfunc_scores_feature_rows(cycle):
    settings, _ = cycle
    mlflow.set_tracking_uri(settings.resolved_tracking_uri)
    features = pd.read_parquet(DataLake(settings.data_dir).features).tail(20)
    model = mlflow.pyfunc.load_model(f"models:/{settings.model_name}@champion")
    out = model.predict(features.drop(columns=list(FRAME_COLUMNS)))
    # the registered bundle's own boosters and calibrators, on the same rows
    bundle = load_champion(settings).model
    matrix = bundle.spec.encode(features)
    assert list(out.columns) == [f"probability_{c}" for c in bundle.categories]
    assert "probability_revenue" in out.columns and out.shape[0] == 20
    for category, category_model in bundle.categories.items():
        np.testing.assert_allclose(
            out[f"probability_{category}"], category_model.probability(matrix), rtol=1e-12
        )


def test_retraining_on_the_same_data_does_not_displace_the_champion(cycle):
    settings, _ = cycle
    again = train_and_register(settings)
    assert again["version"] == "2"
    assert not again["promoted"]
    decision = again["decision"]
    assert decision["candidate_score"] == pytest.approx(decision["champion_score"])
    assert resolve_alias(settings, "champion") == "1"
    assert resolve_alias(settings, "challenger") == "2"


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_failing_expectations_stop_the_flow_and_overwrite_nothing(cycle):
    settings, _ = cycle
    lake = DataLake(settings.data_dir)
    raw_path = lake.source_path(lake.raw, "declarations")
    original = pd.read_parquet(raw_path)
    downstream = [
        lake.source_path(lake.validated, s) for s in ("declarations", "inspection_outcomes")
    ] + [lake.features]
    before = {p: _digest(p) for p in downstream}
    broken = original.copy()
    broken.loc[broken.index[:3], "hs_code"] = "12AB"
    broken.loc[broken.index[5], "value_cny"] = -1.0
    write_parquet(broken, raw_path)
    try:
        with pytest.raises(DataValidationError) as failure:
            ingest_and_validate(settings)
        message = str(failure.value)
        assert "declarations" in message and "hs_code" in message and "value_cny" in message
        assert {p: _digest(p) for p in downstream} == before
    finally:
        write_parquet(original, raw_path)


def test_batch_scoring_without_a_champion_names_the_missing_alias(cycle, tmp_path):
    settings, _ = cycle
    untrained = settings.model_copy(
        update={"model_name": "customs-risk-untrained", "model_cache_dir": tmp_path / "model"}
    )
    scores = DataLake(settings.data_dir).scores
    before = sorted(scores.iterdir())
    with pytest.raises(LookupError, match="no 'champion' alias on customs-risk-untrained"):
        batch_score(untrained)
    assert sorted(scores.iterdir()) == before and not (tmp_path / "model").exists()


def _identity(path) -> tuple[int, int, str]:
    """Inode, modification time and content: a renamed-in replacement changes the inode."""
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns, _digest(path)


def test_features_are_not_published_when_their_state_cannot_be_saved(cycle, monkeypatch):
    settings, _ = cycle
    lake = DataLake(settings.data_dir)
    features_before = _identity(lake.features)
    state_before = EntityState.saved_marker(lake.state)

    def save_part_then_fail(state, directory):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "MANIFEST").write_text("built_through=half-written\n")
        raise OSError("disk full")

    monkeypatch.setattr(EntityState, "save", save_part_then_fail)
    with pytest.raises(OSError, match="disk full"):
        build_features(settings)
    assert _identity(lake.features) == features_before
    assert EntityState.saved_marker(lake.state) == state_before
    leftovers = [p.name for p in lake.root.rglob(".*") if "staging" in p.name]
    assert leftovers == []

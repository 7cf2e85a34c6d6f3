"""The drift scenario end to end (real Prefect flows, MLflow store, Parquet lake)."""

import json
from pathlib import Path

import pandas as pd
import pytest
from mlflow.tracking import MlflowClient
from typer.testing import CliRunner

from models.registry import load_version, resolve_alias
from models.training import FITTED_WINDOWS
from pipelines import monitoring
from pipelines.monitoring import effectiveness_report, reevaluation_mode
from reassessment import history
from reassessment.monitoring_view import drift_history
from sources.lake import DataLake

pytestmark = pytest.mark.integration


def _runs(settings, kind: str):
    client = MlflowClient(tracking_uri=settings.resolved_tracking_uri)
    experiment = client.get_experiment_by_name(settings.monitoring_experiment)
    runs = client.search_runs(
        [experiment.experiment_id], f"tags.`customs_risk.kind` = '{kind}'", max_results=500
    )
    return client, runs


def test_scenario_detects_the_shift_and_promotes_a_better_challenger(drift_run):
    settings, report = drift_run
    assert {
        "shift_date",
        "windows",
        "stable_windows",
        "false_alarms",
        "first_alert_after_shift",
        "reevaluation",
    } <= set(report)
    for window in report["windows"]:
        assert {"start", "end", "after_shift", "alert", "signals"} <= set(window)
    shift = pd.Timestamp(report["shift_date"])
    before = [w for w in report["windows"] if not w["after_shift"]]
    assert all(pd.Timestamp(w["end"]) <= shift for w in before)
    assert report["stable_windows"] == len(before) >= 4
    assert report["false_alarms"] == 0 and not any(w["alert"] for w in before)
    assert report["first_alert_after_shift"] == 0  # the first full week after the shift
    first_after = next(w for w in report["windows"] if w["after_shift"])
    assert first_after["alert"] and first_after["signals"]

    r = report["reevaluation"]
    assert r["triggered"] and r["promoted"] and r["metric"] == "auc_pr"
    assert r["challenger_score"] > r["champion_score"]
    assert pd.Timestamp(r["evaluated_on"].split(" → ")[0]) >= shift  # post-shift data only
    assert r["champion_version_before"] == "1"
    assert r["champion_version_after"] == r["challenger_version"] != "1"
    assert resolve_alias(settings, "champion") == r["champion_version_after"]
    assert resolve_alias(settings, "previous") == "1"
    assert (
        json.loads(Path(settings.data_dir, "..", "r.json").resolve().read_text())["false_alarms"]
        == 0
    )


def test_every_window_is_a_monitoring_run_with_a_readable_html_report(drift_run):
    settings, report = drift_run
    client, runs = _runs(settings, "monitor")
    assert len(runs) == len(report["windows"])
    alerting = [r for r in runs if r.data.tags["alert"] == "true"]
    assert alerting and all(r.data.tags["alert_signals"] for r in alerting)
    run = min(alerting, key=lambda r: r.data.params["window_start"])
    html = Path(client.download_artifacts(run.info.run_id, "drift/report.html")).read_text()
    assert "ALERT" in html and "route" in html and "Reconciliation" in html
    assert "<script" not in html and "http" not in html  # self-contained, no external assets
    data = json.loads(
        Path(client.download_artifacts(run.info.run_id, "drift/report.json")).read_text()
    )
    assert data["alert"] and data["drift_since"] == data["window"]["start"]
    assert {o["category"] for o in data["outcomes"]} and data["outcomes"][0]["pending"] >= 0
    assert "score_psi.revenue" in run.data.metrics


def test_every_window_report_is_kept_in_the_lake_with_its_run_and_reevaluation(drift_run):
    settings, report = drift_run
    _, runs = _runs(settings, "monitor")
    kept = history.load_window_reports(settings.data_dir, settings.model_name)
    assert [r["window"]["start"] for r in kept] == [w["start"] for w in report["windows"]]
    assert {r["mlflow_run_id"] for r in kept} == {r.info.run_id for r in runs}
    outcomes = [(r["reevaluation"] or {}).get("outcome") for r in kept]
    assert outcomes == [w["reevaluation"] for w in report["windows"]]
    drift = drift_history(settings.data_dir, settings.model_name)
    assert [w.status for w in drift.windows] == [w["status"] for w in report["windows"]]
    decisive = report["reevaluation"]
    [promotion] = drift.champion_changes
    assert promotion.x == decisive["as_of"][:10]
    assert (promotion.version_before, promotion.version_after) == (
        decisive["champion_version_before"],
        decisive["champion_version_after"],
    )
    assert drift.input_psi[0].key == "route"  # the planted shift is a new route
    assert all(len(s.points) == len(kept) for s in drift.input_psi + drift.observed_expected)


def test_reevaluation_decisions_and_reasons_are_recorded(drift_run):
    settings, report = drift_run
    client, runs = _runs(settings, "reevaluation")
    assert len(runs) == len(report["reevaluations"]) >= 1
    promoted = [r for r in runs if r.data.tags["promoted"] == "true"]
    assert len(promoted) == 1
    decision = json.loads(
        Path(
            client.download_artifacts(promoted[0].info.run_id, "reevaluation/decision.json")
        ).read_text()
    )
    assert decision["promoted"] and all(r.startswith("pass") for r in decision["reasons"])
    assert decision["per_category"]
    version = client.get_model_version(settings.model_name, decision["challenger_version"])
    assert version.tags["reevaluation.outcome"] == "promoted challenger"
    inputs = client.get_run(version.run_id).inputs.dataset_inputs  # lineage, as for `train`
    assert [d.dataset.name for d in inputs] == ["declaration_features"]
    # The challenger's levels follow the configured capacity (not the default), as the
    # first champion's do.
    for v in ("1", decision["challenger_version"]):
        metadata = load_version(settings, v).metadata
        assert metadata["inspection_capacity"] == settings.inspection_capacity != 0.05
    # The challenger's test window is the evaluation window, and it trained, early-stopped
    # and calibrated only on declarations before it.
    windows = load_version(settings, decision["challenger_version"]).metadata["windows"]
    evaluation_start = pd.Timestamp(decision["evaluated_on"].split(" → ")[0])
    assert pd.Timestamp(windows["test"][0]) == evaluation_start
    for name in FITTED_WINDOWS:
        assert pd.Timestamp(windows[name][1]) < evaluation_start, name
    assert "promoted challenger" in promoted[0].data.tags["outcome"]


def test_effectiveness_report_is_computed_and_stored(drift_run, monkeypatch):
    settings, _ = drift_run
    report = effectiveness_report(settings, freq="M")
    windows = report["windows"]
    assert len(windows) == 12 and report["model_version"] is not None
    total = sum(w["inspected"] for w in windows) / sum(w["declared"] for w in windows)
    assert 0.05 < total < 0.15  # the legacy policy inspects about 9 %
    june = next(w for w in windows if w["window"] == "2025-06")
    credit = june["by_credit_level"]
    rates = [credit[level]["inspection_rate"] for level in ("advanced_certified", "regular")]
    assert rates[0] < rates[1] < credit["dishonest"]["inspection_rate"]  # Order No. 251 policy
    assert credit["dishonest"]["inspection_rate"] > 0.7
    assert june["by_reason"]["random"]["inspected"] > 0 and june["duty_recovered_cny"] > 0
    assert "calibration" in june
    client = MlflowClient(tracking_uri=settings.resolved_tracking_uri)
    stored = {a.path for a in client.list_artifacts(report["mlflow_run_id"], "effectiveness")}
    assert stored == {"effectiveness/report.json", "effectiveness/windows.csv"}
    kept = history.load_effectiveness_report(settings.data_dir, "M")
    assert kept["mlflow_run_id"] == report["mlflow_run_id"] and len(kept["windows"]) == 12

    from config.settings import get_settings
    from customs_risk.cli import app

    for name, value in (
        ("CUSTOMS_RISK_DATA_DIR", str(settings.data_dir)),
        ("CUSTOMS_RISK_MLFLOW_DIR", str(settings.mlflow_dir)),
        ("CUSTOMS_RISK_TRACKING_URI", settings.resolved_tracking_uri),
        ("CUSTOMS_RISK_MODEL_NAME", settings.model_name),
    ):
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["effectiveness", "--freq", "M"], catch_exceptions=False)
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0
    assert "Hit rate by selection reason" in result.output and "2025-06" in result.output


def test_reevaluation_runs_inline_unless_a_prefect_server_is_configured(
    settings_for, tmp_path, monkeypatch
):
    settings = settings_for(tmp_path)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert reevaluation_mode(settings) == "inline"
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    assert reevaluation_mode(settings) == "event"
    forced = settings.model_copy(update={"reevaluation_trigger": "inline"})
    assert reevaluation_mode(forced) == "inline"


def test_monitor_without_a_champion_fails_clearly_and_records_nothing(
    settings_for, tmp_path, prefect_harness, monkeypatch
):
    """A registered model without a champion: a clear error, no monitoring run (not even a
    failed one) and no drift event."""
    settings = settings_for(tmp_path)
    MlflowClient(settings.resolved_tracking_uri).create_registered_model(settings.model_name)
    lake = DataLake(settings.data_dir)  # a lake with one week, so only the champion lacks
    week = pd.date_range("2025-07-07", periods=7, freq="D")
    lake.features.parent.mkdir(parents=True)
    lake.validated.mkdir(parents=True)
    pd.DataFrame({"declared_at": week}).to_parquet(lake.features)
    pd.DataFrame({"declared_at": week}).to_parquet(lake.source_path(lake.validated, "declarations"))
    outcomes = pd.DataFrame({"inspected_at": week, "outcome_known_at": week})
    outcomes.to_parquet(lake.source_path(lake.validated, "inspection_outcomes"))
    emitted = []
    monkeypatch.setattr(monitoring, "emit_drift_event", lambda *args: emitted.append(args))

    with pytest.raises(LookupError, match=f"no 'champion' alias on {settings.model_name}"):
        monitoring.monitor(settings, reevaluation="inline")

    client = MlflowClient(tracking_uri=settings.resolved_tracking_uri)
    experiment = client.get_experiment_by_name(settings.monitoring_experiment)
    assert experiment is None or not client.search_runs([experiment.experiment_id])
    assert not emitted

"""The "Model and monitoring" page's data, read back from files shaped as the pipeline
writes them (window reports built from the real measures, an effectiveness report from
the real computation, a bundle manifest as ``RiskModel.save`` lays it out)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from config.settings import Settings
from pipelines.monitoring import MonitoredModel, MonitoringRun
from reassessment import alert_policy, history
from reassessment.compliance import ComplianceEstimate, compliance_estimates
from reassessment.drift_measures import FeatureDrift, OutcomePerformance, ScoreDrift
from reassessment.effectiveness import effectiveness
from reassessment.monitoring_view import (
    DriftHistory,
    drift_demo_history,
    drift_history,
    effectiveness_view,
    mlflow_run_url,
    monitoring_view,
    served_model_summary,
)
from reassessment.monitoring_window import Period, WindowReport
from sources.contracts import FINDING_COLUMNS

THRESHOLDS = alert_policy.Thresholds.for_settings(Settings())
UI = "http://mlflow.example:5000/"


def _numeric(name: str, psi: float, p_value: float = 1e-30, shift_sd: float = 0.5):
    return FeatureDrift(name, "numeric", psi, p_value, "ks", 0.0, 0.0, shift_sd=shift_sd)


def _outcome(category: str, matured: int, positives: int, expected: float) -> OutcomePerformance:
    ratio = positives / expected if expected else math.nan
    return OutcomePerformance(
        category, matured, 10, positives, expected, ratio, ratio / 2, ratio * 2, 0.5,
        0.01, 0.3, 5, 1, 0.2, 2, 0.1, 0.15,
    )  # fmt: skip


def window_report(
    start: str,
    inputs: list[FeatureDrift],
    version: str = "1",
    model_name: str = "customs-risk",
    outcomes: list[OutcomePerformance] | None = None,
    run_id: str | None = "run-1",
) -> dict:
    """A window's report as ``monitor`` keeps it: ``MonitoringRun.to_dict()``."""
    begin = pd.Timestamp(start)
    end = begin + pd.Timedelta(days=7)
    scores = [
        ScoreDrift("revenue", 0.02, 0.5, 0.03, 0.031, 0.1, 0.05, 0.06),
        ScoreDrift("ipr", 0.01, 0.5, 0.01, 0.012, 0.04, 0.05, 0.045),
    ]
    outcomes = outcomes if outcomes is not None else [_outcome("revenue", 40, 3, 2.5)]
    assessment = alert_policy.assess(inputs, scores, [], outcomes, ["route"], THRESHOLDS, 3000)
    report = WindowReport(
        window=Period(begin, end, 3000),
        reference=Period(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-29"), 12000),
        inspection_rate=0.05,
        key_inputs=["route"],
        assessment=assessment,
        thresholds=THRESHOLDS,
        inputs=inputs,
        trending_inputs=[],
        scores=scores,
        quality=[],
        outcomes=outcomes,
        reconciliation=[],
    )
    model = MonitoredModel(model_name, version, pd.Timestamp("2026-01-29"))
    since = str(begin) if assessment.alert else None
    return MonitoringRun(report, model, since, mlflow_run_id=run_id).to_dict()


def quiet(start: str, **kwargs) -> dict:
    return window_report(start, [_numeric("route", 0.02), _numeric("duty_rate", 0.01)], **kwargs)


# --- the kept reports ------------------------------------------------------------------------


def test_window_reports_are_kept_in_time_order_per_model_and_replaced_when_measured_again(
    tmp_path,
):
    for start in ("2026-03-16", "2026-03-02", "2026-03-09"):
        history.save_window_report(tmp_path, quiet(start))
    history.save_window_report(tmp_path, quiet("2026-03-02", model_name="other"))
    kept = history.load_window_reports(tmp_path, "customs-risk")
    assert [r["window"]["start"][:10] for r in kept] == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert [
        r["window"]["start"][:10]
        for r in history.load_window_reports(tmp_path, "customs-risk", last=2)
    ] == ["2026-03-09", "2026-03-16"]
    [other] = history.load_window_reports(tmp_path, "other")
    assert other["model"]["name"] == "other"
    again = quiet("2026-03-09", run_id="run-2")
    history.save_window_report(tmp_path, again)
    kept = history.load_window_reports(tmp_path, "customs-risk")
    assert [r["mlflow_run_id"] for r in kept] == ["run-1", "run-2", "run-1"]
    assert not list(history.window_reports_dir(tmp_path, "customs-risk").glob(".*"))
    history.clear_monitoring_history(tmp_path)
    assert history.load_window_reports(tmp_path, "customs-risk") == []


# --- drift history ---------------------------------------------------------------------------


def _drifting_history(tmp_path) -> DriftHistory:
    """Four weeks: quiet; the route drifts (alert) and the re-evaluation promotes version 2;
    warnings against version 2 with the route missing from the window; then version 1
    again (a rollback)."""
    reports = [
        quiet("2026-03-02"),
        window_report(
            "2026-03-09",
            [_numeric("route", 0.42), _numeric("duty_rate", 0.05), _numeric("licence_count", 0.6)],
            outcomes=[_outcome("revenue", 0, 0, 0.0)],
        ),
        window_report(
            "2026-03-16",
            [_numeric("duty_rate", 0.15, p_value=0.5), _numeric("licence_count", 0.05)],
            version="2",
        ),
        quiet("2026-03-23"),
    ]
    reports[1]["reevaluation"] = {"outcome": "promoted challenger", "challenger_version": "2"}
    for report in reports:
        history.save_window_report(tmp_path, report)
    return drift_history(tmp_path, "customs-risk", UI, max_inputs=2)


def test_drift_history_lists_every_window_with_its_decision_and_links(tmp_path):
    drift = _drifting_history(tmp_path)
    assert [w.start for w in drift.windows] == [
        "2026-03-02",
        "2026-03-09",
        "2026-03-16",
        "2026-03-23",
    ]
    alerted = drift.windows[1]
    assert alerted.status == "alert" and alerted.alert_signals == ("input:route",)
    assert alerted.drift_since == "2026-03-09" and alerted.end == "2026-03-16"
    assert alerted.reevaluation == "promoted challenger" and alerted.challenger_version == "2"
    assert drift.windows[0].run_url == "http://mlflow.example:5000/#/runs/run-1"
    assert drift.windows[2].warnings >= 1 and drift.windows[2].status == "warn"
    # the promotion at the end of its window, the rollback where a window first shows it
    assert [(c.x, c.version_before, c.version_after) for c in drift.champion_changes] == [
        ("2026-03-16", "1", "2"),
        ("2026-03-23", "2", "1"),
    ]
    assert (drift.psi_warn, drift.psi_alert) == (THRESHOLDS.psi_warn, THRESHOLDS.psi_alert)
    assert drift.inspection_rate == 0.05 and drift.reference == {
        "start": "2026-01-01",
        "end": "2026-01-29",
    }


def test_input_psi_series_put_alerted_inputs_first_then_warned_with_gaps(tmp_path):
    drift = _drifting_history(tmp_path)
    # the route alerted (a key input); the licence count drifted further but, not being
    # key, only warned; the duty rate warned at a lower PSI and falls beyond the limit
    levels = {s["name"]: s["level"] for s in alerting_week_signals(tmp_path)}
    assert levels == {"route": "alert", "licence_count": "warn"}
    assert [s.key for s in drift.input_psi] == ["route", "licence_count"]
    route = drift.input_psi[0]
    assert route.label == "Route (HS chapter × origin)"
    assert [p.y for p in route.points] == [0.02, 0.42, None, 0.02]  # not measured in week 3
    assert drift.input_psi[1].label != "licence_count"  # the catalogue's label
    everything = drift_history(tmp_path, "customs-risk", max_inputs=10).input_psi
    assert [s.key for s in everything] == ["route", "licence_count", "duty_rate"]


def alerting_week_signals(tmp_path) -> list[dict]:
    """The input signals of the alerting week, as the report holds them."""
    week = history.load_window_reports(tmp_path, "customs-risk")[1]
    return [s for s in week["signals"] if s["kind"] == "input"]


def test_score_and_outcome_series_per_category(tmp_path):
    drift = _drifting_history(tmp_path)
    assert [s.key for s in drift.score_psi] == ["revenue", "ipr"]
    assert [p.y for p in drift.flag_rate[0].points] == [0.06] * 4
    assert [p.y for p in drift.score_mean[1].points] == [0.012] * 4
    revenue = drift.observed_expected[0]
    assert [p.x for p in revenue.points][:2] == ["2026-03-02", "2026-03-09"]
    first, no_label = revenue.points[0], revenue.points[1]
    assert first.y == pytest.approx(1.2) and (first.low, first.high) == pytest.approx((0.6, 2.4))
    assert first.note == "3 / 2.5"
    assert no_label.y is None  # no matured label: no ratio, not a zero


def test_no_window_yet_is_none_and_links_need_the_ui_setting(tmp_path):
    assert drift_history(tmp_path, "customs-risk") is None
    history.save_window_report(tmp_path, quiet("2026-03-02"))
    assert drift_history(tmp_path, "customs-risk").windows[0].run_url is None
    assert drift_history(tmp_path, "another-model") is None
    assert mlflow_run_url(None, "abc") is None and mlflow_run_url(UI, None) is None


def test_drift_demo_reads_its_own_folder_model_and_shift(tmp_path):
    settings = Settings(data_dir=tmp_path, mlflow_ui_url=UI)
    demo = tmp_path / history.DRIFT_DEMO_FOLDER
    history.save_window_report(
        demo, quiet("2026-03-30", model_name=history.drift_demo_model_name("customs-risk"))
    )
    (demo / history.DRIFT_DEMO_REPORT).write_text(json.dumps({"shift_date": "2026-03-30"}))
    found = drift_demo_history(settings)
    assert found.model_name == "customs-risk-drift-demo" and found.shift_date == "2026-03-30"
    assert drift_history(tmp_path, "customs-risk") is None  # the served model's: none


# --- the served model ------------------------------------------------------------------------


def _bundle(folder, registry: dict | None) -> None:
    """A local copy as ``RiskModel.save`` and ``download_bundle`` leave it (trimmed)."""
    metrics = {
        "rows": 2692,
        "positives": 139,
        "prevalence": 0.052,
        "auc_roc": 0.87,
        "auc_pr": 0.26,
        "precision_at": {"1": 0.3, "5": 0.33, "10": 0.31},
        "ece": 0.017,
        "ece_relative": 0.33,
        "brier": 0.042,
        "observed": 139.0,
        "expected": 166.9,
        "observed_to_expected": 0.83,
        "observed_to_expected_low": 0.70,
        "observed_to_expected_high": 0.98,
        "interval_coverage": float("nan"),
        "feature_view": "with_history",
        "calibration": "temperature",
    }
    manifest = {
        "format": 1,
        "metadata": {
            "as_of": "2026-06-30 23:56:58",
            "windows": {
                "train": ["2025-01-01", "2026-02-12"],
                "test": ["2026-05-05", "2026-06-29"],
            },
            "rows": {"train": 10430, "test": 2692},
            "feature_names": ["log_value_cny", "duty_rate", "origin_country"],
            "feature_fingerprint": "8e18278b38766915",
            "inspection_capacity": 0.05,
        },
        "not_scored": {"public_health": "3 labelled positives in training (at least 40 needed)"},
        "overall_cutoffs": [0.1, 0.2, 0.3],
        "categories": {
            "revenue": {
                "calibrator": {"method": "temperature", "params": {}},
                "level_cutoffs": [0.04, 0.14, 0.36],
                "indistinct_levels": [],
                "metrics": metrics,
            },
            "prohibited_restricted": {
                "calibrator": {"method": "sigmoid", "params": {}},
                "level_cutoffs": [0.005, 0.01, 0.01],
                "indistinct_levels": [4],
                "metrics": {**metrics, "calibration": "sigmoid"},
            },
        },
    }
    folder.mkdir(parents=True)
    (folder / "model.json").write_text(json.dumps(manifest))
    (folder / "model_card.md").write_text("# Customs risk model card\n")
    if registry is not None:
        (folder / "registry.json").write_text(json.dumps(registry))


def test_served_model_summary_reads_the_local_copy(tmp_path):
    registry = {"model_uri": "models:/customs-risk/3", "model_name": "customs-risk", "version": "3"}
    _bundle(tmp_path / "model", {**registry, "run_id": "f00d"})
    model = served_model_summary(tmp_path / "model", "customs-risk", UI)
    assert (model.name, model.version, model.trained_as_of) == (
        "customs-risk",
        "3",
        "2026-06-30 23:56:58",
    )
    assert model.run_url == "http://mlflow.example:5000/#/runs/f00d"
    assert model.model_url == "http://mlflow.example:5000/#/models/customs-risk/versions/3"
    assert model.windows["test"] == ("2026-05-05", "2026-06-29") and model.rows["train"] == 10430
    assert (model.feature_count, model.inspection_capacity) == (3, 0.05)
    assert model.model_card.startswith("# Customs risk model card")
    # contract order, scored first, then the category without a model and why
    assert [c.category for c in model.categories] == [
        "prohibited_restricted",
        "revenue",
        "public_health",
    ]
    prohibited, revenue, public_health = model.categories
    assert prohibited.calibration == "sigmoid" and prohibited.indistinct_levels == (4,)
    assert revenue.scored and revenue.auc_pr == 0.26 and revenue.precision_at["5"] == 0.33
    assert (revenue.observed_to_expected_low, revenue.observed_to_expected_high) == (0.7, 0.98)
    assert revenue.interval_coverage is None  # NaN in the manifest
    assert revenue.level_cutoffs == (0.04, 0.14, 0.36) and revenue.test_rows == 2692
    assert not public_health.scored and "40 needed" in public_health.not_scored_reason


def test_a_copy_made_before_run_ids_were_kept_still_reads(tmp_path):
    _bundle(tmp_path / "model", {"model_uri": "models:/m/1", "model_name": "m", "version": "1"})
    model = served_model_summary(tmp_path / "model", "m", UI)
    assert model.run_id is None and model.run_url is None and model.version == "1"
    assert served_model_summary(tmp_path / "nothing", "m") is None


# --- effectiveness ---------------------------------------------------------------------------


def _effectiveness_report() -> dict:
    """Two months of 20 items each, as the ``effectiveness`` flow reports them."""
    n = 40
    declarations = pd.DataFrame(
        {
            "declaration_id": [f"D{i:02d}" for i in range(n)],
            "item_no": 1,
            "declared_at": pd.to_datetime(["2025-03-05"] * 20 + ["2025-04-05"] * 20),
            "consignee_credit_level": ([2.0] * 15 + [3.0] * 4 + [np.nan]) * 2,
        }
    )
    inspected = [0, 1, 2, 3, 15, 16, 20, 21, 22, 35]
    reasons = ["rule", "rule", "random", "random", "rule", "planned_sampling"]
    reasons += ["rule", "random", "random", "rule"]
    outcomes = pd.DataFrame(
        {
            "declaration_id": [f"D{i:02d}" for i in inspected],
            "item_no": 1,
            "selection_reason": reasons,
            "selection_probability": [0.0, 0.0, 0.02, 0.02, 0.0, 0.0, 0.0, 0.02, 0.02, 0.0],
            "inspected_at": pd.to_datetime(["2025-03-06"] * 6 + ["2025-04-06"] * 4),
            "outcome_known_at": pd.to_datetime(["2025-03-20"] * 6 + ["2025-04-20"] * 4),
            "duty_recovered_cny": 0.0,
        }
    )
    for column in FINDING_COLUMNS:
        outcomes[column] = False
    outcomes.loc[[0, 2, 4, 6, 9], "finding_revenue"] = True
    probabilities = pd.DataFrame(
        {"declaration_id": outcomes["declaration_id"], "item_no": 1, "probability_revenue": 0.4}
    )
    as_of, model_as_of = pd.Timestamp("2025-05-01"), pd.Timestamp("2025-04-01")
    windows = effectiveness(declarations, outcomes, as_of, "M", probabilities, model_as_of)
    matured = declarations.merge(outcomes, on=["declaration_id", "item_no"])
    matured["credit"] = np.where(matured["consignee_credit_level"] == 3.0, "dishonest", "regular")
    return {
        "as_of": str(as_of),
        "freq": "M",
        "model_version": "1",
        "model_as_of": str(model_as_of),
        "windows": windows,
        "compliance": [e.to_dict() for e in compliance_estimates(matured)],
        "mlflow_run_id": "eff-1",
    }


def test_effectiveness_view_series_and_totals(tmp_path):
    report = _effectiveness_report()
    history.save_effectiveness_report(tmp_path, report)
    view = effectiveness_view(tmp_path, "M", UI)
    assert view.periods == ("2025-03", "2025-04") and view.first_out_of_sample == "2025-04"
    assert view.run_url.endswith("/#/runs/eff-1") and view.model_version == "1"
    assert [p.y for p in view.inspection_rate.points] == [0.3, 0.2]
    assert [p.y for p in view.hit_rate.points] == [pytest.approx(3 / 6), pytest.approx(2 / 4)]
    rule = next(s for s in view.hit_rate_by_reason if s.key == "rule")
    assert [p.note for p in rule.points] == ["2 / 3", "2 / 2"]
    assert {s.key for s in view.hit_rate_by_reason} == {"rule", "random", "planned_sampling"}
    assert "random" not in {s.key for s in view.lift_by_reason}
    totals = {t.reason: t for t in view.by_reason}
    assert (totals["rule"].inspected, totals["rule"].hits) == (5, 4)
    assert totals["random"].hit_rate == pytest.approx(1 / 4)
    assert totals["rule"].lift_over_random == pytest.approx((4 / 5) / (1 / 4))
    assert "model" not in totals  # never inspected for that reason
    credit = {t.credit_level: t for t in view.by_credit_level}
    assert (credit["regular"].declared, credit["regular"].inspected) == (30, 7)
    assert credit["dishonest"].rate_vs_regular == pytest.approx((3 / 8) / (7 / 30))
    assert credit["regular"].hit_rate == pytest.approx(3 / 7)
    assert credit["unrated"].inspected == 0
    [revenue] = view.observed_expected
    march = revenue.points[0]
    assert march.y == pytest.approx(3 / (6 * 0.4)) and march.note == "3 / 2.4"
    assert march.low < march.y < march.high
    assert all(isinstance(e, ComplianceEstimate) for e in view.compliance)
    everything = next(
        e for e in view.compliance if e.credit_level == "all" and e.category == "revenue"
    )
    assert (everything.random_picks, everything.findings) == (4, 1)


def test_effectiveness_of_weeks_is_kept_apart_from_months(tmp_path):
    report = _effectiveness_report()
    history.save_effectiveness_report(tmp_path, {**report, "freq": "W"})
    assert effectiveness_view(tmp_path, "M") is None
    assert history.load_effectiveness_report(tmp_path, "W")["freq"] == "W"


# --- the page ---------------------------------------------------------------------------------


def test_a_project_without_outputs_gives_an_empty_view(tmp_path):
    view = monitoring_view(Settings(data_dir=tmp_path))
    assert (view.model, view.drift, view.drift_demo, view.effectiveness) == (None,) * 4


def test_the_page_reads_everything_from_one_settings(tmp_path):
    settings = Settings(data_dir=tmp_path, mlflow_ui_url=UI)
    _bundle(settings.resolved_model_cache_dir, {"model_name": "customs-risk", "version": "1"})
    history.save_window_report(tmp_path, quiet("2026-03-02"))
    history.save_effectiveness_report(tmp_path, _effectiveness_report())
    view = monitoring_view(settings)
    assert view.model.version == "1" and len(view.drift.windows) == 1
    assert view.effectiveness.periods == ("2025-03", "2025-04") and view.drift_demo is None


def test_series_feed_the_charts_as_they_are(tmp_path):
    from serving.workbench.charts import ReferenceLine, line_chart

    drift = _drifting_history(tmp_path)
    chart = line_chart(
        drift.observed_expected,
        title="O/E",
        x_label="week",
        y_label="O/E",
        reference_lines=[ReferenceLine(1.0, "O/E = 1", 0.8, 1.25)],
    )
    assert "revenue — 2026-03-02: 1.2 (0.6–2.4), 3 / 2.5" in str(chart)
    assert str(chart).count('class="point"') == 3  # week 2 had no matured label

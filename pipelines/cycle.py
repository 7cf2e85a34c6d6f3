"""The whole risk-management cycle, as ``make run`` runs it.

generate → validate → features → train and register → batch score (``pipelines.flows``)
→ the effectiveness report (``pipelines.monitoring``), then the Art. 18 re-assessment loop
in a sub-project (``pipelines.scenario``).
"""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow, get_run_logger

from config.settings import Settings, get_settings
from models.metrics import format_metric
from pipelines.demo_keys import issue_demo_keys
from pipelines.flows import (
    batch_score,
    build_features,
    generate_sources,
    ingest_and_validate,
    train_and_register,
)
from pipelines.monitoring import effectiveness_report
from pipelines.scenario import ScenarioConfig, drift_scenario, scenario_settings
from reassessment.history import (
    DRIFT_DEMO_FOLDER,
    DRIFT_DEMO_REPORT,
    drift_demo_model_name,
    effectiveness_path,
)
from sources.generator import GeneratorConfig
from sources.lake import DataLake


@flow(name="risk-cycle")
def risk_cycle(
    settings: Settings | None = None,
    generator: GeneratorConfig | None = None,
    drift_demo: bool | None = None,
) -> dict:
    """The whole cycle on embedded defaults: generate → validate → features → train → score,
    then (``drift_demo``, default ``CUSTOMS_RISK_DRIFT_DEMO``) the re-assessment loop."""
    settings = settings or get_settings()
    lake = DataLake(settings.data_dir)
    timings = {}
    started = time.perf_counter()
    generator = generator or GeneratorConfig.for_settings(settings)
    generate_sources(generator, lake)
    timings["generate"] = time.perf_counter() - started
    validation = ingest_and_validate(settings)
    timings["validate"] = time.perf_counter() - started - sum(timings.values())
    features = build_features(settings)
    timings["features"] = time.perf_counter() - started - sum(timings.values())
    training = train_and_register(settings, validation)
    timings["train_register"] = time.perf_counter() - started - sum(timings.values())
    scoring = batch_score(settings)
    timings["score"] = time.perf_counter() - started - sum(timings.values())
    effectiveness = effectiveness_report(settings)
    timings["effectiveness"] = time.perf_counter() - started - sum(timings.values())
    issue_demo_keys(settings)
    demo = None
    if settings.drift_demo if drift_demo is None else drift_demo:
        demo = run_drift_demo(settings)
        timings["drift_demo"] = time.perf_counter() - started - sum(timings.values())
        get_run_logger().info(
            "Art. 18 demo (shift %s, %s): %d stable weeks, %d false alarms, alert %s week(s) "
            "after the shift; challenger %s vs champion %s (AUC-PR) → %s, champion %s → %s",
            demo["shift_date"],
            demo["report_path"],
            demo["stable_windows"],
            demo["false_alarms"],
            demo["first_alert_after_shift"],
            format_metric(demo["challenger_score"]),
            format_metric(demo["champion_score"]),
            "promoted" if demo["promoted"] else "kept",
            demo["champion_version_before"],
            demo["champion_version_after"],
        )
    return {
        "features": features,
        "training": training,
        "scoring": scoring,
        "effectiveness": {
            "path": str(effectiveness_path(settings.data_dir, effectiveness["freq"])),
            "windows": len(effectiveness["windows"]),
            "mlflow_run_id": effectiveness["mlflow_run_id"],
        },
        "drift_demo": demo,
        "timings": timings,
        "data_dir": str(Path(settings.data_dir)),
        "demo_keys_file": str(settings.resolved_demo_keys_file),
    }


def run_drift_demo(settings: Settings) -> dict:
    """The drift → re-evaluation → promotion loop on ``make run``'s own generator settings
    with the shift switch on, in a sub-project (``<data_dir>/drift-demo``, registered model
    ``<model_name>-drift-demo``) so the served champion is not touched."""
    started = time.perf_counter()
    config = ScenarioConfig.for_settings(settings)
    root = Path(settings.data_dir) / DRIFT_DEMO_FOLDER
    demo = scenario_settings(settings, root, drift_demo_model_name(settings.model_name))
    report = drift_scenario(demo, config, out=str(root / DRIFT_DEMO_REPORT))
    reevaluation = report["reevaluation"]
    return {
        "report_path": str(root / DRIFT_DEMO_REPORT),
        "shift_date": report["shift_date"],
        "stable_windows": report["stable_windows"],
        "false_alarms": report["false_alarms"],
        "first_alert_after_shift": report["first_alert_after_shift"],
        "promoted": reevaluation["promoted"],
        "champion_score": reevaluation["champion_score"],
        "challenger_score": reevaluation["challenger_score"],
        "champion_version_before": reevaluation["champion_version_before"],
        "champion_version_after": reevaluation["champion_version_after"],
        "seconds": time.perf_counter() - started,
    }

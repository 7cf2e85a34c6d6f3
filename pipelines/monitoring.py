"""Re-assessment (Art. 18) as Prefect flows: monitor → (event) → re-evaluate → promote.

Thin orchestration over ``reassessment.monitoring_window``, ``reassessment.promotion`` and
``reassessment.effectiveness``. Every run is recorded in the MLflow monitoring experiment
(``CUSTOMS_RISK_MONITORING_EXPERIMENT``): a ``monitor`` run per window with its HTML
report, a ``reevaluate`` run per decision, a ``rollback`` run, an ``effectiveness`` run.

On alert, ``monitor`` emits the Prefect event ``customs-risk.drift.detected``; the
``reevaluate`` deployment (``pipelines.deployments``) is triggered by it on a Prefect
server. With no server configured (the embedded default) ``monitor`` re-evaluates inline.
"""

from __future__ import annotations

import json

import pandas as pd
from prefect import flow, get_run_logger

import mlflow
from config.settings import Settings, get_settings
from models.metrics import format_metric
from models.registry import (
    CHAMPION,
    configure,
    load_champion,
    resolve_alias,
    tag_version,
    use_store,
)
from models.registry import promote as promote_version
from models.registry import rollback as rollback_aliases
from models.training import TrainingConfig, labelled_rows
from reassessment import promotion
from reassessment.alert_policy import Thresholds
from reassessment.effectiveness import effectiveness as effectiveness_windows
from reassessment.monitoring_window import monitor_window
from reassessment.report import render_html
from sources.contracts import DECLARATIONS
from sources.lake import DataLake

DRIFT_EVENT = "customs-risk.drift.detected"


def _settings(settings: Settings | None) -> Settings:
    return settings or get_settings()


def lake_tables(settings: Settings) -> dict[str, pd.DataFrame]:
    """Feature table, validated declarations and inspection outcomes."""
    lake = DataLake(settings.data_dir)
    return {
        "features": pd.read_parquet(lake.features),
        "declarations": pd.read_parquet(lake.source_path(lake.validated, "declarations")),
        "outcomes": pd.read_parquet(lake.source_path(lake.validated, "inspection_outcomes")),
    }


def latest_end(features: pd.DataFrame) -> pd.Timestamp:
    """Midnight after the latest declaration: windows cover whole days."""
    return features["declared_at"].max().floor("D") + pd.Timedelta(days=1)


def reevaluation_mode(settings: Settings) -> str:
    """``inline`` or ``event``: ``auto`` is inline unless a Prefect server is configured.

    The configured server is read from the environment and profile (a fresh Prefect
    ``Settings``), not from the running context: the embedded ephemeral API and the test
    harness are not servers that could run the triggered deployment.
    """
    mode = settings.reevaluation_trigger
    if mode != "auto":
        return mode
    from prefect.settings import Settings as PrefectSettings

    return "event" if PrefectSettings().api.url else "inline"


def emit_drift_event(report: dict, settings: Settings) -> str | None:
    """Emit ``customs-risk.drift.detected`` with the window, signals and model version."""
    from prefect.events import emit_event

    event = emit_event(
        event=DRIFT_EVENT,
        resource={
            "prefect.resource.id": f"customs-risk.model.{settings.model_name}",
            "prefect.resource.name": settings.model_name,
        },
        payload={
            "window_start": report["window"]["start"],
            "window_end": report["window"]["end"],
            "drift_since": report["drift_since"],
            "signals": report["alert_signals"],
            "model_name": settings.model_name,
            "model_version": report["model"]["version"],
        },
    )
    return str(event.id) if event is not None else None


def _log_json(name: str, data: dict) -> None:
    mlflow.log_text(json.dumps(data, indent=1, default=str), name)


@flow(name="monitor")
def monitor(
    settings: Settings | None = None,
    window_end: str | None = None,
    window_days: int | None = None,
    reevaluation: str | None = None,
) -> dict:
    """Drift of the latest window (or the one ending at ``window_end``) against the
    champion's reference period; on alert, emit the event and maybe re-evaluate inline.

    ``reevaluation``: ``inline``, ``event`` or ``none``; default from settings.
    """
    settings = _settings(settings)
    logger = get_run_logger()
    tables = lake_tables(settings)
    end = pd.Timestamp(window_end) if window_end else latest_end(tables["features"])
    start = end - pd.Timedelta(days=window_days or settings.monitor_window_days)
    champion = load_champion(settings)
    version, model = champion.version, champion.model
    as_of = pd.Timestamp(model.metadata["as_of"])
    reference = (as_of - pd.Timedelta(days=settings.monitor_reference_days), as_of)
    known = tables["outcomes"][tables["outcomes"]["inspected_at"] < end]
    report = monitor_window(
        model,
        tables["features"],
        tables["declarations"],
        known,
        (start, end),
        reference,
        Thresholds.for_settings(settings),
        settings.inspection_capacity,
        DECLARATIONS,
    )
    report["model"] = {"name": settings.model_name, "version": version, "as_of": str(as_of)}
    # A drift episode runs over consecutive alerting windows of the same champion; the
    # re-evaluation compares models on the episode, not only on its latest week.
    report["drift_since"] = (
        _episode_start(settings, version, start) or str(start) if report["alert"] else None
    )

    configure(settings, settings.monitoring_experiment)
    with mlflow.start_run(run_name=f"monitor {start:%Y-%m-%d}") as run:
        mlflow.set_tags(
            {
                "customs_risk.kind": "monitor",
                "model_name": settings.model_name,
                "model_version": version,
                "status": report["status"],
                "alert": str(report["alert"]).lower(),
                "alert_signals": ",".join(report["alert_signals"])[:500],
            }
        )
        mlflow.log_params(
            {
                "window_start": str(start),
                "window_end": str(end),
                "reference_start": str(reference[0]),
                "reference_end": str(reference[1]),
                "rows": report["window"]["rows"],
                "drift_since": report["drift_since"],
            }
        )
        metrics = {f"score_psi.{s['category']}": s["psi"] for s in report["scores"]}
        metrics.update(
            {f"outcome_z.{o['category']}": o["calibration_z"] for o in report["outcomes"]}
        )
        metrics.update(
            {
                f"precision_matured.{o['category']}": o["precision_at_rate"]
                for o in report["outcomes"]
            }
        )
        metrics["max_input_psi"] = max((f["psi"] for f in report["inputs"]), default=0.0)
        metrics["alert_signals"] = len(report["alert_signals"])
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v == v})
        _log_json("drift/report.json", report)
        mlflow.log_text(render_html(report), "drift/report.html")
    report["mlflow_run_id"] = run.info.run_id
    logger.info(
        "window %s → %s: %s %s", start, end, report["status"], report["alert_signals"] or ""
    )

    report["event_id"] = None
    report["reevaluation"] = None
    if report["alert"]:
        report["event_id"] = emit_drift_event(report, settings)
        mode = reevaluation or reevaluation_mode(settings)
        if mode == "inline":
            result = reevaluate(
                settings,
                as_of=str(end),
                since=report["drift_since"],
                signals=report["alert_signals"],
            )
            report["reevaluation"] = result
            client = use_store(settings)
            client.set_tag(run.info.run_id, "reevaluation.outcome", result["outcome"])
        else:
            logger.info("drift event %s emitted; re-evaluation left to its trigger", DRIFT_EVENT)
    return report


def _runs(settings: Settings, filter_string: str) -> list:
    """Runs of this registered model (since it was created) in the monitoring experiment."""
    client = use_store(settings)
    experiment = client.get_experiment_by_name(settings.monitoring_experiment)
    if experiment is None:
        return []
    created = client.get_registered_model(settings.model_name).creation_timestamp
    return client.search_runs(
        [experiment.experiment_id],
        filter_string=(
            f"{filter_string} and tags.model_name = '{settings.model_name}' "
            f"and attributes.start_time >= {created}"
        ),
        max_results=200,
    )


def _episode_start(settings: Settings, version: str, start: pd.Timestamp) -> str | None:
    """Where the drift episode began if the window just before ``start`` alerted too."""
    runs = _runs(
        settings,
        f"tags.`customs_risk.kind` = 'monitor' and tags.alert = 'true' and "
        f"tags.model_version = '{version}' and params.window_end = '{start}'",
    )
    since = [r.data.params.get("drift_since") for r in runs]
    return min((s for s in since if s), default=None)


def _last_kept(settings: Settings, as_of: pd.Timestamp) -> pd.Timestamp | None:
    """As-of time of the latest re-evaluation that compared and kept the champion."""
    runs = _runs(
        settings, "tags.`customs_risk.kind` = 'reevaluation' and tags.outcome = 'kept champion'"
    )
    times = [pd.Timestamp(r.data.params["as_of"]) for r in runs if "as_of" in r.data.params]
    times = [t for t in times if t <= as_of]
    return max(times) if times else None


@flow(name="reevaluate")
def reevaluate(
    settings: Settings | None = None,
    as_of: str | None = None,
    since: str | None = None,
    signals: list[str] | None = None,
    force: bool = False,
) -> dict:
    """Train a challenger on data up to the latest matured window, compare it with the
    champion on that window, and promote it if it passes the gate.

    ``as_of``: data cut-off (default: the latest data); ``since``: start of the drifted
    window, the earliest evaluation start; ``force`` ignores the cool-down.
    """
    settings = _settings(settings)
    logger = get_run_logger()
    tables = lake_tables(settings)
    features, outcomes = tables["features"], tables["outcomes"]
    as_of_ts = pd.Timestamp(as_of) if as_of else latest_end(features)
    champion = load_champion(settings)
    champion_version, champion_model = champion.version, champion.model
    champion_as_of = pd.Timestamp(champion_model.metadata["as_of"])
    earliest = max(pd.Timestamp(since), champion_as_of) if since else champion_as_of
    window = promotion.evaluation_window(as_of_ts, settings.reevaluation_window_days, earliest)
    result = {
        "triggered": True,
        "as_of": str(as_of_ts),
        "signals": signals or [],
        "metric": promotion.GATE_METRIC,
        "evaluated_on": f"{window.start} → {window.end}",
        "champion_version_before": champion_version,
        "champion_version_after": champion_version,
        "challenger_version": None,
        "champion_score": None,
        "challenger_score": None,
        "promoted": False,
    }

    last = None if force else _last_kept(settings, as_of_ts)
    # What the challenger may read: declarations before the cut-off (logged as its input).
    declared = features[features["declared_at"] < as_of_ts]
    known = labelled_rows(declared, outcomes, as_of_ts)
    in_window = known[known["declared_at"] >= window.start]
    positives = {c: int(in_window[f"finding_{c}"].sum()) for c in champion_model.categories}
    wait = promotion.reason_to_wait(
        as_of_ts,
        last,
        pd.Timedelta(days=settings.reevaluation_cooldown_days),
        positives,
        settings.gate_min_positives,
    )
    if wait is not None:
        result["outcome"], result["reasons"] = wait
    else:
        trained = promotion.train_challenger(
            features,
            outcomes,
            window,
            TrainingConfig.for_settings(settings),
            settings.reevaluation_holdout_days,
        )
        lineage = {
            "features_path": str(DataLake(settings.data_dir).features),
            "as_of": str(as_of_ts),
            "reason": f"re-evaluation after drift: {', '.join(signals or []) or 'on demand'}",
        }
        registered = promotion.register(
            trained, settings, lineage=lineage, training_features=declared, gate=False
        )
        decision = promotion.decide(
            champion_model,
            trained.model,
            trained.test_features,
            promotion.GateConfig.for_settings(settings),
        )
        result.update(
            {
                "challenger_version": registered.version,
                "champion_score": decision.champion_score,
                "challenger_score": decision.challenger_score,
                "promoted": decision.promote,
                "reasons": decision.reasons,
                "per_category": decision.per_category,
                "gated_categories": decision.categories,
                "outcome": "promoted challenger" if decision.promote else "kept champion",
            }
        )
        if decision.promote:
            result.update(promote_version(settings, registered.version))
        tag_version(
            settings,
            registered.version,
            {
                "reevaluation.outcome": result["outcome"],
                "reevaluation.evaluated_on": result["evaluated_on"],
                "reevaluation.reasons": " | ".join(decision.reasons),
            },
        )
    result["champion_version_after"] = resolve_alias(settings, CHAMPION)
    result["summary"] = (
        f"{result['outcome']}: champion {result['champion_version_before']} → "
        f"{result['champion_version_after']}; {promotion.GATE_METRIC} champion "
        f"{format_metric(result['champion_score'], 4)} vs challenger "
        f"{format_metric(result['challenger_score'], 4)} "
        f"on {result['evaluated_on']}"
    )

    configure(settings, settings.monitoring_experiment)
    with mlflow.start_run(run_name=f"reevaluate {as_of_ts:%Y-%m-%d}") as run:
        mlflow.set_tags(
            {
                "customs_risk.kind": "reevaluation",
                "model_name": settings.model_name,
                "outcome": result["outcome"],
                "promoted": str(result["promoted"]).lower(),
                "champion_version_before": champion_version,
                "champion_version_after": str(result["champion_version_after"]),
                "challenger_version": str(result["challenger_version"]),
            }
        )
        mlflow.log_params(
            {
                "as_of": str(as_of_ts),
                "evaluation_start": str(window.start),
                "evaluation_end": str(window.end),
                "signals": ",".join(signals or [])[:500],
            }
        )
        scores = {"champion_score": result["champion_score"]}
        scores["challenger_score"] = result["challenger_score"]
        mlflow.log_metrics({k: float(v) for k, v in scores.items() if v is not None and v == v})
        _log_json("reevaluation/decision.json", result)
    result["mlflow_run_id"] = run.info.run_id
    logger.info("re-evaluation: %s", result["summary"])
    return result


@flow(name="rollback")
def rollback(settings: Settings | None = None, reason: str = "manual rollback") -> dict:
    """Restore the ``previous`` champion; recorded in the monitoring experiment."""
    settings = _settings(settings)
    result = {**rollback_aliases(settings), "reason": reason}
    configure(settings, settings.monitoring_experiment)
    with mlflow.start_run(run_name="rollback"):
        mlflow.set_tags(
            {
                "customs_risk.kind": "rollback",
                "model_name": settings.model_name,
                "champion_version_before": str(result["champion_version_before"]),
                "champion_version_after": str(result["champion_version_after"]),
            }
        )
        _log_json("rollback/decision.json", result)
    tag_version(settings, str(result["champion_version_before"]), {"rolled_back": reason})
    return result


@flow(name="effectiveness")
def effectiveness_report(
    settings: Settings | None = None, freq: str = "M", as_of: str | None = None
) -> dict:
    """Inspection and hit rates, duty recovered and calibration per window, to MLflow."""
    settings = _settings(settings)
    tables = lake_tables(settings)
    features = tables["features"]
    as_of_ts = pd.Timestamp(as_of) if as_of else latest_end(features)
    probabilities, version, model_as_of = None, None, None
    try:
        champion = load_champion(settings)
        version, model = champion.version, champion.model
        inspected = features.merge(
            tables["outcomes"][["declaration_id", "item_no"]], on=["declaration_id", "item_no"]
        )
        probabilities = pd.concat(
            [
                inspected[["declaration_id", "item_no"]].reset_index(drop=True),
                model.probability_table(inspected),
            ],
            axis=1,
        )
        model_as_of = pd.Timestamp(model.metadata["as_of"])
    except LookupError:  # no champion yet: rates and recoveries only
        pass
    windows = effectiveness_windows(
        features, tables["outcomes"], as_of_ts, freq, probabilities, model_as_of
    )
    report = {
        "as_of": str(as_of_ts),
        "freq": freq,
        "model_version": version,
        "model_as_of": str(model_as_of) if model_as_of is not None else None,
        "windows": windows,
    }
    configure(settings, settings.monitoring_experiment)
    with mlflow.start_run(run_name=f"effectiveness {as_of_ts:%Y-%m-%d}") as run:
        mlflow.set_tags({"customs_risk.kind": "effectiveness", "model_name": settings.model_name})
        mlflow.log_params({"as_of": str(as_of_ts), "freq": freq, "model_version": str(version)})
        _log_json("effectiveness/report.json", report)
        frame = pd.DataFrame(
            [{k: v for k, v in w.items() if not isinstance(v, dict)} for w in windows]
        )
        mlflow.log_text(frame.to_csv(index=False), "effectiveness/windows.csv")
    report["mlflow_run_id"] = run.info.run_id
    return report

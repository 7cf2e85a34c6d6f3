"""Re-assessment (Art. 18) as Prefect flows: monitor → (event) → re-evaluate → promote.

Thin orchestration over ``reassessment.monitoring_window``, ``reassessment.promotion`` and
``reassessment.effectiveness``. Every run is recorded in the MLflow monitoring experiment
(``CUSTOMS_RISK_MONITORING_EXPERIMENT``): a ``monitor`` run per window with its HTML
report, a ``reevaluate`` run per decision, a ``rollback`` run, an ``effectiveness`` run.
Window and effectiveness reports are also kept in the lake (``reassessment.history``).

On alert, ``monitor`` emits the Prefect event ``customs-risk.drift.detected``; the
``reevaluate`` deployment (``pipelines.deployments``) is triggered by it on a Prefect
server. With no server configured (the embedded default) ``monitor`` re-evaluates inline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import pandas as pd
from prefect import flow, get_run_logger
from prefect.events import emit_event
from prefect.settings import Settings as PrefectSettings

import mlflow
from config.settings import Settings, get_settings
from models.bundle import RiskModel
from models.metrics import format_metric
from models.registry import (
    CHAMPION,
    RegisteredRiskModel,
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
from reassessment.compliance import compliance_estimates, matured_inspections
from reassessment.effectiveness import effectiveness as effectiveness_windows
from reassessment.history import save_effectiveness_report, save_window_report
from reassessment.monitoring_window import WindowReport, monitor_window
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
    return "event" if PrefectSettings().api.url else "inline"


def emit_drift_event(report: dict, settings: Settings) -> str | None:
    """Emit ``customs-risk.drift.detected`` with the window, signals and model version."""
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


@dataclass(frozen=True)
class MonitoredModel:
    """The champion a window was measured against."""

    name: str
    version: str
    as_of: pd.Timestamp  # its training date: the reference period ends there

    def to_dict(self) -> dict:
        return {"name": self.name, "version": self.version, "as_of": str(self.as_of)}


@dataclass(frozen=True)
class Reevaluation:
    """One re-evaluation: the evaluation window, the challenger (if one was trained), the
    gate's verdict, and the champion before and after."""

    as_of: pd.Timestamp  # data cut-off
    signals: list[str]  # the alert signals that triggered it (none: on demand)
    window: promotion.EvaluationWindow
    outcome: str  # promoted challenger | kept champion | skipped: …
    reasons: list[str]  # every gate check, or why nothing was trained
    champion_version_before: str
    champion_version_after: str | None
    challenger_version: str | None = None  # None: skipped, nothing trained
    gate: promotion.GateDecision | None = None  # None: skipped
    mlflow_run_id: str | None = None  # set once the decision is recorded

    @property
    def evaluated_on(self) -> str:
        return f"{self.window.start} → {self.window.end}"

    @property
    def promoted(self) -> bool:
        return self.gate is not None and self.gate.promote

    @property
    def champion_score(self) -> float | None:
        return self.gate.champion_score if self.gate is not None else None

    @property
    def challenger_score(self) -> float | None:
        return self.gate.challenger_score if self.gate is not None else None

    @property
    def summary(self) -> str:
        return (
            f"{self.outcome}: champion {self.champion_version_before} → "
            f"{self.champion_version_after}; {promotion.GATE_METRIC} champion "
            f"{format_metric(self.champion_score, 4)} vs challenger "
            f"{format_metric(self.challenger_score, 4)} on {self.evaluated_on}"
        )

    def logged_decision(self) -> dict:
        """What ``reevaluation/decision.json`` holds."""
        decision = {
            "triggered": True,
            "as_of": str(self.as_of),
            "signals": self.signals,
            "metric": promotion.GATE_METRIC,
            "evaluated_on": self.evaluated_on,
            "champion_version_before": self.champion_version_before,
            "champion_version_after": self.champion_version_after,
            "challenger_version": self.challenger_version,
            "champion_score": self.champion_score,
            "challenger_score": self.challenger_score,
            "promoted": self.promoted,
            "reasons": self.reasons,
        }
        if self.gate is not None:  # the side-by-side comparison, when there was one
            decision["per_category"] = self.gate.per_category
            decision["gated_categories"] = self.gate.categories
        return {**decision, "outcome": self.outcome, "summary": self.summary}

    def to_dict(self) -> dict:
        return {**self.logged_decision(), "mlflow_run_id": self.mlflow_run_id}


@dataclass(frozen=True)
class MonitoringRun:
    """One ``monitor`` run: the window's report against the champion, the drift episode,
    and what an alert set off (the event, an inline re-evaluation)."""

    report: WindowReport
    model: MonitoredModel
    drift_since: str | None  # start of the episode of alerting windows; None: no alert
    mlflow_run_id: str | None = None  # set once recorded
    event_id: str | None = None
    reevaluation: Reevaluation | None = None

    @property
    def alert(self) -> bool:
        return self.report.assessment.alert

    @property
    def alert_signals(self) -> list[str]:
        return self.report.assessment.alert_signals

    @property
    def status(self) -> str:
        return self.report.assessment.status

    def logged_report(self) -> dict:
        """What ``drift/report.json`` holds and ``drift/report.html`` shows."""
        return {
            **self.report.to_dict(),
            "model": self.model.to_dict(),
            "drift_since": self.drift_since,
        }

    def to_dict(self) -> dict:
        return {
            **self.logged_report(),
            "mlflow_run_id": self.mlflow_run_id,
            "event_id": self.event_id,
            "reevaluation": self.reevaluation.to_dict() if self.reevaluation else None,
        }


@flow(name="monitor")
def monitor(
    settings: Settings | None = None,
    window_end: str | None = None,
    window_days: int | None = None,
    reevaluation: str | None = None,
) -> MonitoringRun:
    """Drift of the latest window (or the one ending at ``window_end``) against the
    champion's reference period; on alert, emit the event and maybe re-evaluate inline.

    ``reevaluation``: ``inline``, ``event`` or ``none``; default from settings.
    """
    settings = _settings(settings)
    logger = get_run_logger()
    # First: without a champion there is nothing to measure against, and nothing is recorded.
    champion = load_champion(settings)
    tables = lake_tables(settings)
    end = pd.Timestamp(window_end) if window_end else latest_end(tables["features"])
    start = end - pd.Timedelta(days=window_days or settings.monitor_window_days)
    run = measure_window(settings, champion, tables, (start, end))
    run = replace(run, mlflow_run_id=record_monitoring(settings, run))
    save_window_report(settings.data_dir, run.to_dict())
    logger.info("window %s → %s: %s %s", start, end, run.status, run.alert_signals or "")
    if run.alert:
        run = follow_alert(settings, run, reevaluation or reevaluation_mode(settings))
        save_window_report(settings.data_dir, run.to_dict())  # now with its re-evaluation
    return run


def measure_window(
    settings: Settings,
    champion: RegisteredRiskModel,
    tables: dict[str, pd.DataFrame],
    window: tuple[pd.Timestamp, pd.Timestamp],
) -> MonitoringRun:
    """The window's report against the champion's reference period, not yet recorded."""
    start, end = window
    as_of = pd.Timestamp(champion.model.metadata["as_of"])
    reference = (as_of - pd.Timedelta(days=settings.monitor_reference_days), as_of)
    known = tables["outcomes"][tables["outcomes"]["inspected_at"] < end]
    report = monitor_window(
        champion.model,
        tables["features"],
        tables["declarations"],
        known,
        window,
        reference,
        Thresholds.for_settings(settings),
        settings.inspection_capacity,
        DECLARATIONS,
    )
    # A drift episode runs over consecutive alerting windows of the same champion; the
    # re-evaluation compares models on the episode, not only on its latest week.
    drift_since = (
        _episode_start(settings, champion.version, start) or str(start)
        if report.assessment.alert
        else None
    )
    model = MonitoredModel(settings.model_name, champion.version, as_of)
    return MonitoringRun(report, model, drift_since)


def record_monitoring(settings: Settings, run: MonitoringRun) -> str:
    """The window as a ``monitor`` run of the monitoring experiment; its run id."""
    report, logged = run.report, run.logged_report()
    configure(settings, settings.monitoring_experiment)
    with mlflow.start_run(run_name=f"monitor {report.window.start:%Y-%m-%d}") as mlflow_run:
        mlflow.set_tags(
            {
                "customs_risk.kind": "monitor",
                "model_name": settings.model_name,
                "model_version": run.model.version,
                "status": run.status,
                "alert": str(run.alert).lower(),
                "alert_signals": ",".join(run.alert_signals)[:500],
            }
        )
        mlflow.log_params(
            {
                "window_start": str(report.window.start),
                "window_end": str(report.window.end),
                "reference_start": str(report.reference.start),
                "reference_end": str(report.reference.end),
                "rows": report.window.rows,
                "drift_since": run.drift_since,
            }
        )
        metrics = {f"score_psi.{s.category}": s.psi for s in report.scores}
        metrics.update({f"outcome_z.{o.category}": o.calibration_z for o in report.outcomes})
        metrics.update(
            {f"precision_matured.{o.category}": o.precision_at_rate for o in report.outcomes}
        )
        metrics["max_input_psi"] = max((f.psi for f in report.inputs), default=0.0)
        metrics["alert_signals"] = len(run.alert_signals)
        mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v == v})
        _log_json("drift/report.json", logged)
        mlflow.log_text(render_html(logged), "drift/report.html")
    return mlflow_run.info.run_id


def follow_alert(settings: Settings, run: MonitoringRun, mode: str) -> MonitoringRun:
    """Emit the drift event; re-evaluate now if ``mode`` is ``inline`` (else the event's
    trigger, if any, does)."""
    event_id = emit_drift_event(run.logged_report(), settings)
    if mode != "inline":
        get_run_logger().info(
            "drift event %s emitted; re-evaluation left to its trigger", DRIFT_EVENT
        )
        return replace(run, event_id=event_id)
    result = reevaluate(
        settings,
        as_of=str(run.report.window.end),
        since=run.drift_since,
        signals=run.alert_signals,
    )
    use_store(settings).set_tag(run.mlflow_run_id, "reevaluation.outcome", result.outcome)
    return replace(run, event_id=event_id, reevaluation=result)


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
) -> Reevaluation:
    """Train a challenger on data up to the latest matured window, compare it with the
    champion on that window, and promote it if it passes the gate.

    ``as_of``: data cut-off (default: the latest data); ``since``: start of the drifted
    window, the earliest evaluation start; ``force`` ignores the cool-down.
    """
    settings = _settings(settings)
    logger = get_run_logger()
    tables = lake_tables(settings)
    as_of_ts = pd.Timestamp(as_of) if as_of else latest_end(tables["features"])
    champion = load_champion(settings)
    champion_as_of = pd.Timestamp(champion.model.metadata["as_of"])
    earliest = max(pd.Timestamp(since), champion_as_of) if since else champion_as_of
    window = promotion.evaluation_window(as_of_ts, settings.reevaluation_window_days, earliest)
    signals = signals or []
    wait = _reason_to_wait(settings, champion.model, tables, window, force)
    if wait is not None:
        outcome, reasons = wait
        result = Reevaluation(
            as_of=as_of_ts,
            signals=signals,
            window=window,
            outcome=outcome,
            reasons=reasons,
            champion_version_before=champion.version,
            champion_version_after=None,  # read back from the registry below
        )
    else:
        result = challenge_champion(settings, champion, tables, window, signals)
    result = replace(result, champion_version_after=resolve_alias(settings, CHAMPION))
    result = replace(result, mlflow_run_id=record_reevaluation(settings, result))
    logger.info("re-evaluation: %s", result.summary)
    return result


def _reason_to_wait(
    settings: Settings,
    champion: RiskModel,
    tables: dict[str, pd.DataFrame],
    window: promotion.EvaluationWindow,
    force: bool,
) -> tuple[str, list[str]] | None:
    """Why no challenger is trained now (cool-down, labels still maturing), or None."""
    as_of = window.end
    last = None if force else _last_kept(settings, as_of)
    known = labelled_rows(_declared_before(tables["features"], as_of), tables["outcomes"], as_of)
    in_window = known[known["declared_at"] >= window.start]
    positives = {c: int(in_window[f"finding_{c}"].sum()) for c in champion.categories}
    return promotion.reason_to_wait(
        as_of,
        last,
        pd.Timedelta(days=settings.reevaluation_cooldown_days),
        positives,
        settings.gate_min_positives,
    )


def _declared_before(features: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    # What the challenger may read: declarations before the cut-off (logged as its input).
    return features[features["declared_at"] < as_of]


def challenge_champion(
    settings: Settings,
    champion: RegisteredRiskModel,
    tables: dict[str, pd.DataFrame],
    window: promotion.EvaluationWindow,
    signals: list[str],
) -> Reevaluation:
    """Train and register a challenger, put both models through the gate on the
    evaluation window, and promote the challenger if it passes."""
    as_of = window.end
    trained = promotion.train_challenger(
        tables["features"],
        tables["outcomes"],
        window,
        TrainingConfig.for_settings(settings),
        settings.reevaluation_holdout_days,
    )
    lineage = {
        "features_path": str(DataLake(settings.data_dir).features),
        "as_of": str(as_of),
        "reason": f"re-evaluation after drift: {', '.join(signals) or 'on demand'}",
    }
    readable = _declared_before(tables["features"], as_of)
    registered = promotion.register(
        trained, settings, lineage=lineage, training_features=readable, gate=False
    )
    gate = promotion.decide(
        champion.model,
        trained.model,
        trained.test_features,
        promotion.GateConfig.for_settings(settings),
    )
    outcome = promotion.PROMOTED_CHALLENGER if gate.promote else "kept champion"
    before = champion.version
    if gate.promote:
        before = promote_version(settings, registered.version)["champion_version_before"]
    result = Reevaluation(
        as_of=as_of,
        signals=signals,
        window=window,
        outcome=outcome,
        reasons=gate.reasons,
        champion_version_before=before,
        champion_version_after=None,  # read back from the registry once settled
        challenger_version=registered.version,
        gate=gate,
    )
    tag_version(
        settings,
        registered.version,
        {
            "reevaluation.outcome": outcome,
            "reevaluation.evaluated_on": result.evaluated_on,
            "reevaluation.reasons": " | ".join(gate.reasons),
        },
    )
    return result


def record_reevaluation(settings: Settings, result: Reevaluation) -> str:
    """The decision as a ``reevaluation`` run of the monitoring experiment; its run id."""
    configure(settings, settings.monitoring_experiment)
    with mlflow.start_run(run_name=f"reevaluate {result.as_of:%Y-%m-%d}") as run:
        mlflow.set_tags(
            {
                "customs_risk.kind": "reevaluation",
                "model_name": settings.model_name,
                "outcome": result.outcome,
                "promoted": str(result.promoted).lower(),
                "champion_version_before": result.champion_version_before,
                "champion_version_after": str(result.champion_version_after),
                "challenger_version": str(result.challenger_version),
            }
        )
        mlflow.log_params(
            {
                "as_of": str(result.as_of),
                "evaluation_start": str(result.window.start),
                "evaluation_end": str(result.window.end),
                "signals": ",".join(result.signals)[:500],
            }
        )
        scores = {"champion_score": result.champion_score}
        scores["challenger_score"] = result.challenger_score
        mlflow.log_metrics({k: float(v) for k, v in scores.items() if v is not None and v == v})
        _log_json("reevaluation/decision.json", result.logged_decision())
    return run.info.run_id


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
    matured = matured_inspections(features, tables["outcomes"], as_of_ts)
    report = {
        "as_of": str(as_of_ts),
        "freq": freq,
        "model_version": version,
        "model_as_of": str(model_as_of) if model_as_of is not None else None,
        "windows": windows,
        "compliance": [e.to_dict() for e in compliance_estimates(matured)],
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
    save_effectiveness_report(settings.data_dir, report)
    return report

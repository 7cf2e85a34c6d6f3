"""The drift scenario: generated data with the shift switch, replayed week by week.

1. Generate (``sources.generator`` with ``shift_date``), validate, build features — the
   normal cycle, into the scenario's own lake.
2. Train and register a champion as of ``stable_weeks`` before the shift (the registered
   model is the scenario's own and is reset first).
3. Replay weekly windows through the ``monitor`` flow, as a daily/weekly schedule would:
   each window sees only declarations up to its end and outcomes known by then. On an
   alert the flow re-evaluates inline (train, compare, gate, promote).
4. Report: every window, false alarms before the shift, the first alert after it, and
   the re-evaluation that decided.

Replaying is faithful because features are point in time (a declaration's features use
only what was known before it) and every flow takes its data cut-off as a parameter.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
from mlflow.exceptions import MlflowException
from prefect import flow, get_run_logger

from config.settings import Settings, declared_default
from models.registry import CHAMPION, load_version, resolve_alias, use_store
from models.training import TrainingConfig, labelled_rows, train_risk_model
from pipelines.flows import build_features, ingest_and_validate
from pipelines.monitoring import Reevaluation, lake_tables, monitor
from reassessment.history import clear_monitoring_history
from reassessment.promotion import GATE_METRIC, register
from sources.generator import GeneratorConfig, generate
from sources.lake import DataLake, replace_layer

WEEK = pd.Timedelta(days=7)


@dataclass(frozen=True)
class ScenarioConfig:
    """What to generate and how long to replay."""

    declarations: int = 300_000
    months: int = 12
    start: str = declared_default("start_date")
    shift_date: str = "2025-07-07"  # a Monday: windows are aligned on it
    seed: int = declared_default("seed")
    stable_weeks: int = 6  # windows before the shift; the champion is trained at their start
    max_weeks_after_shift: int = 12
    weeks_after_promotion: int = 6  # windows still replayed once a challenger was promoted

    @classmethod
    def for_settings(cls, settings: Settings, weeks_before_end: int = 13) -> ScenarioConfig:
        """``make run``'s generator settings, shifted ``weeks_before_end`` before the end."""
        start = pd.Timestamp(settings.start_date)
        end = start + pd.DateOffset(months=settings.months)
        shift = (end - pd.Timedelta(weeks=weeks_before_end)).to_period("W-SUN").start_time
        return cls(
            declarations=settings.declarations,
            months=settings.months,
            start=settings.start_date,
            shift_date=str(shift.date()),
            seed=settings.seed,
            weeks_after_promotion=2,
        )

    @property
    def generator(self) -> GeneratorConfig:
        return GeneratorConfig(
            n_declarations=self.declarations,
            months=self.months,
            start=self.start,
            seed=self.seed,
            shift_date=self.shift_date,
        )


def scenario_settings(settings: Settings, root: Path, model_name: str) -> Settings:
    """``settings`` with the lake and served-model copy under ``root`` and its own model."""
    return settings.model_copy(
        update={
            "data_dir": Path(root),
            "model_cache_dir": Path(root) / "serving" / "model",
            "model_name": model_name,
            "drift_demo": False,
        }
    )


def _reset_registered_model(settings: Settings) -> None:
    # The scenario owns its registered model: versions and aliases start afresh each run.
    client = use_store(settings)
    with contextlib.suppress(MlflowException):
        client.delete_registered_model(settings.model_name)


@flow(name="drift-scenario")
def drift_scenario(
    settings: Settings, config: ScenarioConfig | None = None, out: str | None = None
) -> dict:
    """Run the scenario end to end; write the JSON report to ``out`` if given."""

    config = config or ScenarioConfig()
    logger = get_run_logger()
    started = time.perf_counter()
    tables = prepare_lake(settings, config)
    shift = pd.Timestamp(config.shift_date)
    first = shift - config.stable_weeks * WEEK
    champion = train_first_champion(settings, config, tables, first)
    logger.info("champion: version %s trained as of %s", champion, first)
    prepared = time.perf_counter() - started

    windows, reevaluations = replay_windows(settings, config, tables["features"], first)
    report = scenario_report(settings, config, tables, windows, reevaluations, champion)
    report["seconds"] = {"prepare": prepared, "total": time.perf_counter() - started}
    if out:
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(report, indent=1, default=str))
    logger.info(
        "scenario: %d stable windows, %d false alarms, first alert after shift %s; %s",
        report["stable_windows"],
        report["false_alarms"],
        report["first_alert_after_shift"],
        report["reevaluation"].get("summary"),
    )
    return report


def prepare_lake(settings: Settings, config: ScenarioConfig) -> dict[str, pd.DataFrame]:
    """Generate with the shift switch, validate and build features (the normal cycle) in
    the scenario's lake; its tables."""
    lake = DataLake(settings.data_dir)
    replace_layer(generate(config.generator).frames(), lake.raw)
    ingest_and_validate(settings)
    build_features(settings)
    return lake_tables(settings)


def train_first_champion(
    settings: Settings,
    config: ScenarioConfig,
    tables: dict[str, pd.DataFrame],
    as_of: pd.Timestamp,
) -> str:
    """Train and register the scenario's first champion as of ``as_of``; its version."""
    features = tables["features"]
    _reset_registered_model(settings)
    clear_monitoring_history(settings.data_dir)  # the reports of the previous run's model
    trained = train_risk_model(
        features[features["declared_at"] < as_of],
        tables["outcomes"],
        as_of,
        TrainingConfig.for_settings(settings),
    )
    lineage = {"scenario": json.dumps(asdict(config)), "as_of": str(as_of)}
    return register(trained, settings, lineage=lineage).version


def replay_windows(
    settings: Settings, config: ScenarioConfig, features: pd.DataFrame, first: pd.Timestamp
) -> tuple[list[dict], list[Reevaluation]]:
    """Weekly windows from ``first`` through the ``monitor`` flow, re-evaluating inline;
    each window's row of the report, and every re-evaluation."""
    shift = pd.Timestamp(config.shift_date)
    data_end = features["declared_at"].max()
    windows, reevaluations = [], []
    promoted_at = None
    start = first
    while start + WEEK <= data_end:
        weeks_after = (start - shift) // WEEK
        if weeks_after >= config.max_weeks_after_shift:
            break
        if promoted_at is not None and len(windows) - promoted_at >= config.weeks_after_promotion:
            break
        run = monitor(settings, window_end=str(start + WEEK), reevaluation="inline")
        reevaluation = run.reevaluation
        windows.append(
            {
                "start": str(start),
                "end": str(start + WEEK),
                "after_shift": bool(start >= shift),
                "alert": bool(run.alert),
                "status": run.status,
                "signals": run.alert_signals,
                "champion_version": run.model.version,
                "reevaluation": reevaluation.outcome if reevaluation else None,
            }
        )
        if reevaluation:
            reevaluations.append(reevaluation)
            if reevaluation.promoted and promoted_at is None:
                promoted_at = len(windows)
        start += WEEK
    return windows, reevaluations


def scenario_report(
    settings: Settings,
    config: ScenarioConfig,
    tables: dict[str, pd.DataFrame],
    windows: list[dict],
    reevaluations: list[Reevaluation],
    first_champion: str,
) -> dict:
    """False alarms before the shift, the first alert after it, the decisive
    re-evaluation, the shifted segment and the registry (timings are added by the flow)."""
    shift = pd.Timestamp(config.shift_date)
    before = [w for w in windows if not w["after_shift"]]
    after = [w for w in windows if w["after_shift"]]
    decisive = next((r for r in reevaluations if r.promoted), None)
    decisive = decisive or next((r for r in reversed(reevaluations) if r.challenger_version), None)
    return {
        "shift_date": config.shift_date,
        "windows": windows,
        "stable_windows": len(before),
        "false_alarms": sum(w["alert"] for w in before),
        "first_alert_after_shift": next((i for i, w in enumerate(after) if w["alert"]), None),
        "reevaluation": _reevaluation_summary(decisive, reevaluations),
        "reevaluations": [_attempt(r) for r in reevaluations],
        "shifted_segment": shifted_segment(
            settings,
            tables,
            shift,
            pd.Timestamp(windows[-1]["end"]) if windows else shift,
            {
                "first_champion": first_champion,
                "final_champion": resolve_alias(settings, CHAMPION),
            },
        ),
        "registry": {
            "model_name": settings.model_name,
            "champion": resolve_alias(settings, CHAMPION),
            "tracking_uri": settings.resolved_tracking_uri,
        },
        "config": asdict(config),
    }


def shifted_segment(
    settings: Settings,
    tables: dict[str, pd.DataFrame],
    shift: pd.Timestamp,
    end: pd.Timestamp,
    versions: dict[str, str | None],
) -> dict:
    """Diagnostic the monitoring itself cannot compute: on the generator's new route (new
    consignees with USCC prefix ``93``, ``docs/synthetic-data.md``), the finding rate
    observed after the shift against each model's mean calibrated probability.

    A promoted challenger can be better overall and still under-predict the new route
    while it has few of its labels to learn from; this shows by how much.
    """
    keys = ["declaration_id", "item_no"]
    declarations = tables["declarations"]
    new_route = declarations[
        declarations["consignee_id"].str.startswith("93") & (declarations["declared_at"] >= shift)
    ][keys]
    features = tables["features"]
    period = features[(features["declared_at"] >= shift) & (features["declared_at"] < end)]
    labelled = labelled_rows(period, tables["outcomes"], end).merge(new_route, on=keys)
    out = {"labelled_items": len(labelled), "from": str(shift), "to": str(end), "categories": {}}
    if labelled.empty:
        return out
    models = {name: load_version(settings, v) for name, v in versions.items() if v}
    for category in ("revenue", "ipr"):
        entry = {"observed_rate": float(labelled[f"finding_{category}"].mean())}
        for name, model in models.items():
            if category in model.categories:
                probability = model.categories[category].probability(model.spec.encode(labelled))
                entry[f"{name}_mean_probability"] = float(probability.mean())
        out["categories"][category] = entry
    return out


def _attempt(result: Reevaluation) -> dict:
    decision = result.logged_decision()
    keys = (
        "as_of",
        "outcome",
        "evaluated_on",
        "champion_score",
        "challenger_score",
        "promoted",
        "champion_version_before",
        "champion_version_after",
        "challenger_version",
    )
    return {k: decision[k] for k in keys}


def _reevaluation_summary(decisive: Reevaluation | None, attempts: list[Reevaluation]) -> dict:
    if decisive is None:
        return {
            "triggered": bool(attempts),
            "metric": GATE_METRIC,
            "evaluated_on": None,
            "champion_score": None,
            "challenger_score": None,
            "promoted": False,
            "champion_version_before": attempts[0].champion_version_before if attempts else None,
            "champion_version_after": attempts[-1].champion_version_after if attempts else None,
            "summary": "no challenger was trained",
        }
    decision = decisive.logged_decision()
    return {
        "triggered": True,
        **_attempt(decisive),
        "metric": decision["metric"],
        "gated_categories": decision.get("gated_categories"),
        "reasons": decision.get("reasons"),
        "per_category": decision.get("per_category"),
        "summary": decision["summary"],
    }

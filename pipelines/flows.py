"""Prefect flows of the risk-management cycle, thin over the pure functions.

collect (generate / ingest + validate) → assess (features → train → register) →
dispose (batch score). Each flow reads and writes the Parquet lake
(``sources.lake``); ``pipelines.cycle.risk_cycle`` runs them in order, as ``make run`` does.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pandas as pd
from prefect import flow, get_run_logger, task

from config.settings import Settings, get_settings
from disposal.capacity import capacity_report, random_selection_report
from disposal.decisions import DisposalRules, decide
from disposal.disposition import dispose_frame, items_of
from features.compute import build_entity_state, feature_frame
from features.state import EntityState
from ledger.actors import Actor
from ledger.entries import ledger_entry
from ledger.store import Ledger
from models.bundle import RiskModel
from models.registry import load_champion
from models.scoring import Scorer
from models.training import TrainingConfig, train_risk_model
from reassessment.promotion import register
from sources.generator import GeneratorConfig, generate
from sources.lake import DataLake, replace_directory, replace_layer, write_parquet
from sources.validation import require_valid, validate_sources


def _settings(settings: Settings | None) -> Settings:
    return settings or get_settings()


@task(name="generate-synthetic-sources")
def generate_sources(config: GeneratorConfig, lake: DataLake) -> dict[str, str]:
    """Generate synthetic Chinese customs activity into the raw layer."""
    data = generate(config)
    paths = replace_layer(data.frames(), lake.raw)
    return {name: str(path) for name, path in paths.items()}


@flow(name="ingest-and-validate")
def ingest_and_validate(settings: Settings | None = None) -> dict:
    """Validate every raw batch; publish the validated layer only if all pass.

    A failing expectation raises ``DataValidationError`` listing what failed; the
    validated layer (and everything downstream) is left as it was.
    """
    settings = _settings(settings)
    lake = DataLake(settings.data_dir)
    logger = get_run_logger()
    frames = lake.with_incoming(lake.read_sources(lake.raw))
    reports = validate_sources(frames)
    for report in reports.values():
        logger.info(report.render())
    require_valid(reports)
    replace_layer(frames, lake.validated)
    return {name: report.to_dict() for name, report in reports.items()}


@flow(name="build-features")
def build_features(settings: Settings | None = None) -> dict:
    """Point-in-time features of every declaration, and the online entity state."""
    settings = _settings(settings)
    lake = DataLake(settings.data_dir)
    sources = lake.read_sources(lake.validated)
    state = build_entity_state(
        sources["declarations"],
        sources["credit_history"],
        sources["monitoring"],
        sources["inspection_outcomes"],
    )
    features = feature_frame(sources["declarations"], state)
    _publish_features_and_state(features, state, lake)
    get_run_logger().info("features: %d rows × %d columns", *features.shape)
    return {
        "rows": len(features),
        "state_built_through": state.built_through,
        "features_path": str(lake.features),
        "state_path": str(lake.state),
    }


def _publish_features_and_state(features: pd.DataFrame, state: EntityState, lake: DataLake) -> None:
    """Stage the feature table and the entity state, then rename both into place.

    Scoring reads the state and training the table: a table published without its state
    would pair features built through one day with history built through another.
    """
    staged_features = lake.features.with_name(f".{lake.features.name}.staging")
    staged_state = lake.state.with_name(".state.staging")
    shutil.rmtree(staged_state, ignore_errors=True)  # left by a run that failed
    try:
        write_parquet(features, staged_features)
        state.save(staged_state)
    except BaseException:
        staged_features.unlink(missing_ok=True)
        shutil.rmtree(staged_state, ignore_errors=True)
        raise
    replace_directory(staged_state, lake.state)
    staged_features.replace(lake.features)


@flow(name="train-and-register")
def train_and_register(settings: Settings | None = None, validation: dict | None = None) -> dict:
    """Train calibrated per-category models, log them to MLflow, apply the champion gate."""
    settings = _settings(settings)
    lake = DataLake(settings.data_dir)
    features = pd.read_parquet(lake.features)
    outcomes = pd.read_parquet(lake.source_path(lake.validated, "inspection_outcomes"))
    as_of = features["declared_at"].max()
    result = train_risk_model(
        features,
        outcomes,
        as_of,
        TrainingConfig.for_settings(settings),
    )
    lineage = {
        "features_path": str(lake.features),
        "validated_layer": str(lake.validated),
        "declarations_rows": len(features),
        "as_of": str(as_of),
    }
    registered = register(result, settings, validation, lineage, features)
    get_run_logger().info(
        "registered version %s: %s", registered.version, registered.decision["outcome"]
    )
    return {
        "run_id": registered.run_id,
        "version": registered.version,
        "promoted": registered.promoted,
        "decision": registered.decision,
        "report": result.report,
    }


@flow(name="batch-score")
def batch_score(settings: Settings | None = None, month: str | None = None) -> dict:
    """Score the declarations of one month (default: the latest) with the champion, and
    dispose of them as the API would (policy, published instructions, random selection)."""
    settings = _settings(settings)
    lake = DataLake(settings.data_dir)
    declarations = pd.read_parquet(lake.source_path(lake.validated, "declarations"))
    periods = declarations["declared_at"].dt.to_period("M")
    month = month or str(periods.max())
    selected = declarations[periods.astype(str) == month]
    champion = load_champion(settings, refresh_local=True)
    version = champion.version
    scorer = Scorer(champion.model, EntityState.load(lake.state), version, settings.top_reasons)
    scores = scorer.score_frame(selected)
    path = write_parquet(scores, lake.scores / f"{month}.parquet")
    level_counts = scores["overall_level"].value_counts().sort_index()
    disposal = dispose_month(settings, champion.model, version, scores, lake, month)
    recorded = record_latest_decisions(settings, scorer, champion.model, version, selected)
    return {
        "month": month,
        "rows": len(scores),
        "path": str(path),
        "model_version": version,
        "overall_levels": {int(k): int(v) for k, v in level_counts.items()},
        "disposal": disposal,
        "recorded_decisions": recorded,
    }


# The batch's decisions are recorded as a clearance system's would be.
BATCH_CALLER = Actor("batch-clearance", "clearance_system")


@task(name="record-latest-decisions")
def record_latest_decisions(
    settings: Settings, scorer: Scorer, model: RiskModel, version: str, month: pd.DataFrame
) -> int:
    """The month's last days decided declaration by declaration, with reasons, and recorded
    in the ledger as the API records them: what a port's reviewers find in their queue.
    Once a day: a rerun the same day replays the recorded decisions (idempotency keys)."""
    latest = month["declared_at"].max()
    days = month[month["declared_at"] > latest - pd.Timedelta(days=settings.batch_record_days)]
    days = days.assign(declared_at=days["declared_at"].dt.tz_localize("UTC"))  # lake times are UTC
    declarations = days.astype(object).where(days.notna(), None).to_dict("records")
    rules = DisposalRules.for_model(settings, model, version)
    ledger = Ledger.open(settings.resolved_database_url)
    try:
        now = datetime.now(UTC)
        decided = decide(scorer, declarations, rules, ledger.published_instructions(), now)
        by_declaration: dict[str, list[dict]] = {}
        for declaration in declarations:
            by_declaration.setdefault(declaration["declaration_id"], []).append(declaration)
        for decision in decided:
            key = f"batch:{now.date()}:{decision.declaration_id}"
            inputs = by_declaration[decision.declaration_id]
            entry = ledger_entry(
                decision, decision.model_dump(mode="json"), inputs, BATCH_CALLER, key
            )
            ledger.decisions.record(entry)
    finally:
        ledger.close()
    return len(decided)


@task(name="dispose-month")
def dispose_month(
    settings: Settings,
    model: RiskModel,
    version: str,
    scores: pd.DataFrame,
    lake: DataLake,
    month: str,
) -> dict:
    """The month's dispositions (one row per goods item), with measure shares against the
    capacity targets and the random-selection share per credit level against the policy."""
    rules = DisposalRules.for_model(settings, model, version)
    ledger = Ledger.open(settings.resolved_database_url)
    try:
        instructions = ledger.published_instructions()
    finally:
        ledger.close()
    disposed = dispose_frame(
        scores,
        instructions=instructions,
        policy=rules.policy,
        thresholds=rules.thresholds,
        catalogue=rules.catalogue,
        selection_key=rules.selection_key,
    )
    folder = lake.root / "dispositions"
    path = write_parquet(items_of(disposed), folder / f"{month}.parquet")
    capacity = capacity_report(disposed, rules.policy, rules.catalogue, rules.thresholds)
    by_kind = capacity.groupby("kind")[["target_share", "share", "model_share"]].mean()
    random_selection = random_selection_report(disposed, rules.policy)
    return {
        "path": str(path),
        "policy_version": rules.policy.version,
        "thresholds_version": rules.thresholds.version,
        "measure_shares": by_kind.reset_index().to_dict("records"),
        "random_selection": random_selection.to_dict("records"),
        "inactive_rules": {r.rule: r.note for r in rules.thresholds.rules if not r.active},
    }

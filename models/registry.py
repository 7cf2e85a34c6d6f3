"""MLflow: tracking a training run, registering ``customs-risk``, moving ``champion``.

The registered model is a pyfunc whose artifact is the :class:`RiskModel` bundle: every
category's booster, calibrator and level cut-offs, and the feature spec. The API does
not call ``pyfunc.predict``; it loads the bundle files the pyfunc carries.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib import metadata as package_metadata
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature
from mlflow.tracking import MlflowClient

import mlflow
from customs_risk.settings import PROJECT_ROOT, Settings
from features.definitions import FEATURE_NAMES, FEATURES
from models import promotion
from models.bundle import RiskModel
from models.card import model_card
from models.explain import reliability_figure, shap_summary_figure
from models.metrics import flatten
from models.training import MIN_EVAL_POSITIVES, TrainingResult
from sources.lake import replace_directory

Loaded = TypeVar("Loaded")
CHAMPION, CHALLENGER, PREVIOUS = "champion", "challenger", "previous"
_RUNTIME_PACKAGES = ("lightgbm", "scikit-learn", "numpy", "pandas", "scipy", "mlflow")
_LOCAL_COPY_LOCK = threading.Lock()  # see refresh_local_copy


def use_store(settings: Settings) -> MlflowClient:
    """Point MLflow (tracking and registry) at the configured store; a client for it."""
    uri = settings.resolved_tracking_uri
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def configure(settings: Settings, experiment: str | None = None) -> str:
    """Point MLflow at the configured store and ensure the experiment exists; return its id."""
    client = use_store(settings)
    name = experiment or settings.experiment
    found = client.get_experiment_by_name(name)
    if found is not None:
        experiment_id = found.experiment_id
    else:
        experiment_id = client.create_experiment(
            name, artifact_location=f"{settings.artifact_location}/{name}"
        )
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


@dataclass(frozen=True)
class RegisteredModel:
    run_id: str
    version: str
    promoted: bool
    decision: dict


def _pip_requirements() -> list[str]:
    return [f"{p}=={package_metadata.version(p)}" for p in _RUNTIME_PACKAGES]


def _input_example(test_features: pd.DataFrame) -> pd.DataFrame:
    example = test_features[list(FEATURE_NAMES)].head(5).copy()
    for feature in FEATURES:
        if feature.kind == "categorical":
            example[feature.name] = example[feature.name].astype(str)
    return example.reset_index(drop=True)


def log_and_register(
    result: TrainingResult,
    settings: Settings,
    validation: dict | None = None,
    lineage: dict | None = None,
    training_features: pd.DataFrame | None = None,
    gate: bool = True,
) -> RegisteredModel:
    """Log a training run with its evidence, register the model, and apply the champion gate.

    ``gate=False`` registers the version as ``challenger`` only: the caller decides
    (re-evaluation applies the same gate, ``models.promotion.decide``, on its own window).
    ``training_features`` is logged as the run's training dataset (MLflow lineage).
    """
    configure(settings)
    model = result.model
    with mlflow.start_run(run_name="train-risk-model") as run:
        mlflow.log_params(
            {
                "as_of": model.metadata["as_of"],
                "seed": model.metadata["seed"],
                "feature_fingerprint": model.metadata["feature_fingerprint"],
                "features": len(model.spec.names),
                "categories_scored": ",".join(model.categories) or "none",
                "categories_not_scored": ",".join(model.not_scored) or "none",
                **{f"rows_{k}": v for k, v in model.metadata["rows"].items()},
                **{
                    f"feature_view_{c}": m.metrics.get("feature_view")
                    for c, m in model.categories.items()
                },
            }
        )
        for category, entry in result.report.items():
            if entry.get("status") == "scored":
                metrics = flatten(entry, category)
                mlflow.log_metrics({k: v for k, v in metrics.items() if np.isfinite(v)})
        mlflow.log_dict(result.report, "evaluation/test_window_report.json")
        mlflow.log_dict(result.calibration_choice, "evaluation/calibration_choice.json")
        mlflow.log_dict([f.__dict__ for f in FEATURES], "features/feature_catalogue.json")
        if validation:
            mlflow.log_dict(validation, "data_validation/reports.json")
            mlflow.log_metric(
                "data_validation.failed_sources",
                sum(1 for r in validation.values() if not r.get("success", False)),
            )
        if lineage:
            mlflow.log_dict(lineage, "lineage/datasets.json")
            mlflow.set_tags({f"lineage.{k}": str(v)[:500] for k, v in lineage.items()})
        if training_features is not None:
            with warnings.catch_warnings():
                # MLflow registers two local-file dataset sources and says so; either is right
                warnings.filterwarnings("ignore", message="The specified dataset source")
                warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
                dataset = mlflow.data.from_pandas(
                    training_features,
                    source=str(lineage.get("features_path", "features")) if lineage else "features",
                    name="declaration_features",
                )
                mlflow.log_input(dataset, context="training")
        _log_figures(result)
        card = model_card(result)
        mlflow.log_text(card, "model_card.md")

        with tempfile.TemporaryDirectory() as tmp:
            bundle = model.save(Path(tmp) / "risk_model")
            (bundle / "model_card.md").write_text(card)
            example = _input_example(result.test_features)
            signature = infer_signature(example, model.probability_table(example))
            info = mlflow.pyfunc.log_model(
                name="model",
                python_model=str(PROJECT_ROOT / "models" / "pyfunc_model.py"),
                artifacts={"risk_model": str(bundle)},
                code_paths=[str(PROJECT_ROOT / p) for p in ("features", "models", "sources")],
                signature=signature,
                input_example=example,
                pip_requirements=_pip_requirements(),
                registered_model_name=settings.model_name,
            )
        version = str(info.registered_model_version)
        if gate:
            decision = promote_if_better(settings, version, model, result.test_features)
        else:
            set_alias(settings, CHALLENGER, version)
            decision = {
                "candidate_version": version,
                "promoted": False,
                "outcome": "registered as challenger (decided by re-evaluation)",
                "champion_version_after": resolve_alias(settings, CHAMPION),
            }
        mlflow.log_dict(decision, "registry/champion_decision.json")
        mlflow.set_tag("registry.decision", decision["outcome"])
    return RegisteredModel(run.info.run_id, version, decision["promoted"], decision)


def _log_figures(result: TrainingResult) -> None:
    test = result.test_features
    sample = test.sample(min(len(test), 1500), random_state=0)
    for category, model in result.model.categories.items():
        matrix = result.model.spec.encode(test)
        probability = model.probability(matrix)
        y = test[f"finding_{category}"].to_numpy(dtype=int)
        figure = reliability_figure(y, probability, f"{category}: reliability on test window")
        mlflow.log_figure(figure, f"plots/reliability_{category}.png")
        figure.clf()
        figure = shap_summary_figure(
            model.booster,
            result.model.spec.encode(sample),
            result.model.spec,
            f"{category}: global SHAP summary (log-odds)",
        )
        mlflow.log_figure(figure, f"plots/shap_summary_{category}.png")
        figure.clf()
    import matplotlib.pyplot as plt

    plt.close("all")


# What the stores answer for a registered model or an alias that does not exist. Any other
# error (an unreachable tracking server answers INTERNAL_ERROR) must not read as "no alias":
# the API would then hide a registry outage, and the gate would take a first version.
_NOT_FOUND = ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE")


def _alias_version(client: MlflowClient, name: str, alias: str) -> str | None:
    try:
        return str(client.get_model_version_by_alias(name, alias).version)
    except MlflowException as error:
        if error.error_code in _NOT_FOUND:
            return None
        raise


def promote_if_better(
    settings: Settings, version: str, candidate: RiskModel, test_features: pd.DataFrame
) -> dict:
    """Move ``champion`` to ``version`` if it passes the promotion gate on its test window.

    The first version becomes champion. Otherwise the gate of re-evaluation decides
    (:func:`models.promotion.decide`, settings ``CUSTOMS_RISK_GATE_*`` but the evidence bar):
    the candidate must score every category the champion scores, beat it on mean AUC-PR
    over the categories both score, and be significantly worse on none. A refused
    candidate gets ``challenger``; a promotion moves the aliases as :func:`promote` does.
    """
    current = resolve_alias(settings, CHAMPION)
    decision = {
        "candidate_version": version,
        "champion_version_before": current,
        "evaluated_on": candidate.metadata["windows"]["test"],
    }
    if current is None:
        set_alias(settings, CHAMPION, version)
        return {
            **decision,
            "candidate_score": None,
            "champion_score": None,
            "promoted": True,
            "outcome": "first version: champion",
            "champion_version_after": version,
        }
    champion = load_version(settings, current)
    # Every category the candidate scores has MIN_EVAL_POSITIVES positives in its test window
    # (training's bar for an honest evaluation); GATE_MIN_POSITIVES is re-evaluation's bar
    # for a window whose labels may still be maturing.
    config = replace(promotion.GateConfig.for_settings(settings), min_positives=MIN_EVAL_POSITIVES)
    gate = promotion.decide(champion, candidate, test_features, config)
    if gate.promote:
        promote(settings, version)
    else:
        set_alias(settings, CHALLENGER, version)
    failed = [c["reason"] for c in gate.checks if not c["passed"]]
    return {
        **decision,
        "metric": f"mean {gate.metric} over {', '.join(gate.categories) or 'no category'}",
        "candidate_score": gate.challenger_score,
        "champion_score": gate.champion_score,
        "promoted": gate.promote,
        "outcome": "promoted" if gate.promote else f"kept champion ({'; '.join(failed)})",
        "reasons": gate.reasons,
        "per_category": gate.per_category,
        "champion_version_after": version if gate.promote else current,
    }


def download_bundle(
    settings: Settings, model_uri: str, destination: Path, version: str | None = None
) -> Path:
    """Copy a registered model's bundle to ``destination`` (replacing it atomically).

    ``registry.json`` beside it records where it came from, so the API can start from
    this copy when the tracking store is unreachable.
    """
    use_store(settings)
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent) as tmp:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=model_uri, dst_path=tmp))
        bundle = next(local.rglob("model.json")).parent
        staged = Path(tmp) / "staged"
        shutil.copytree(bundle, staged)
        registry_info = {
            "model_uri": model_uri,
            "model_name": settings.model_name,
            "version": version,
        }
        (staged / "registry.json").write_text(json.dumps(registry_info))
        replace_directory(staged, destination)
    return destination


def refresh_local_copy(settings: Settings, version: str, load: Callable[[Path], Loaded]) -> Loaded:
    """Download ``version`` beside the local copy of the served model, ``load`` it, and only
    then make it the local copy: a bundle that does not load never replaces the copy the
    API can start from. One refresh at a time per process: the API's start-up load and its
    reload poll may overlap while the registry is slow, and they share the staging folder."""
    cache = settings.resolved_model_cache_dir
    staging = cache.with_name(cache.name + ".incoming")
    with _LOCAL_COPY_LOCK:
        shutil.rmtree(staging, ignore_errors=True)
        uri = f"models:/{settings.model_name}/{version}"
        try:
            loaded = load(download_bundle(settings, uri, staging, version))
        except Exception:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        replace_directory(staging, cache)
    return loaded


def load_version(settings: Settings, version: str) -> RiskModel:
    """Load one registered version's bundle (through a temporary copy)."""
    with tempfile.TemporaryDirectory() as tmp:
        uri = f"models:/{settings.model_name}/{version}"
        return RiskModel.load(download_bundle(settings, uri, Path(tmp) / "bundle", version))


def resolve_alias(settings: Settings, alias: str) -> str | None:
    """The version an alias points at, or None."""
    return _alias_version(use_store(settings), settings.model_name, alias)


def set_alias(settings: Settings, alias: str, version: str | None) -> None:
    """Point ``alias`` at ``version``; ``None`` removes the alias."""
    client = use_store(settings)
    if version is None:
        if _alias_version(client, settings.model_name, alias) is not None:
            client.delete_registered_model_alias(settings.model_name, alias)
    else:
        client.set_registered_model_alias(settings.model_name, alias, version)


def promote(settings: Settings, version: str) -> dict:
    """Make ``version`` the champion; the replaced champion becomes ``previous`` and the
    ``challenger`` alias is removed: the promotion settled the comparison, so an earlier
    refused or demoted candidate is no longer the one waiting."""
    before = resolve_alias(settings, CHAMPION)
    if before is not None and before != version:
        set_alias(settings, PREVIOUS, before)
    set_alias(settings, CHAMPION, version)
    set_alias(settings, CHALLENGER, None)
    return {"champion_version_before": before, "champion_version_after": version}


def rollback(settings: Settings) -> dict:
    """Restore ``previous`` as champion; the demoted version is left as ``challenger``.

    Only one step is kept: after a rollback there is no ``previous`` until the next
    promotion, so a second rollback fails instead of flip-flopping.
    """
    previous = resolve_alias(settings, PREVIOUS)
    if previous is None:
        raise LookupError(f"no '{PREVIOUS}' alias on {settings.model_name}: nothing to roll back")
    demoted = resolve_alias(settings, CHAMPION)
    set_alias(settings, CHAMPION, previous)
    set_alias(settings, PREVIOUS, None)
    if demoted is not None and demoted != previous:
        set_alias(settings, CHALLENGER, demoted)
    return {"champion_version_before": demoted, "champion_version_after": previous}


def tag_version(settings: Settings, version: str, tags: dict) -> None:
    """Set tags on a registered model version (e.g. a re-evaluation's decision)."""
    client = use_store(settings)
    for key, value in tags.items():
        client.set_model_version_tag(settings.model_name, version, key, str(value)[:5000])

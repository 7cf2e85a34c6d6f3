"""MLflow tracking of a training run: evidence, figures, model card, registered model.

The registered model is a pyfunc whose artifact is the :class:`RiskModel` bundle: every
category's booster, calibrator and level cut-offs, and the feature spec. The API does
not call ``pyfunc.predict``; it loads the bundle files the pyfunc carries. Figures are
drawn here only (``models.plots``), so the serving path never loads matplotlib.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass
from importlib import metadata as package_metadata
from pathlib import Path

import numpy as np
import pandas as pd
from mlflow.models import infer_signature

import mlflow
from config.settings import PROJECT_ROOT, Settings
from features.definitions import FEATURE_NAMES, FEATURES
from models.card import model_card
from models.metrics import flatten
from models.plots import close_figures, reliability_figure, shap_summary_figure
from models.registry import configure, use_store
from models.training import TrainingResult

_RUNTIME_PACKAGES = ("lightgbm", "scikit-learn", "numpy", "pandas", "scipy", "mlflow")
# The pyfunc carries the code it imports: these packages and nothing above them.
_CODE_PATHS = ("config", "features", "models", "sources")


@dataclass(frozen=True)
class RegisteredVersion:
    """A training run and the model version it registered."""

    run_id: str
    version: str


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
) -> RegisteredVersion:
    """Log a training run with its evidence and register the model (no alias moves here:
    the champion gate, ``reassessment.promotion``, decides and records its decision).

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
        mlflow.log_dict([f.to_dict() for f in FEATURES], "features/feature_catalogue.json")
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
                code_paths=[str(PROJECT_ROOT / p) for p in _CODE_PATHS],
                signature=signature,
                input_example=example,
                pip_requirements=_pip_requirements(),
                registered_model_name=settings.model_name,
            )
    return RegisteredVersion(run.info.run_id, str(info.registered_model_version))


def record_decision(settings: Settings, run_id: str, decision: dict) -> None:
    """Attach the champion decision taken on a registered version to its training run."""
    client = use_store(settings)
    client.log_dict(run_id, decision, "registry/champion_decision.json")
    client.set_tag(run_id, "registry.decision", decision["outcome"])


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
    close_figures()

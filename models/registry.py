"""MLflow model registry: the store, aliases (``champion``, ``challenger``, ``previous``)
and registered bundles downloaded for serving.

Logging a training run and registering its model is ``models.tracking``; the champion gate
that decides where the aliases point is ``reassessment.promotion``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

import mlflow
from config.settings import Settings
from models.bundle import RiskModel
from sources.lake import replace_directory

Loaded = TypeVar("Loaded")
CHAMPION, CHALLENGER, PREVIOUS = "champion", "challenger", "previous"
_LOCAL_COPY_LOCK = threading.Lock()  # see refresh_local_copy
_VERSIONS: dict[tuple[str, str, str], RiskModel] = {}  # see load_version


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


def download_bundle(
    settings: Settings, model_uri: str, destination: Path, version: str | None = None
) -> Path:
    """Copy a registered model's bundle to ``destination`` (replacing it atomically).

    ``registry.json`` beside it records where it came from (and the training run behind
    the version), so the API can start from this copy when the tracking store is
    unreachable, and pages can name the run without asking the store.
    """
    client = use_store(settings)
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
            "run_id": (
                client.get_model_version(settings.model_name, version).run_id if version else None
            ),
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
    """One registered version's bundle, downloaded once per process (versions never change)."""
    key = (settings.resolved_tracking_uri, settings.model_name, version)
    if key not in _VERSIONS:
        with tempfile.TemporaryDirectory() as tmp:
            uri = f"models:/{settings.model_name}/{version}"
            bundle = download_bundle(settings, uri, Path(tmp) / "bundle", version)
            _VERSIONS[key] = RiskModel.load(bundle)
    return _VERSIONS[key]


@dataclass(frozen=True)
class RegisteredRiskModel:
    """A registered version of the risk model, loaded."""

    version: str
    model: RiskModel


def champion_version(settings: Settings) -> str:
    """The version the served alias (``CUSTOMS_RISK_MODEL_ALIAS``) points at."""
    version = resolve_alias(settings, settings.model_alias)
    if version is None:
        alias, name = settings.model_alias, settings.model_name
        raise LookupError(f"no '{alias}' alias on {name}: train first")
    return version


def load_champion(settings: Settings, refresh_local: bool = False) -> RegisteredRiskModel:
    """The champion; ``refresh_local`` also makes it the API's local copy (batch scoring
    does, so the API starts from the model the scores came from)."""
    version = champion_version(settings)
    if refresh_local:
        return RegisteredRiskModel(version, refresh_local_copy(settings, version, RiskModel.load))
    return RegisteredRiskModel(version, load_version(settings, version))


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

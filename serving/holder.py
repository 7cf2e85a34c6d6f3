"""The served model: what is loaded, where from, and the holder requests read it from.

A ``LoadedModel`` is a scorer (risk model + entity state) with the disposal rules derived
for it (capacity thresholds on its reference scores) and its provenance. The holder
swaps it in one reference assignment, so a request always scores with one whole model.
Loading prefers the registry's champion and falls back to the local copy of the last
model served (``CUSTOMS_RISK_MODEL_CACHE_DIR``).
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from config.settings import Settings
from disposal.decisions import DisposalRules
from features.state import EntityState
from models.bundle import RiskModel
from models.registry import champion_version, refresh_local_copy
from models.scoring import Scorer
from sources.lake import DataLake

log = logging.getLogger("customs_risk.serving")


@dataclass(frozen=True)
class LoadedModel:
    """What is being served, and where it came from."""

    scorer: Scorer
    rules: DisposalRules  # catalogue, policy and its thresholds for this model
    source: str  # "registry" or "local copy"
    loaded_at: str
    state_marker: tuple[str, int]  # of the entity state served (EntityState.saved_marker)


class ModelHolder:
    """Holds the served model; swapping it is one reference assignment (atomic)."""

    def __init__(self) -> None:
        self.current: LoadedModel | None = None
        self.last_error: str | None = None
        self.last_error_at: str | None = None
        self._lock = threading.Lock()  # writers only: readers take the reference as is

    def swap(self, loaded: LoadedModel) -> None:
        with self._lock:
            self.current = loaded
            self.clear_error()

    def offer(self, loaded: LoadedModel) -> bool:
        """Serve ``loaded`` only if nothing is served yet: a fallback never replaces a
        champion that arrived meanwhile. The error that made it a fallback stays shown."""
        with self._lock:
            if self.current is not None:
                return False
            self.current = loaded
            return True

    def record_error(self, error: str) -> None:
        """Remember a failed load or reload (shown by /readyz and /v1/model)."""
        self.last_error = error
        self.last_error_at = datetime.now(UTC).isoformat()

    def clear_error(self) -> None:
        self.last_error = self.last_error_at = None


def load_champion(settings: Settings) -> LoadedModel:
    """The champion from the registry (refreshing the local copy once it has loaded)."""
    return load_version_for_serving(settings, champion_version(settings))


def load_local_copy(settings: Settings) -> LoadedModel:
    """The local copy of the last model served (raises if there is none)."""
    cache = settings.resolved_model_cache_dir
    if not (cache / "model.json").exists():
        raise FileNotFoundError(f"no local copy of the model in {cache}")
    return load_bundle(settings, cache, "local copy")


def load_served_model(settings: Settings) -> LoadedModel:
    """Champion from the registry (refreshing the local copy), else the local copy."""
    try:
        return load_champion(settings)
    except Exception as error:  # store down or bundle broken: fall back to the local copy
        try:
            loaded = load_local_copy(settings)
        except FileNotFoundError:
            raise RuntimeError(f"no model: registry failed ({error}) and no local copy") from error
        log.warning("champion not loaded from the registry (%s); serving the local copy", error)
        return loaded


def load_bundle(settings: Settings, bundle: Path, source: str) -> LoadedModel:
    """A servable model from a downloaded bundle folder plus the current entity state."""
    info = json.loads((bundle / "registry.json").read_text())
    model = RiskModel.load(bundle)
    state, marker = load_lake_state(settings)
    version = str(info.get("version"))
    scorer = Scorer(model, state, version, settings.top_reasons)
    rules = DisposalRules.for_model(settings, model, version)
    return LoadedModel(scorer, rules, source, datetime.now(UTC).isoformat(), marker)


def load_lake_state(settings: Settings) -> tuple[EntityState, tuple[str, int]]:
    """The entity state now in the lake, and its marker (``EntityState.saved_marker``)."""
    state_dir = DataLake(settings.data_dir).state
    marker = EntityState.saved_marker(state_dir)  # first: a state saved meanwhile reloads later
    return EntityState.load(state_dir), marker


def load_version_for_serving(settings: Settings, version: str) -> LoadedModel:
    """A fully loaded ``LoadedModel`` of ``version``; it then becomes the local copy
    (``models.registry.refresh_local_copy``: a broken bundle never overwrites it)."""
    return refresh_local_copy(
        settings, version, lambda bundle: load_bundle(settings, bundle, "registry")
    )

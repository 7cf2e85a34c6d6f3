"""Hot reload: the running API follows the champion alias and the lake's entity state.

A daemon thread polls every ``CUSTOMS_RISK_RELOAD_INTERVAL_SECONDS``:

- When the entity state in the lake was saved again (the ``build-features`` flow rebuilds
  it daily), the new state is loaded and served with the same model, so online features
  keep up with batch scoring. Only the state's small ``MANIFEST`` is read to notice it.
- When ``models:/<name>@<alias>`` points at another version, the new bundle is downloaded
  into a staging folder and loaded completely (boosters, calibrators, spec, and a fresh
  entity state); only then does it replace the local copy used at start-up.

Either way the old scorer keeps answering until ``ModelHolder.swap`` replaces the
reference in one assignment. A request holds the scorer it started with, so no request
ever sees half a model, and none fails during the swap. A failed reload is recorded on
the holder (``GET /v1/model`` shows it) and retried at the next poll.
"""

from __future__ import annotations

import dataclasses
import logging
import threading

from config.settings import Settings
from features.state import EntityState
from models.registry import resolve_alias
from serving.holder import LoadedModel, ModelHolder, load_lake_state, load_version_for_serving
from sources.lake import DataLake

log = logging.getLogger("customs_risk.serving.reload")


def with_fresh_state(loaded: LoadedModel, settings: Settings) -> LoadedModel:
    """``loaded``'s model with the entity state now in the lake."""
    state, marker = load_lake_state(settings)
    scorer = dataclasses.replace(loaded.scorer, state=state)
    return dataclasses.replace(loaded, scorer=scorer, state_marker=marker)


def check_once(holder: ModelHolder, settings: Settings) -> list[str]:
    """Swap in a newly saved entity state, then the alias's version if it moved.

    Returns what was swapped in (empty when the served model and state are current).
    """
    current = holder.current
    if current is None:  # nothing served yet: the start-up retry loop owns loading
        return []
    swapped = []
    # The state first: it is local, so it stays fresh while the registry is unreachable.
    if EntityState.saved_marker(DataLake(settings.data_dir).state) != current.state_marker:
        current = with_fresh_state(current, settings)
        holder.swap(current)  # one reference assignment: atomic for readers
        swapped.append(f"entity state built through {current.scorer.state.built_through}")
        log.info("now serving the %s", swapped[-1])
    version = resolve_alias(settings, settings.model_alias)
    if version is not None and version != current.scorer.model_version:
        holder.swap(load_version_for_serving(settings, version))
        swapped.append(f"version {version}")
        log.info("now serving %s version %s", settings.model_name, version)
    return swapped


def reload_once(holder: ModelHolder, settings: Settings) -> list[str]:
    """``check_once``, recording a failure on the holder instead of raising it.

    A check that succeeds clears the recorded failure: what is served is current again.
    """
    try:
        swapped = check_once(holder, settings)
    except Exception as error:  # the registry may be down: keep serving what we have
        holder.record_error(f"reload failed: {error}")
        log.warning("reload failed (%s); still serving the current model and state", error)
        return []
    if holder.current is not None:
        holder.clear_error()
    return swapped


def watch(holder: ModelHolder, settings: Settings, stop: threading.Event) -> None:
    """Poll until ``stop`` is set; errors are recorded and retried at the next poll."""
    interval = settings.reload_interval_seconds
    while not stop.wait(interval):
        reload_once(holder, settings)


def start_watcher(
    holder: ModelHolder, settings: Settings, stop: threading.Event
) -> threading.Thread | None:
    """Start the polling thread (not when the interval is 0)."""
    if settings.reload_interval_seconds <= 0:
        return None
    thread = threading.Thread(
        target=watch, args=(holder, settings, stop), name="model-reload", daemon=True
    )
    thread.start()
    return thread

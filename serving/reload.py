"""Hot reload: the running API follows the champion alias without a restart.

A daemon thread polls ``models:/<name>@<alias>`` every
``CUSTOMS_RISK_RELOAD_INTERVAL_SECONDS``. When the alias points at another version, the
new bundle is downloaded into a staging folder and loaded completely (boosters,
calibrators, spec, and a fresh entity state) while the old model keeps answering; then
``ModelHolder.swap`` replaces the reference in one assignment. A request holds the model
it started with, so no request ever sees half a model, and none fails during the swap.
The local copy used at start-up is replaced only after the swap.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

from customs_risk.settings import Settings
from sources.lake import replace_directory

log = logging.getLogger("customs_risk.serving.reload")


def load_version_for_serving(settings: Settings, version: str, staging: Path):
    """A fully loaded ``LoadedModel`` of ``version``, read from a staging download."""
    from models.registry import download_bundle
    from serving.app import load_bundle

    uri = f"models:/{settings.model_name}/{version}"
    return load_bundle(settings, download_bundle(settings, uri, staging, version), "registry")


def check_once(holder, settings: Settings) -> str | None:
    """Swap in the alias's version if it differs from the served one; the new version or None."""
    from models.registry import resolve_alias

    current = holder.current
    if current is None:  # nothing served yet: the start-up retry loop owns loading
        return None
    version = resolve_alias(settings, settings.model_alias)
    if version is None or version == current.scorer.model_version:
        return None
    cache = settings.resolved_model_cache_dir
    staging = cache.with_name(cache.name + ".incoming")
    shutil.rmtree(staging, ignore_errors=True)
    loaded = load_version_for_serving(settings, version, staging)
    holder.swap(loaded)  # one reference assignment: atomic for readers
    replace_directory(staging, cache)  # the start-up fallback follows what is served
    log.info("now serving %s version %s", settings.model_name, version)
    return version


def watch(holder, settings: Settings, stop: threading.Event) -> None:
    """Poll until ``stop`` is set; errors are logged and retried at the next poll."""
    interval = settings.reload_interval_seconds
    while not stop.wait(interval):
        try:
            check_once(holder, settings)
        except Exception as error:  # the registry may be down: keep serving what we have
            holder.last_error = f"reload failed: {error}"
            log.warning("model reload failed (%s); still serving the current model", error)


def start_watcher(holder, settings: Settings, stop: threading.Event) -> threading.Thread | None:
    """Start the polling thread (not when the interval is 0)."""
    if settings.reload_interval_seconds <= 0:
        return None
    thread = threading.Thread(
        target=watch, args=(holder, settings, stop), name="model-reload", daemon=True
    )
    thread.start()
    return thread

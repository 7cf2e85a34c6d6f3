"""Start-up loading: what to serve, found before traffic without waiting on a slow registry.

The champion is asked from the registry in a thread; start-up waits for it at most
``startup_registry_wait_seconds`` (MLflow retries an unreachable server for minutes),
then serves the local copy and lets the champion replace it when it arrives. With
neither, loading is retried in the background every ``RETRY_SECONDS`` while ``/readyz``
answers 503.
"""

from __future__ import annotations

import logging
import threading

from config.settings import Settings
from serving.holder import ModelHolder, load_champion, load_local_copy, load_served_model

RETRY_SECONDS = 30.0
log = logging.getLogger("customs_risk.serving")


def _load_champion_into(holder: ModelHolder, settings: Settings) -> None:
    try:
        holder.swap(load_champion(settings))
        log.info("champion loaded from the registry")
    except Exception as error:
        holder.record_error(f"champion not loaded from the registry: {error}")
        log.warning("champion not loaded from the registry: %s", error)


def _load_until_ready(
    holder: ModelHolder, settings: Settings, stop: threading.Event, first: threading.Thread
) -> None:
    first.join()  # the first attempt may still succeed: no second download meanwhile
    while not stop.is_set() and holder.current is None:
        try:
            holder.offer(load_served_model(settings))
            log.info("model loaded")
        except Exception as error:
            holder.record_error(str(error))
            log.error("model not loaded: %s; retrying in %.0f s", error, RETRY_SECONDS)
            stop.wait(RETRY_SECONDS)


def _serve_local_copy_meanwhile(holder: ModelHolder, settings: Settings) -> None:
    try:
        if holder.offer(load_local_copy(settings)):
            log.warning("serving the local copy until the champion is loaded")
    except Exception as error:
        registry = holder.last_error or "still loading"
        holder.record_error(f"no model: registry: {registry}; local copy: {error}")
        log.error("model not loaded at start-up: %s", holder.last_error)


def start_loading(
    holder: ModelHolder, settings: Settings, stop: threading.Event
) -> threading.Thread:
    """Fill ``holder`` before the API takes traffic (see the module's docstring).

    Returns the thread asking the registry for the champion (it may outlive start-up).
    """
    first = threading.Thread(
        target=_load_champion_into, args=(holder, settings), name="champion-load", daemon=True
    )
    first.start()
    first.join(settings.startup_registry_wait_seconds)
    if holder.current is None:
        _serve_local_copy_meanwhile(holder, settings)
    if holder.current is None:
        threading.Thread(
            target=_load_until_ready, args=(holder, settings, stop, first), daemon=True
        ).start()
    return first

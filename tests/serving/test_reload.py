"""Hot swap: the running API follows the champion alias, and no request fails meanwhile."""

from __future__ import annotations

import json
import threading
import time

import pytest
from fastapi.testclient import TestClient

from customs_risk.settings import PROJECT_ROOT
from models import registry
from serving.app import create_app

pytestmark = pytest.mark.integration
EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "declaration.json").read_text())
SWAP_SECONDS = 60


def _wait_for_version(client: TestClient, version: str) -> bool:
    deadline = time.monotonic() + SWAP_SECONDS
    while time.monotonic() < deadline:
        if client.get("/v1/model").json()["model_version"] == version:
            return True
        time.sleep(0.2)
    return False


def test_api_swaps_to_the_new_champion_without_failing_requests(drift_run):
    settings, _ = drift_run
    assert settings.reload_interval_seconds <= 1
    before = registry.resolve_alias(settings, "champion")
    previous = registry.resolve_alias(settings, "previous")
    assert before and previous and before != previous

    answers: list[tuple[int, str | None]] = []
    stop = threading.Event()
    with TestClient(create_app(settings)) as client:
        assert client.get("/v1/model").json()["model_version"] == before

        def keep_scoring():
            while not stop.is_set():
                response = client.post("/v1/score?explain=false", json=EXAMPLE)
                body = response.json() if response.status_code == 200 else {}
                answers.append((response.status_code, body.get("model_version")))

        traffic = [threading.Thread(target=keep_scoring) for _ in range(3)]
        for thread in traffic:
            thread.start()
        try:
            time.sleep(1.0)
            registry.rollback(settings)  # champion ← previous, while requests are running
            swapped = _wait_for_version(client, previous)
            time.sleep(1.0)
        finally:
            stop.set()
            for thread in traffic:
                thread.join(timeout=30)
            registry.promote(settings, before)  # leave the registry as the scenario left it
        assert swapped, f"still serving {before} {SWAP_SECONDS} s after the alias moved"
        assert _wait_for_version(client, before)  # and back, after the promotion

    statuses = {status for status, _ in answers}
    assert statuses == {200}, f"failed requests during the swap: {statuses}"
    versions = [version for _, version in answers]
    assert set(versions) == {before, previous}
    # every thread saw the old version, then the new one: never a mix after the swap
    last_old = max(i for i, v in enumerate(versions) if v == before)
    first_new = versions.index(previous)
    assert first_new < len(versions) - 1 and last_old - first_new < 3 * len(traffic)
    copy = json.loads((settings.resolved_model_cache_dir / "registry.json").read_text())
    assert copy["version"] == before  # the start-up fallback follows what is served

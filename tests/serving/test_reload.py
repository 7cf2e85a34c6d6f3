"""Hot swap: the running API follows the champion alias and the lake's entity state, and no
request fails meanwhile."""

from __future__ import annotations

import json
import threading
import time

import pandas as pd
import pytest
from api_keys import keyed_client
from fastapi.testclient import TestClient

from config.settings import PROJECT_ROOT
from features.compute import build_entity_state
from features.state import EntityState
from models import registry
from models.scoring import Scorer
from serving.reload import check_once, reload_once
from serving.schemas import ScoreRequest
from sources.contracts import DECLARATIONS, conform
from sources.lake import DataLake, replace_directory

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
    with keyed_client(settings) as client:
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


NEW_CONSIGNEE = "new consignee: no earlier declaration"


def _save_into_lake(state: EntityState, lake: DataLake) -> None:
    """As the build-features flow saves its state."""
    staging = lake.state.with_name(".state.staging")
    state.save(staging)
    replace_directory(staging, lake.state)


def _state_knowing_the_example_consignee(lake: DataLake) -> EntityState:
    """The lake's state rebuilt with one more declaration by the example's consignee."""
    sources = lake.read_sources(lake.validated)
    earlier = {
        **EXAMPLE["declaration"],
        "declaration_id": "220020260000009999",
        "declared_at": pd.Timestamp("2026-06-01"),  # after the cycle's data, before the example
    }
    declarations = pd.concat(
        [sources["declarations"], conform(pd.DataFrame([earlier]), DECLARATIONS)],
        ignore_index=True,
    )
    return build_entity_state(
        declarations,
        sources["credit_history"],
        sources["monitoring"],
        sources["inspection_outcomes"],
    )


def test_a_rebuilt_entity_state_is_served_after_one_check(cycle, own_project):
    settings = own_project
    with keyed_client(settings) as client:
        holder = client.app.state.holder
        before = client.post("/v1/score", json=EXAMPLE).json()
        assert NEW_CONSIGNEE in before["low_support_reasons"]
        served_through = client.get("/readyz").json()["entity_state_built_through"]
        state = _state_knowing_the_example_consignee(DataLake(cycle[0].data_dir))
        assert state.built_through > served_through
        _save_into_lake(state, DataLake(settings.data_dir))

        assert check_once(holder, settings) == [f"entity state built through {state.built_through}"]
        assert client.get("/readyz").json()["entity_state_built_through"] == state.built_through
        after = client.post("/v1/score", json=EXAMPLE).json()
        assert NEW_CONSIGNEE not in after["low_support_reasons"]
        assert after["model_version"] == before["model_version"]  # same model, new state
        declaration = ScoreRequest.model_validate(EXAMPLE).declaration.model_dump()
        expected = Scorer(holder.current.scorer.model, state, "1").score([declaration])[0]
        assert after["risks"]
        for category, risk in after["risks"].items():
            assert risk["probability"] == expected.risks[category].probability

        served = holder.current
        assert check_once(holder, settings) == []  # an unchanged state is not reloaded
        assert holder.current is served


def test_a_failed_reload_is_shown_until_a_reload_succeeds(own_project, monkeypatch):
    settings = own_project
    with keyed_client(settings) as client:
        holder = client.app.state.holder
        assert client.get("/v1/model").json()["last_reload_error"] is None

        # A tracking server that does not answer (nothing listens on port 9), fail fast.
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
        unreachable = settings.model_copy(update={"tracking_uri": "http://127.0.0.1:9"})
        assert reload_once(holder, unreachable) == []
        model = client.get("/v1/model").json()
        assert model["model_version"] == "1"  # still serving
        assert "127.0.0.1:9" in model["last_reload_error"]["error"]
        assert model["last_reload_error"]["at"]

        lake = DataLake(settings.data_dir)
        _save_into_lake(EntityState.load(lake.state), lake)  # the daily rebuild, same data
        assert reload_once(holder, settings)  # the state was swapped in
        assert client.get("/v1/model").json()["last_reload_error"] is None

"""The API when things go wrong: no model yet, a broken new champion, a failing scorer.

Each failure is answered cleanly and the API keeps serving (or starts serving once it
can): /readyz and scoring say 503 while nothing is loaded, a reload that fails leaves
the old model serving and is shown by /v1/model, and an exception while scoring is a
JSON 500 with a request id that the log names too.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import shutil
import threading
import time

import pytest
from api_keys import keyed_client
from fastapi.testclient import TestClient

from config.settings import PROJECT_ROOT
from models import registry
from models.scoring import Scorer
from serving import lifecycle
from serving.reload import reload_once
from sources.lake import DataLake

pytestmark = pytest.mark.integration
EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "declaration.json").read_text())
READY_SECONDS = 60


def _ready_within(api: TestClient, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if api.get("/readyz").status_code == 200:
            return True
        time.sleep(0.2)
    return False


def test_without_a_model_the_api_answers_503_then_serves_once_one_appears(
    cycle, tmp_path, settings_for, monkeypatch
):
    """No champion and no local copy: 503, and the background retry picks up a local
    copy that appears later (the way an operator would restore one)."""
    monkeypatch.setattr(lifecycle, "RETRY_SECONDS", 0.2)
    settings = settings_for(tmp_path).model_copy(update={"reload_interval_seconds": 0})
    with keyed_client(settings) as api:
        not_ready = api.get("/readyz")
        assert not_ready.status_code == 503 and not_ready.json()["status"] == "not ready"
        assert "no local copy" in not_ready.json()["reason"]
        refused = api.post("/v1/score", json=EXAMPLE)
        assert refused.status_code == 503
        assert refused.json()["detail"].startswith("model not loaded")
        assert api.get("/v1/model").status_code == 503

        shared, own = DataLake(cycle[0].data_dir), DataLake(settings.data_dir)
        shutil.copytree(shared.state, own.state)  # the state first: the model is the signal
        settings.resolved_model_cache_dir.parent.mkdir(parents=True, exist_ok=True)
        staged = tmp_path / "model.staged"
        shutil.copytree(cycle[0].resolved_model_cache_dir, staged)
        staged.rename(settings.resolved_model_cache_dir)  # appears whole, in one rename

        assert _ready_within(api, READY_SECONDS), api.get("/readyz").json()
        assert api.get("/v1/model").json()["source"] == "local copy"
        scored = api.post("/v1/score", json=EXAMPLE)
        assert scored.status_code == 200 and scored.json()["risks"]


@pytest.fixture
def private_registry(own_project, tmp_path):
    """``own_project`` with a copy of the cycle's registry database, so a test may register
    and promote versions. Artifacts are still read from the cycle's store, never written."""
    database = tmp_path / "registry" / "mlflow.db"
    database.parent.mkdir()
    shutil.copy(own_project.mlflow_dir / "mlflow.db", database)
    return own_project.model_copy(update={"tracking_uri": f"sqlite:///{database}"})


def _register_copy_of_version_1(settings) -> str:
    client = registry.use_store(settings)
    served = client.get_model_version(settings.model_name, "1")
    new = client.create_model_version(
        settings.model_name, served.source, run_id=served.run_id, model_id=served.model_id
    )
    return str(new.version)


def test_a_broken_new_champion_leaves_the_old_one_serving(
    private_registry, monkeypatch, broken_downloads
):
    settings = private_registry
    local_copy = settings.resolved_model_cache_dir / "registry.json"
    answers: list[int] = []
    stop = threading.Event()
    with keyed_client(settings) as api:
        holder = api.app.state.holder
        assert api.get("/v1/model").json()["model_version"] == "1"
        new_version = _register_copy_of_version_1(settings)
        registry.promote(settings, new_version)

        def keep_scoring():
            while not stop.is_set():
                answers.append(api.post("/v1/score?explain=false", json=EXAMPLE).status_code)

        traffic = [threading.Thread(target=keep_scoring) for _ in range(2)]
        for thread in traffic:
            thread.start()
        try:
            with monkeypatch.context() as broken:
                broken_downloads(broken)
                assert reload_once(holder, settings) == []  # nothing swapped in
        finally:
            stop.set()
            for thread in traffic:
                thread.join(timeout=30)

        model = api.get("/v1/model").json()
        assert model["model_version"] == "1"
        assert model["last_reload_error"]["error"].startswith("reload failed")
        assert answers and set(answers) == {200}, f"failed requests: {set(answers)}"
        assert json.loads(local_copy.read_text())["version"] == "1"

        # the next poll, once the bundle loads, serves it and clears the error
        assert reload_once(holder, settings) == [f"version {new_version}"]
        model = api.get("/v1/model").json()
        assert model["model_version"] == new_version and model["last_reload_error"] is None


POISON = "220099999999999999"  # the declaration the failing scorer cannot score


class FailingScorer(Scorer):
    """Fails on one declaration, as a bug in the scoring core would."""

    def score(self, declarations, explain=True):
        if any(d.get("declaration_id") == POISON for d in declarations):
            raise RuntimeError("scoring core failed")
        return super().score(declarations, explain=explain)


def test_an_exception_while_scoring_is_a_json_500_and_the_api_keeps_answering(own_project, caplog):
    poisoned = {"declaration": {**EXAMPLE["declaration"], "declaration_id": POISON}}
    with keyed_client(own_project, raise_server_exceptions=False) as api:
        holder = api.app.state.holder
        served = holder.current.scorer
        failing = FailingScorer(served.model, served.state, served.model_version)
        holder.swap(dataclasses.replace(holder.current, scorer=failing))

        with caplog.at_level(logging.ERROR, logger="customs_risk.serving"):
            failed = api.post("/v1/score", json=poisoned)
        assert failed.status_code == 500
        assert failed.headers["content-type"] == "application/json"
        body = failed.json()
        assert set(body) == {"detail", "request_id"} and body["detail"] == "internal error"
        assert "scoring core failed" not in failed.text  # no internals leak to the caller
        [record] = [r for r in caplog.records if body["request_id"] in r.getMessage()]
        assert record.exc_info and "scoring core failed" in str(record.exc_info[1])

        batch = {"declarations": [EXAMPLE["declaration"], poisoned["declaration"]]}
        assert api.post("/v1/score/batch", json=batch).status_code == 500
        assert api.post("/v1/score", json=EXAMPLE).status_code == 200  # still answering
        assert api.get("/readyz").status_code == 200

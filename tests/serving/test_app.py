"""The scoring API: in-process (TestClient) and over HTTP against a real uvicorn process."""

from __future__ import annotations

import copy
import json
import math
import socket

import httpx
import numpy as np
import pandas as pd
import pytest
from api_keys import clearance_key, keyed_client
from api_process import served

from config.settings import PROJECT_ROOT
from features.compute import columns_from_records, compute_features
from features.state import EntityState
from models.bundle import RiskModel
from serving.schemas import ScoreRequest
from sources.contracts import RISK_CATEGORIES
from sources.lake import DataLake

pytestmark = pytest.mark.integration
EXAMPLE = json.loads((PROJECT_ROOT / "examples" / "declaration.json").read_text())


@pytest.fixture(scope="module")
def client(cycle):
    settings, _ = cycle
    with keyed_client(settings) as test_client:
        yield test_client


def _probability_from_the_bundle(settings, declaration: dict) -> dict[str, float]:
    """Each category's calibrated probability of ``declaration``, recomputed from the served
    bundle's booster (raw score) and calibrator, not through ``Scorer.score``'s TreeSHAP path."""
    model = RiskModel.load(settings.resolved_model_cache_dir)
    state = EntityState.load(DataLake(settings.data_dir).state)
    matrix = model.spec.encode(compute_features(columns_from_records([declaration]), state))
    return {
        category: float(m.calibrator.apply(m.booster.predict(matrix, raw_score=True))[0])
        for category, m in model.categories.items()
    }


def test_example_declaration_gets_probabilities_levels_and_reasons(cycle, client):
    response = client.post("/v1/score", json=EXAMPLE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["declaration_id"] == EXAMPLE["declaration"]["declaration_id"]
    assert body["model_version"] == "1"
    assert set(body["risks"]) | set(body["not_scored"]) == set(RISK_CATEGORIES)
    declaration = EXAMPLE["declaration"]
    validated = ScoreRequest.model_validate(EXAMPLE).declaration.model_dump()
    recomputed = _probability_from_the_bundle(cycle[0], validated)
    assert body["risks"] and set(body["risks"]) == set(recomputed)
    for category, risk in body["risks"].items():
        assert 0.0 <= risk["probability"] <= 1.0
        assert 1 <= risk["level"] <= 4
        assert risk["probability"] == pytest.approx(recomputed[category], abs=1e-6)
        assert risk["trend"]["direction"] in {"rising", "stable", "falling", "no_data"}
        low, high = risk["uncertainty"]["interval_90"]
        assert 0.0 <= low <= risk["probability"] <= high <= 1.0 and low < high
        assert risk["uncertainty"]["calibration_support"] >= 0
        if category == "revenue":
            stake = declaration["value_cny"] * declaration["duty_rate"]
            assert risk["severity"]["value"] == pytest.approx(stake, rel=1e-6)
        assert risk["reasons"] and {"feature", "label", "value", "contribution"} <= set(
            risk["reasons"][0]
        )
    # the example's consignee is unknown to the small test project: flagged (Art. 16)
    assert body["low_support"] and any("new consignee" in r for r in body["low_support_reasons"])
    any_finding = 1 - np.prod([1 - r["probability"] for r in body["risks"].values()])
    assert body["overall_probability"] == pytest.approx(any_finding, abs=1e-5)
    # the overall level never hides a category's level
    assert max(r["level"] for r in body["risks"].values()) <= body["overall_level"] <= 4
    assert "log-odds" in body["reasons_unit"] and len(body["input_hash"]) == 64


def test_without_explanations_probabilities_are_the_same(client):
    explained = client.post("/v1/score", json=EXAMPLE).json()
    fast = client.post("/v1/score?explain=false", json=EXAMPLE).json()
    assert fast["risks"]
    for category, risk in fast["risks"].items():
        assert risk["reasons"] == []
        assert risk["probability"] == pytest.approx(explained["risks"][category]["probability"])
        assert risk["level"] == explained["risks"][category]["level"]


def test_same_declaration_same_decision_inputs(client):
    first = client.post("/v1/score", json=EXAMPLE).json()
    second = client.post("/v1/score", json=EXAMPLE).json()
    assert first["input_hash"] == second["input_hash"]
    assert first["request_id"] != second["request_id"]
    assert first["risks"] == second["risks"]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("hs_code", "12AB", "pattern"),
        ("value_cny", -5, "greater than or equal"),
        ("transport_mode", "teleport", "sea"),
        ("declared_at", "yesterday", "datetime"),
        ("declared_at", "0001-01-01T00:00:00+08:00", "[2000-01-01, 2100-01-01) UTC"),
        ("declared_at", "9999-12-31T23:00:00-05:00", "[2000-01-01, 2100-01-01) UTC"),
        ("declared_at", "2000-01-01T07:00:00+08:00", "[2000-01-01, 2100-01-01) UTC"),
        ("declared_at", "2100-01-01T00:00:00", "[2000-01-01, 2100-01-01) UTC"),
        ("value_cny", 1e308, "less than or equal"),
        ("declared_value", 1e17, "less than or equal"),
        ("quantity", 1e13, "less than or equal"),
        ("net_weight_kg", 1e10, "less than or equal"),
        ("gross_weight_kg", 1e10, "less than or equal"),
        ("consignee_id", "no spaces!", "pattern"),
    ],
)
def test_invalid_field_gets_422_naming_field_and_reason(client, field, value, reason):
    body = copy.deepcopy(EXAMPLE)
    body["declaration"][field] = value
    response = client.post("/v1/score", json=body)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert errors[0]["field"] == f"declaration.{field}"
    assert reason in errors[0]["reason"]


@pytest.mark.parametrize("declared_at", ["2100-01-01T07:00:00+08:00", "2099-12-31T23:59:59"])
def test_declared_at_range_is_checked_in_utc(client, declared_at):
    body = copy.deepcopy(EXAMPLE)
    body["declaration"]["declared_at"] = declared_at  # 2099-12-31 in UTC: inside the range
    assert client.post("/v1/score", json=body).status_code == 200


def _raw_json(body: dict) -> dict:
    # json.dumps writes non-finite floats as NaN / Infinity, which the API's parser accepts.
    return {"content": json.dumps(body), "headers": {"content-type": "application/json"}}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_number_gets_422_naming_the_field(client, value):
    body = copy.deepcopy(EXAMPLE)
    body["declaration"]["value_cny"] = value
    response = client.post("/v1/score", **_raw_json(body))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "declaration.value_cny"
    assert "finite number" in error["reason"]
    assert error["input"] == json.dumps(value)  # "NaN", "Infinity" or "-Infinity"


def test_non_finite_number_inside_an_echoed_declaration_is_encoded(client):
    body = copy.deepcopy(EXAMPLE)
    body["declaration"]["duty_rate"] = math.nan
    del body["declaration"]["origin_country"]  # this error echoes the whole declaration
    response = client.post("/v1/score", **_raw_json(body))
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert set(errors) == {"declaration.duty_rate", "declaration.origin_country"}
    assert errors["declaration.origin_country"]["input"]["duty_rate"] == "NaN"


def test_non_finite_number_in_a_batch_names_the_item(client):
    declarations = [copy.deepcopy(EXAMPLE["declaration"]) for _ in range(3)]
    declarations[1]["value_cny"] = math.nan
    response = client.post("/v1/score/batch", **_raw_json({"declarations": declarations}))
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "declarations.1.value_cny" and error["input"] == "NaN"


def test_missing_field_and_inconsistent_weights_are_named(client):
    body = copy.deepcopy(EXAMPLE)
    del body["declaration"]["origin_country"]
    errors = client.post("/v1/score", json=body).json()["errors"]
    assert errors[0]["field"] == "declaration.origin_country"
    assert "required" in errors[0]["reason"].lower()
    body = copy.deepcopy(EXAMPLE)
    body["declaration"]["gross_weight_kg"] = body["declaration"]["net_weight_kg"] / 2
    response = client.post("/v1/score", json=body)
    assert response.status_code == 422
    assert "gross_weight_kg" in response.json()["errors"][0]["reason"]


def test_not_json_is_422(client):
    response = client.post(
        "/v1/score", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422


def test_a_body_that_is_not_utf8_is_422_naming_the_body(client):
    body = '{"declaration": {"consignee_id": "Müller"}}'.encode("latin-1")  # ü is 0xFC
    response = client.post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "body", "reason": "not UTF-8 encoded JSON", "input": None}
    ]
    assert client.get("/v1/no-such-path").status_code == 404  # other HTTP errors unchanged


def test_batch_scores_each_declaration_and_bounds_size(client):
    bodies = []
    for i in range(3):
        declaration = copy.deepcopy(EXAMPLE["declaration"])
        declaration["item_no"] = i + 1
        bodies.append(declaration)
    response = client.post("/v1/score/batch", json={"declarations": bodies})
    assert response.status_code == 200
    [decision] = response.json()["decisions"]  # one declaration: one decision
    assert [item["item_no"] for item in decision["items"]] == [1, 2, 3]
    assert decision["disposition_item_no"] in (1, 2, 3)
    too_many = {"declarations": [EXAMPLE["declaration"]] * 1001}
    response = client.post("/v1/score/batch", json=too_many)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "declarations" and "at most 1000" in error["reason"]
    assert len(response.content) < 2_000  # the 1,001 declarations are not echoed back
    twice = {"declarations": [bodies[0], bodies[1], bodies[0]]}
    response = client.post("/v1/score/batch", json=twice)
    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert error["field"] == "declarations"
    assert "declarations 0 and 2 are the same goods item" in error["reason"]


def test_model_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["model_version"] == "1"
    model = client.get("/v1/model").json()
    assert model["model_version"] == "1" and model["source"] == "registry"
    assert "revenue" in model["categories"]
    assert client.get("/openapi.json").status_code == 200


def test_api_and_batch_scoring_agree(cycle, client):
    """The real-time path gives the probabilities the batch-score flow stored for the month,
    and the same dispositions (credit level, random draws, strictest measure per item)."""
    settings, result = cycle
    stored = pd.read_parquet(result["scoring"]["path"]).tail(25)
    disposed = pd.read_parquet(result["scoring"]["disposal"]["path"])
    lake = DataLake(settings.data_dir)
    declarations = pd.read_parquet(lake.source_path(lake.validated, "declarations")).merge(
        stored[["declaration_id", "item_no"]], on=["declaration_id", "item_no"]
    )
    assert len(declarations) == len(stored)
    bodies = json.loads(declarations.to_json(orient="records", date_format="iso"))
    response = client.post("/v1/score/batch", json={"declarations": bodies})
    items = [item for d in response.json()["decisions"] for item in d["items"]]
    api = pd.DataFrame(
        [
            {
                "declaration_id": item["declaration_id"],
                "item_no": item["item_no"],
                "api_credit_level": item["credit_level"],
                "api_random": item["selection"]["random"],
                "api_random_probability": item["selection"]["probability"],
                "api_strictest": item["strictest"]["code"],
                **{c: r["probability"] for c, r in item["risks"].items()},
            }
            for item in items
        ]
    )
    both = stored.merge(api, on=["declaration_id", "item_no"]).merge(
        disposed, on=["declaration_id", "item_no"]
    )
    assert len(both) == len(stored) and items[0]["risks"]
    assert set(stored["model_version"]) == {response.json()["model_version"]}
    for category in items[0]["risks"]:
        assert both[category].tolist() == pytest.approx(
            both[f"probability_{category}"].tolist(), abs=1e-6
        )
    assert (both["api_credit_level"] == both["credit_level"]).all()
    assert (both["api_random"] == both["random"]).all()
    assert both["api_random_probability"].tolist() == pytest.approx(
        both["random_probability"].tolist()
    )
    assert (both["api_strictest"] == both["item_strictest"]).all()


def test_not_ready_without_a_model(tmp_path, settings_for):
    settings = settings_for(tmp_path)
    with keyed_client(settings) as empty:
        assert empty.get("/healthz").status_code == 200
        assert empty.get("/readyz").status_code == 503
        assert empty.post("/v1/score", json=EXAMPLE).status_code == 503


def test_starts_from_the_local_copy_when_the_registry_lacks_the_model(cycle, tmp_path):
    settings, _ = cycle
    detached = settings.model_copy(update={"tracking_uri": f"sqlite:///{tmp_path}/empty.db"})
    with keyed_client(detached) as offline:
        assert offline.get("/readyz").status_code == 200
        assert offline.get("/v1/model").json()["source"] == "local copy"
        assert offline.post("/v1/score", json=EXAMPLE).status_code == 200


def test_starts_from_the_local_copy_when_the_champion_bundle_is_broken(
    own_project, monkeypatch, broken_downloads
):
    settings = own_project
    local_copy = settings.resolved_model_cache_dir / "model.json"
    good = local_copy.read_text()
    broken_downloads(monkeypatch)
    with keyed_client(settings) as api:
        assert api.get("/readyz").status_code == 200
        assert api.get("/v1/model").json()["source"] == "local copy"
        assert api.post("/v1/score", json=EXAMPLE).status_code == 200
    assert local_copy.read_text() == good  # the broken bundle did not replace it


def test_a_registry_that_does_not_answer_does_not_hold_up_start_up(own_project, monkeypatch):
    """A tracking server that accepts connections and never answers: start-up waits the
    configured time, then serves the local copy while the champion's load is pending."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "120")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings = own_project.model_copy(
            update={
                "tracking_uri": f"http://127.0.0.1:{silent.getsockname()[1]}",
                "startup_registry_wait_seconds": 1.0,
            }
        )
        with keyed_client(settings) as api:
            assert api.app.state.champion_load.is_alive()  # the registry has not answered
            assert api.get("/readyz").status_code == 200
            assert api.get("/v1/model").json()["source"] == "local copy"
            assert api.post("/v1/score", json=EXAMPLE).status_code == 200
    # Closing the socket fails the pending request; the load thread then ends.


def test_real_uvicorn_process_serves_scores(cycle):
    settings, _ = cycle
    with served(settings) as base:
        headers = {"Authorization": f"Bearer {clearance_key(settings)}"}
        scored = httpx.post(f"{base}/v1/score", json=EXAMPLE, headers=headers, timeout=10)
        assert scored.status_code == 200 and scored.json()["risks"]
        bad = httpx.post(
            f"{base}/v1/score", json={"declaration": {"hs_code": "x"}}, headers=headers, timeout=10
        )
        assert bad.status_code == 422
        assert any(e["field"] == "declaration.hs_code" for e in bad.json()["errors"])

"""Disposal through the API, as the issue's "done when" walks it: a scored declaration
leaves with measures, selection and a recorded decision; a control instruction drafted by
one publisher and published by a second applies to the next score; an outcome is
accepted once and reaches the lake; the ledger's chain verifies, and a hand edit breaks it.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from config.settings import PROJECT_ROOT
from disposal.decisions import DeclarationDecision
from ledger.store import Ledger
from serving.app import create_app
from serving.schemas import ItemScoreResponse
from sources.lake import DataLake

pytestmark = pytest.mark.integration
EXAMPLES = PROJECT_ROOT / "examples"
DECLARATION = json.loads((EXAMPLES / "declaration.json").read_text())
INSTRUCTION = json.loads((EXAMPLES / "instruction.json").read_text())
OUTCOME = json.loads((EXAMPLES / "outcome.json").read_text())
SOURCES = {"emergency", "instruction", "model", "random", "exploration"}


@pytest.fixture(scope="module")
def project(cycle, tmp_path_factory):
    """The cycle's project with a ledger of this module's own."""
    settings, _ = cycle
    root = tmp_path_factory.mktemp("disposal-api")
    data = root / "data"
    shutil.copytree(DataLake(settings.data_dir).state, DataLake(data).state)
    shutil.copytree(settings.resolved_model_cache_dir, data / "serving" / "model")
    own = settings.model_copy(
        update={"data_dir": data, "model_cache_dir": None, "reload_interval_seconds": 0}
    )
    from pipelines.demo_keys import issue_demo_keys

    return own, issue_demo_keys(own)


@pytest.fixture(scope="module")
def api(project):
    settings, _ = project
    with TestClient(create_app(settings)) as client:
        yield client


def bearer(keys: dict, name: str) -> dict:
    return {"Authorization": f"Bearer {keys[name]}"}


def test_keys_are_required_and_roles_checked(api, project):
    _, keys = project
    assert api.get("/healthz").status_code == 200
    assert api.get("/readyz").status_code == 200
    assert api.post("/v1/score", json=DECLARATION).status_code == 401
    assert api.get("/v1/model").status_code == 401
    assert api.get("/v1/model", headers=bearer(keys, "demo-officer")).status_code == 200
    wrong = {"Authorization": "Bearer cr_nope_nope"}
    assert api.post("/v1/score", json=DECLARATION, headers=wrong).status_code == 401
    officer = api.post("/v1/score", json=DECLARATION, headers=bearer(keys, "demo-officer"))
    assert officer.status_code == 403 and "clearance_system" in officer.json()["detail"]
    drafted = api.post("/v1/instructions", json=INSTRUCTION, headers=bearer(keys, "demo-clearance"))
    assert drafted.status_code == 403


def test_a_scored_declaration_leaves_with_measures_selection_and_a_recorded_decision(api, project):
    _, keys = project
    response = api.post("/v1/score", json=DECLARATION, headers=bearer(keys, "demo-clearance"))
    assert response.status_code == 200, response.text
    body = response.json()
    ItemScoreResponse.model_validate(body)  # the answer is what the OpenAPI document says
    assert body["decision_id"] and body["policy_version"]
    assert body["measures"], "at least the release measure"
    for measure in body["measures"]:
        assert {"code", "name_zh", "name_en", "kind", "source"} <= set(measure)
        assert measure["source"] in SOURCES
    assert set(body["selection"]) >= {"random", "probability"}
    assert 0 < body["selection"]["probability"] <= 1
    recorded = api.get(f"/v1/decisions/{body['decision_id']}", headers=bearer(keys, "demo-officer"))
    assert recorded.status_code == 200
    assert recorded.json()["decision"]["items"][0]["measures"] == body["measures"]


def test_a_declaration_is_decided_as_a_whole(api, project):
    _, keys = project
    items = [
        {**DECLARATION["declaration"], "item_no": 1},
        {**DECLARATION["declaration"], "item_no": 2, "hs_code": "8471300000", "duty_rate": 0.0},
    ]
    response = api.post(
        "/v1/score/declaration", json={"items": items}, headers=bearer(keys, "demo-clearance")
    )
    assert response.status_code == 200, response.text
    decision = DeclarationDecision.model_validate(response.json())
    assert [item.item_no for item in decision.items] == [1, 2]
    strictest = max(decision.items, key=lambda item: item.strictest.kind.rank)
    assert decision.disposition.kind.rank == strictest.strictest.kind.rank
    mixed = [items[0], {**items[1], "declaration_id": "220020260000000002"}]
    refused = api.post(
        "/v1/score/declaration", json={"items": mixed}, headers=bearer(keys, "demo-clearance")
    )
    assert refused.status_code == 422


def test_an_instruction_published_by_a_second_publisher_applies_to_the_next_score(api, project):
    _, keys = project
    drafted = api.post("/v1/instructions", json=INSTRUCTION, headers=bearer(keys, "demo-publisher"))
    assert drafted.status_code == 201, drafted.text
    instruction_id = drafted.json()["instruction_id"]
    own = api.post(
        f"/v1/instructions/{instruction_id}/publish", headers=bearer(keys, "demo-publisher")
    )
    assert own.status_code == 403 and "second person" in own.json()["detail"]
    published = api.post(
        f"/v1/instructions/{instruction_id}/publish", headers=bearer(keys, "demo-publisher-2")
    )
    assert published.status_code == 200 and published.json()["status_now"] == "published"

    scored = api.post("/v1/score", json=DECLARATION, headers=bearer(keys, "demo-clearance"))
    from_instruction = [m for m in scored.json()["measures"] if m["source"] == "instruction"]
    assert [m["instruction_id"] for m in from_instruction] == [instruction_id]
    assert from_instruction[0]["code"] == INSTRUCTION["measures"][0]

    listed = api.get("/v1/instructions", headers=bearer(keys, "demo-analyst")).json()
    mine = next(i for i in listed if i["instruction_id"] == instruction_id)
    assert mine["hits"]["items"] >= 1
    revoked = api.post(
        f"/v1/instructions/{instruction_id}/revoke",
        json={"reason": "test over"},
        headers=bearer(keys, "demo-publisher-2"),
    )
    assert revoked.status_code == 200
    again = api.post("/v1/score", json=DECLARATION, headers=bearer(keys, "demo-clearance"))
    assert not [m for m in again.json()["measures"] if m["source"] == "instruction"]


def test_an_outcome_is_accepted_once_and_reaches_the_lake(api, project):
    settings, keys = project
    clearance = bearer(keys, "demo-clearance")
    decision_id = api.post("/v1/score", json=DECLARATION, headers=clearance).json()["decision_id"]
    posted = api.post(f"/v1/decisions/{decision_id}/outcome", json=OUTCOME, headers=clearance)
    assert posted.status_code == 201, posted.text
    assert posted.json()["findings"]["food_safety"] is True
    again = api.post(f"/v1/decisions/{decision_id}/outcome", json=OUTCOME, headers=clearance)
    assert again.status_code == 409
    unknown = api.post("/v1/decisions/nope/outcome", json=OUTCOME, headers=clearance)
    assert unknown.status_code == 404
    lake = DataLake(settings.data_dir)
    rows = pd.concat(
        pd.read_parquet(p) for p in (lake.incoming / "inspection_outcomes").glob("*.parquet")
    )
    row = rows[rows["declaration_id"] == DECLARATION["declaration"]["declaration_id"]]
    assert len(row) == 1 and bool(row["finding_food_safety"].iloc[0])


def test_an_outcome_that_breaks_the_contract_changes_nothing(api, project):
    _, keys = project
    clearance = bearer(keys, "demo-clearance")
    decision_id = api.post("/v1/score", json=DECLARATION, headers=clearance).json()["decision_id"]
    early = {**OUTCOME, "inspected_at": "2026-06-01T00:00:00Z"}
    refused = api.post(f"/v1/decisions/{decision_id}/outcome", json=early, headers=clearance)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "inspected_at"
    unknown_category = {**OUTCOME, "findings": {"tobacco": {"found": True}}}
    refused = api.post(
        f"/v1/decisions/{decision_id}/outcome", json=unknown_category, headers=clearance
    )
    assert refused.status_code == 422
    accepted = api.post(f"/v1/decisions/{decision_id}/outcome", json=OUTCOME, headers=clearance)
    assert accepted.status_code == 201


def test_a_retried_request_gets_the_same_decision(api, project):
    _, keys = project
    headers = {**bearer(keys, "demo-clearance"), "Idempotency-Key": "retry-1"}
    first = api.post("/v1/score", json=DECLARATION, headers=headers).json()
    second = api.post("/v1/score", json=DECLARATION, headers=headers).json()
    assert first["decision_id"] == second["decision_id"]
    other = {**DECLARATION, "declaration": {**DECLARATION["declaration"], "item_no": 2}}
    assert api.post("/v1/score", json=other, headers=headers).status_code == 409


def test_the_chain_verifies_and_a_hand_edit_breaks_it(api, project):
    settings, keys = project
    api.post("/v1/score", json=DECLARATION, headers=bearer(keys, "demo-clearance"))
    ledger = Ledger.open(settings.resolved_database_url)
    try:
        report = ledger.decisions.verify()
        assert report.intact and report.decisions >= 3
        with ledger.engine.begin() as connection:
            victim = connection.execute(
                text("SELECT decision_id FROM decisions ORDER BY sequence LIMIT 1 OFFSET 1")
            ).scalar_one()
            connection.execute(
                text("UPDATE decisions SET payload = payload || ' ' WHERE decision_id = :id"),
                {"id": victim},
            )
        broken = ledger.decisions.verify()
        assert not broken.intact and broken.first_broken == victim
    finally:
        ledger.close()


def test_party_identifiers_are_masked_in_the_api_logs(api, caplog):
    import logging

    from serving.logs import mask_identifiers_in_logs

    mask_identifiers_in_logs()  # the test's capturing handler came after start-up
    consignee = DECLARATION["declaration"]["consignee_id"]
    logging.getLogger("customs_risk.serving").warning("scoring consignee_id=%s", consignee)
    assert consignee not in caplog.text
    assert consignee[:4] in caplog.text


def test_the_api_records_on_either_backend(project, database_url):
    """The same app on the embedded SQLite ledger and on PostgreSQL: decided, recorded,
    outcome accepted once, chain intact."""
    settings, _ = project
    on_backend = settings.model_copy(update={"database_url": database_url})
    from api_keys import keyed_client

    with keyed_client(on_backend) as client:
        scored = client.post("/v1/score", json=DECLARATION)
        assert scored.status_code == 200, scored.text
        decision_id = scored.json()["decision_id"]
        assert client.post(f"/v1/decisions/{decision_id}/outcome", json=OUTCOME).status_code == 201
        assert client.post(f"/v1/decisions/{decision_id}/outcome", json=OUTCOME).status_code == 409
    ledger = Ledger.open(database_url)
    try:
        report = ledger.decisions.verify()
        assert report.intact and report.decisions == 1
        assert ledger.decisions.get(decision_id).model_version == scored.json()["model_version"]
    finally:
        ledger.close()

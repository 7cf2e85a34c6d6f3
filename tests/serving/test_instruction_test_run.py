"""Trying, editing and monitoring through the API: test runs of a draft and of a saved
instruction on the lake's history (and the history following the lake), editing a draft
with If-Match and four eyes after an edit, and route signals for analysts."""

from __future__ import annotations

import json
from datetime import timedelta

import pandas as pd
import pytest
from api_keys import role_keys
from fastapi.testclient import TestClient
from history_samples import BASELINE, RECENT, UNTIL, Lake, naive, stable_lake

from config.settings import PROJECT_ROOT
from disposal.instructions import InstructionScope
from disposal.test_run import scope_test_run
from reassessment.signals import route_signals
from serving.app import create_app
from sources.contracts import RISK_CATEGORIES
from sources.lake import DataLake, write_parquet

pytestmark = pytest.mark.integration
INSTRUCTION = json.loads((PROJECT_ROOT / "examples" / "instruction.json").read_text())
RISING = {"hs_prefixes": ["99"], "origin_countries": ["CN"]}  # food safety 5 % → 15 %
DRAFT = INSTRUCTION | {"scope": RISING, "categories": ["food_safety"]}


def planted() -> Lake:
    lake = stable_lake()
    lake.plant("99", "CN", BASELINE, 400, 20).plant("99", "CN", RECENT, 120, 18)
    lake.declare("85", "JP", 0)  # the lake ends at UNTIL
    return lake


@pytest.fixture
def api(own_project):
    """A client of the app on its own project, the principals' keys, and the lake."""
    keys = role_keys(own_project)
    with TestClient(create_app(own_project)) as client:
        yield client, keys, DataLake(own_project.data_dir)


def as_(keys: dict, name: str, **headers) -> dict:
    return {"Authorization": f"Bearer {keys[name]}", **headers}


def without_request_time(run: dict) -> dict:
    # the API asks for now, the lake ends at UNTIL; the test asks for UNTIL itself
    return {k: v for k, v in run.items() if k not in ("requested_until", "until_basis")}


def test_a_draft_and_a_saved_instruction_are_test_run_on_the_lake_history(api):
    client, keys, lake = api
    planted().write(lake)
    ran = client.post("/v1/instructions/test-run", json=DRAFT, headers=as_(keys, "analyst"))
    assert ran.status_code == 200, ran.text
    run = ran.json()
    assert (run["instruction_id"], run["until_basis"]) == (None, "lake_end")
    assert pd.Timestamp(run["until"]) == UNTIL
    # the 120 items declared 16 days before the end, inspected, known 10 days before
    assert (run["items_hit"], run["hit"]["inspected"], run["hit"]["with_finding"]) == (120, 120, 18)
    declarations, outcomes = planted().frames()
    scope = InstructionScope(**RISING)
    expected = scope_test_run(scope, declarations, outcomes, UNTIL, categories=["food_safety"])
    assert without_request_time(run) == without_request_time(expected.model_dump(mode="json"))

    saved = client.post("/v1/instructions", json=DRAFT, headers=as_(keys, "analyst")).json()
    path = f"/v1/instructions/{saved['instruction_id']}/test-run"
    again = client.get(path, params={"weeks": 3}, headers=as_(keys, "officer")).json()
    assert (again["instruction_id"], again["version"], again["weeks"]) == (
        saved["instruction_id"],
        1,
        3,
    )
    assert again["items_hit"] == 120 and len(again["per_week"]) == 3

    assert (
        client.get("/v1/instructions/INS-NOPE/test-run", headers=as_(keys, "officer")).status_code
        == 404
    )
    officer = client.post("/v1/instructions/test-run", json=DRAFT, headers=as_(keys, "officer"))
    assert officer.status_code == 403
    assert client.get(path, headers=as_(keys, "clearance")).status_code == 403
    unknown = client.post(
        "/v1/instructions/test-run",
        json=DRAFT | {"measures": ["NOPE"]},
        headers=as_(keys, "analyst"),
    )
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "measures"
    no_weeks = client.get(path, params={"weeks": 0}, headers=as_(keys, "officer"))
    assert no_weeks.status_code == 422 and no_weeks.json()["errors"][0]["field"] == "query.weeks"


def test_the_history_follows_the_lake(api):
    client, keys, lake = api
    path = "/v1/instructions/test-run"
    missing = client.post(path, json=DRAFT, headers=as_(keys, "publisher"))
    assert missing.status_code == 503 and "no history in the lake" in missing.json()["detail"]

    small = Lake()
    small.plant("99", "CN", RECENT, 4, 1)
    pending = small.declare("99", "CN", -3)  # declared, not inspected yet
    small.declare("01", "FR", 0)  # the lake ends at UNTIL
    small.write(lake)
    first = client.post(path, json=DRAFT, headers=as_(keys, "publisher")).json()
    assert (first["items_hit"], first["hit"]["inspected"], first["hit"]["with_finding"]) == (
        5,
        4,
        1,
    )

    small.plant("99", "CN", RECENT, 2, 2)  # the batch is rewritten with two more items
    small.write(lake)
    second = client.post(path, json=DRAFT, headers=as_(keys, "publisher")).json()
    assert (second["items_hit"], second["hit"]["with_finding"]) == (7, 3)

    # an outcome the API received since, for a goods item of the batch
    received = {
        "declaration_id": pending,
        "item_no": 1,
        "selection_reason": "random",
        "inspected_at": naive(UNTIL - timedelta(days=2.5)),
        "outcome_known_at": naive(UNTIL - timedelta(days=2)),
        **{f"finding_{c}": c == "food_safety" for c in RISK_CATEGORIES},
        "duty_recovered_cny": 0.0,
        "selection_probability": 0.01,
    }
    write_parquet(pd.DataFrame([received]), lake.incoming / "inspection_outcomes" / "x-1.parquet")
    third = client.post(path, json=DRAFT, headers=as_(keys, "publisher")).json()
    assert (third["hit"]["inspected"], third["hit"]["with_finding"]) == (7, 4)


def test_a_draft_is_edited_with_if_match_and_its_editor_cannot_publish_it(api):
    client, keys, _ = api
    drafted = client.post("/v1/instructions", json=INSTRUCTION, headers=as_(keys, "analyst"))
    instruction_id = drafted.json()["instruction_id"]
    path = f"/v1/instructions/{instruction_id}"
    wider = INSTRUCTION | {"scope": {"hs_prefixes": ["2204"], "origin_countries": ["ES", "PT"]}}

    unconditional = client.put(path, json=wider, headers=as_(keys, "publisher"))
    assert unconditional.status_code == 428 and "If-Match" in unconditional.json()["detail"]
    garbled = client.put(path, json=wider, headers=as_(keys, "publisher", **{"If-Match": "v1"}))
    assert garbled.status_code == 422 and garbled.json()["errors"][0]["field"] == "If-Match"
    edited = client.put(path, json=wider, headers=as_(keys, "publisher", **{"If-Match": '"1"'}))
    assert edited.status_code == 200, edited.text
    assert edited.headers["ETag"] == '"2"'
    version = edited.json()["instruction"]
    assert (version["version"], version["status"]) == (2, "drafted")
    assert (version["drafted_by"], version["edited_by"]) == ("test-analyst", ["test-publisher"])
    assert version["scope"]["origin_countries"] == ["ES", "PT"]

    stale = client.put(path, json=INSTRUCTION, headers=as_(keys, "analyst", **{"If-Match": "1"}))
    assert stale.status_code == 412 and "at version 2" in stale.json()["detail"]
    invalid = client.put(
        path,
        json=INSTRUCTION | {"valid_from": "2031-01-01T00:00:00Z"},
        headers=as_(keys, "analyst", **{"If-Match": "2"}),
    )
    assert invalid.status_code == 422 and invalid.json()["errors"][0]["field"] == "valid_to"
    listed = client.get(path, headers=as_(keys, "officer"))
    assert listed.headers["ETag"] == '"2"' and len(listed.json()) == 2

    by_editor = client.post(f"{path}/publish", headers=as_(keys, "publisher"))
    assert by_editor.status_code == 403 and "edited it" in by_editor.json()["detail"]
    published = client.post(f"{path}/publish", headers=as_(keys, "publisher-2"))
    assert published.status_code == 200 and published.json()["version"] == 3
    too_late = client.put(path, json=wider, headers=as_(keys, "analyst", **{"If-Match": "3"}))
    assert too_late.status_code == 409 and "only a draft can be edited" in too_late.json()["detail"]
    events = client.app.state.ledger.audit.events(entity="instruction", entity_id=instruction_id)
    assert [(e.actor, e.action) for e in events] == [  # the refused edits changed nothing
        ("test-analyst", "instruction.draft"),
        ("test-publisher", "instruction.edit"),
        ("test-publisher-2", "instruction.publish"),
    ]
    assert (events[1].old["version"], events[1].new["version"]) == (1, 2)
    assert (
        client.put(path, json=wider, headers=as_(keys, "officer", **{"If-Match": "3"})).status_code
        == 403
    )


def test_route_signals_for_analysts_and_publishers(api):
    client, keys, lake = api
    planted().write(lake)
    answered = client.get("/v1/monitoring/signals", headers=as_(keys, "analyst"))
    assert answered.status_code == 200, answered.text
    scan = answered.json()
    assert (scan["until_basis"], scan["tested"]) == ("lake_end", 41)
    assert [(s["hs_chapter"], s["origin_country"], s["category"]) for s in scan["signals"]] == [
        ("99", "CN", "food_safety")
    ]
    assert scan["signals"][0]["suggested_scope"] == RISING
    declarations, outcomes = planted().frames()
    expected = route_signals(declarations, outcomes, UNTIL).model_dump(mode="json")
    assert {k: v for k, v in scan.items() if k in expected} == expected

    stricter = client.get(
        "/v1/monitoring/signals",
        params={"min_inspected": 500, "recent_days": 14},
        headers=as_(keys, "publisher"),
    ).json()
    assert (stricter["tested"], stricter["signals"], stricter["min_inspected"]) == (0, [], 500)
    for name in ("officer", "clearance"):
        assert client.get("/v1/monitoring/signals", headers=as_(keys, name)).status_code == 403
    wrong = client.get(
        "/v1/monitoring/signals",
        params={"false_discovery_rate": 2},
        headers=as_(keys, "analyst"),
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "query.false_discovery_rate"

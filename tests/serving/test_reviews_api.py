"""Evidence and its review (Art. 15), expert assessments (Art. 11) and risk warnings (Art.
14, 19) through the API: who may do what, refusals naming the field, a review once, an
accepted evidence leaving two linked decisions in an intact chain, and the warnings feed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
from api_keys import keys_for
from fastapi.testclient import TestClient

from config.settings import PROJECT_ROOT
from ledger.store import Ledger
from serving.app import create_app
from serving.schemas import MAX_BATCH, RecordedDecisionResponse
from sources.contracts import DECLARATIONS
from sources.lake import DataLake

pytestmark = pytest.mark.integration
DECLARATION = json.loads((PROJECT_ROOT / "examples" / "declaration.json").read_text())
INSTRUCTION = json.loads((PROJECT_ROOT / "examples" / "instruction.json").read_text())
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
EVIDENCE = {
    "categories": ["food_safety"],
    "document_reference": "CIQ lab report 2026-0712",
    "document_sha256": SHA,
    "description": "Accredited lab: sulphur dioxide and methanol within GB 2758.",
}
ROLES = {
    "clearance": "clearance_system",
    "other-clearance": "clearance_system",
    "officer": "officer",
    "analyst": "analyst",
    "publisher": "publisher",
    "publisher-2": "publisher",
}
FEED = "https://jsonfeed.org/version/1.1"


class Api:
    """The app on the test's own project, with one key per role."""

    def __init__(self, client: TestClient, keys: dict[str, str]):
        self.client, self.keys = client, keys

    def __call__(self, method: str, path: str, as_: str | None = None, **kwargs):
        headers = {"Authorization": f"Bearer {self.keys[as_]}"} if as_ else {}
        return self.client.request(method, path, headers=headers, **kwargs)

    def decided(self, as_: str = "clearance") -> str:
        scored = self("POST", "/v1/score", as_, json=DECLARATION)
        assert scored.status_code == 200, scored.text
        return scored.json()["decision_id"]


@pytest.fixture
def api(own_project):
    keys = keys_for(own_project, ROLES)
    with TestClient(create_app(own_project)) as client:
        yield Api(client, keys)


def fields(response) -> set[str]:
    assert response.status_code == 422, response.text
    return {e["field"] for e in response.json()["errors"]}


def test_each_role_may_do_only_its_part(api):
    decision = api.decided()
    evidence = f"/v1/decisions/{decision}/evidence"
    for role in ("analyst", "publisher"):
        assert api("POST", evidence, role, json=EVIDENCE).status_code == 403
    given = api("POST", evidence, "clearance", json=EVIDENCE).json()["evidence_id"]
    review = f"{evidence}/{given}/review"
    for role in ("clearance", "analyst", "publisher"):
        refused = api("POST", review, role, json={"accept": False, "reason": "no"})
        assert refused.status_code == 403 and "officer" in refused.json()["detail"]
    assessments = f"/v1/decisions/{decision}/assessments"
    for role in ("clearance", "publisher"):
        assert api("GET", assessments, role).status_code == 403
    for role in ("clearance", "officer"):
        assert api("POST", "/v1/warnings", role, json=warning()).status_code == 403
        withdrawal = {"reason": "x"}
        assert api("POST", "/v1/warnings/RW-1/withdraw", role, json=withdrawal).status_code == 403
    assert api("GET", "/v1/warnings", "clearance").status_code == 403
    assert api("GET", "/v1/warnings/feed").status_code == 401
    assert api("GET", "/v1/warnings/feed", "clearance").status_code == 200


def test_the_review_service_holds_other_callers_to_the_same_roles(tmp_path):
    """The workbench calls ``serving.reviews`` directly, not through a route."""
    from fastapi import HTTPException

    from ledger.actors import Principal, Role
    from ledger.evidence import NewEvidence
    from serving.holder import ModelHolder
    from serving.published import PublishedInstructions
    from serving.reviews import Reviews

    ledger = Ledger.open(f"sqlite:///{tmp_path / 'ledger.db'}")
    try:
        reviews = Reviews(ledger, ModelHolder(), PublishedInstructions(ledger, 60))
        analyst = Principal("analyst-wu", Role.analyst, "0a1b2c3d4e5f")
        publisher = Principal("publisher-wang", Role.publisher, "0a1b2c3d4e5f")
        calls = [
            lambda: reviews.review_evidence("d", "e", True, "ok", analyst),
            lambda: reviews.submit_evidence("d", NewEvidence(("ipr",), "doc", SHA, "x"), analyst),
            lambda: reviews.assessments_of("d", publisher),
        ]
        for call in calls:
            with pytest.raises(HTTPException) as refused:
                call()
            assert refused.value.status_code == 403
    finally:
        ledger.close()


def test_evidence_is_given_on_visible_decisions_with_valid_fields(api):
    decision = api.decided()
    evidence = f"/v1/decisions/{decision}/evidence"
    assert api("POST", evidence, "other-clearance", json=EVIDENCE).status_code == 404
    assert api("GET", evidence, "other-clearance").status_code == 404
    assert api("POST", "/v1/decisions/nope/evidence", "officer", json=EVIDENCE).status_code == 404
    cases = {
        "document_sha256": {"document_sha256": SHA.upper()},
        "categories": {"categories": []},
        "categories.0": {"categories": ["tobacco"]},
        "description": {"description": "   "},
        "document_reference": {"document_reference": "x" * 201},
        "item_no": {"item_no": 2},  # the decision has one goods item
    }
    for field, change in cases.items():
        assert fields(api("POST", evidence, "clearance", json=EVIDENCE | change)) == {field}
    assert fields(api("POST", evidence, "clearance", json=EVIDENCE | {"categories": ["ipr"] * 2}))
    given = api("POST", evidence, "clearance", json=EVIDENCE | {"item_no": 1})
    assert given.status_code == 201, given.text
    body = given.json()
    assert body["status"] == "pending" and body["submitted_by"] == "clearance"
    assert body["evidence_id"].startswith("EVD-") and body["item_no"] == 1
    by_officer = api("POST", evidence, "officer", json=EVIDENCE).json()
    listed = api("GET", evidence, "clearance").json()
    assert [e["evidence_id"] for e in listed] == [body["evidence_id"], by_officer["evidence_id"]]
    assert api("GET", evidence, "analyst").status_code == 200


def test_evidence_is_reviewed_once_with_a_reason(api):
    decision = api.decided()
    evidence = f"/v1/decisions/{decision}/evidence"
    given = api("POST", evidence, "clearance", json=EVIDENCE).json()["evidence_id"]
    review = f"{evidence}/{given}/review"
    assert fields(api("POST", review, "officer", json={"accept": False, "reason": " "})) == {
        "reason"
    }
    assert fields(api("POST", review, "officer", json={"reason": "why"})) == {"accept"}
    other = api.decided()
    elsewhere = f"/v1/decisions/{other}/evidence/{given}/review"
    misplaced = api("POST", elsewhere, "officer", json={"accept": False, "reason": "x"})
    assert misplaced.status_code == 404
    rejected = api("POST", review, "officer", json={"accept": False, "reason": "not accredited"})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["decision"] is None
    assert rejected.json()["evidence"]["status"] == "rejected"
    for accept in (True, False):
        again = api("POST", review, "officer", json={"accept": accept, "reason": "again"})
        assert again.status_code == 409 and "rejected" in again.json()["detail"]
    recorded = api("GET", f"/v1/decisions/{decision}", "officer").json()
    assert recorded["superseded_by"] is None


def model_selected(api: Api, cycle) -> tuple[dict, dict]:
    """A decision, recorded for the clearance system, on a recent declaration of the
    cycle's lake of which the model selects a goods item; and that item."""
    settings, _ = cycle
    lake = DataLake(settings.data_dir)
    declarations = pd.read_parquet(lake.source_path(lake.validated, "declarations"))
    recent = declarations[[c.name for c in DECLARATIONS.columns]].tail(MAX_BATCH)
    body = {"declarations": json.loads(recent.to_json(orient="records", date_format="iso"))}
    scored = api("POST", "/v1/score/batch?explain=false", "clearance", json=body)
    assert scored.status_code == 200, scored.text
    for decision in scored.json()["decisions"]:
        for item in decision["items"]:
            if any(m["source"] == "model" and m["categories"] for m in item["measures"]):
                return decision, item
    raise AssertionError("the model selects none of the recent goods items")


def test_accepted_evidence_decides_again_and_links_the_two_decisions(api, own_project, cycle):
    old_decision, selected = model_selected(api, cycle)
    old_id, item_no = old_decision["decision_id"], selected["item_no"]
    rebutted = sorted(
        {c for m in selected["measures"] if m["source"] == "model" for c in m["categories"]}
    )
    declared = next(
        i
        for i in api("GET", f"/v1/decisions/{old_id}", "officer").json()["inputs"]
        if i["item_no"] == item_no
    )
    scope = {"hs_prefixes": [declared["hs_code"][:4]], "consignee_ids": [declared["consignee_id"]]}
    drafted = api("POST", "/v1/instructions", "publisher", json=INSTRUCTION | {"scope": scope})
    instruction_id = drafted.json()["instruction_id"]
    published = f"/v1/instructions/{instruction_id}/publish"
    assert api("POST", published, "publisher-2").status_code == 200
    evidence = f"/v1/decisions/{old_id}/evidence"
    lab_report = EVIDENCE | {"categories": rebutted, "item_no": item_no}
    evidence_id = api("POST", evidence, "clearance", json=lab_report).json()["evidence_id"]
    pending = api("POST", evidence, "officer", json=EVIDENCE).json()["evidence_id"]

    review = {"accept": True, "reason": "the documents convince"}
    accepted = api("POST", f"{evidence}/{evidence_id}/review", "officer", json=review)
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    new = RecordedDecisionResponse.model_validate(body["decision"])
    assert body["evidence"]["status"] == "accepted"
    assert body["evidence"]["redecision_id"] == new.decision_id != old_id
    assert (new.supersedes, new.evidence_id, new.caller) == (old_id, evidence_id, "officer")
    assert new.decision.declaration_id == old_decision["declaration_id"]
    assert [(r.evidence_id, r.item_no, r.categories) for r in new.decision.rebuttals] == [
        (evidence_id, item_no, tuple(rebutted))
    ]
    for old_item, new_item in zip(old_decision["items"], new.decision.items, strict=True):
        assert new_item.selection.model_dump() == old_item["selection"], "the same draws"
        assert {c: r.probability for c, r in new_item.risks.items()} == {
            c: r["probability"] for c, r in old_item["risks"].items()
        }, "the model's assessment is kept as made"
    new_item = next(i for i in new.decision.items if i.item_no == item_no)
    from_model = {c for m in new_item.measures if m.source == "model" for c in m.categories}
    assert not from_model & set(rebutted), "no model measure for a rebutted category"
    assert [m.instruction_id for m in new_item.measures if m.source == "instruction"] == [
        instruction_id
    ], "the instructions published now apply"
    randomly = ("MAN", "random") in [(m.code, m.source) for m in new_item.measures]
    assert randomly == new_item.selection.random

    again = api("GET", f"/v1/decisions/{old_id}", "clearance").json()
    assert again["superseded_by"] == new.decision_id and again["supersedes"] is None
    seen = api("GET", f"/v1/decisions/{new.decision_id}", "clearance")
    assert seen.status_code == 200, "the declarant's clearance system sees its new decision"
    assert seen.json()["supersedes"] == old_id and seen.json()["superseded_by"] is None
    assert api("GET", f"/v1/decisions/{new.decision_id}", "other-clearance").status_code == 404

    closed = api("POST", evidence, "clearance", json=EVIDENCE)
    assert closed.status_code == 409 and new.decision_id in closed.json()["detail"]
    late = api("POST", f"{evidence}/{pending}/review", "officer", json=review)
    assert late.status_code == 409
    on_new = api("POST", f"/v1/decisions/{new.decision_id}/evidence", "clearance", json=EVIDENCE)
    assert on_new.status_code == 201
    ledger = Ledger.open(own_project.resolved_database_url)
    try:
        assert ledger.decisions.verify().intact
        stored = ledger.decisions.get(new.decision_id)
        assert stored.payload["redecision"]["supersedes"] == old_id  # under the hash
        actions = [e.action for e in ledger.audit.events(entity_id=evidence_id)]
        assert actions == ["evidence.submit", "evidence.accept"]
    finally:
        ledger.close()


def test_expert_assessments_are_recorded_and_listed(api):
    decision = api.decided()
    path = f"/v1/decisions/{decision}/assessments"
    assessment = {
        "item_no": 1,
        "category": "food_safety",
        "conclusion": "risk_overstated",
        "level": 2,
        "comment": "Same producer, ten clean lab results this year.",
    }
    for field, change in {
        "conclusion": {"conclusion": "probably"},
        "level": {"level": 5},
        "category": {"category": "tobacco"},
        "comment": {"comment": ""},
        "item_no": {"item_no": 3},
    }.items():
        assert fields(api("POST", path, "officer", json=assessment | change)) == {field}
    recorded = api("POST", path, "officer", json=assessment)
    assert recorded.status_code == 201, recorded.text
    unsure = {"conclusion": "inconclusive", "level": 3, "comment": "?"}
    whole = api("POST", path, "analyst", json=unsure)
    assert whole.status_code == 201 and whole.json()["item_no"] is None
    listed = api("GET", path, "analyst").json()
    assert [(a["author"], a["conclusion"]) for a in listed] == [
        ("officer", "risk_overstated"),
        ("analyst", "inconclusive"),
    ]
    unknown = api("POST", "/v1/decisions/nope/assessments", "officer", json=assessment)
    assert unknown.status_code == 404


def warning(**changes) -> dict:
    now = datetime.now(UTC)
    return {
        "audience": "enterprises",
        "scope": {"hs_prefixes": ["2204"], "origin_countries": ["ES"]},
        "category": "food_safety",
        "valid_to": (now + timedelta(days=30)).isoformat(),
        "title_zh": "西班牙葡萄酒二氧化硫超标风险预警",
        "title_en": "Sulphur dioxide above limit: still wine from Spain",
        "text_zh": "近期抽检发现二氧化硫超标，请进口企业核查。",
        "text_en": "Recent samples exceeded the sulphur dioxide limit; importers should check.",
        "source_signal": {"kind": "findings_rate", "segment": "22×ES", "rate": 0.08},
    } | changes


def test_warnings_are_issued_listed_and_withdrawn_once(api):
    now = datetime.now(UTC)
    for field, change in {
        "valid_to": {"valid_from": (now + timedelta(days=40)).isoformat()},
        "category": {"category": "tobacco"},
        "scope": {"scope": {}},
        "audience": {"audience": "press"},
        "title_en": {"title_en": " "},
    }.items():
        assert fields(api("POST", "/v1/warnings", "analyst", json=warning(**change))) == {field}
    issued = api("POST", "/v1/warnings", "analyst", json=warning())
    assert issued.status_code == 201, issued.text
    body = issued.json()
    assert body["warning_id"].startswith("RW-") and body["in_force_now"]
    assert (body["issued_by"], body["status"]) == ("analyst", "issued")
    later = warning(audience="public", valid_from=(now + timedelta(days=2)).isoformat())
    future = api("POST", "/v1/warnings", "publisher", json=later).json()
    assert not future["in_force_now"]
    withdraw = f"/v1/warnings/{body['warning_id']}/withdraw"
    assert fields(api("POST", withdraw, "analyst", json={"reason": ""})) == {"reason"}
    withdrawn = api("POST", withdraw, "publisher", json={"reason": "lot recalled"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert api("POST", withdraw, "analyst", json={"reason": "again"}).status_code == 409
    unknown = api("POST", "/v1/warnings/RW-nope/withdraw", "analyst", json={"reason": "x"})
    assert unknown.status_code == 404

    def ids(query: str) -> list[str]:
        return [w["warning_id"] for w in api("GET", f"/v1/warnings{query}", "officer").json()]

    assert ids("") == [future["warning_id"], body["warning_id"]]
    assert ids("?status=withdrawn") == [body["warning_id"]]
    assert ids("?audience=public") == [future["warning_id"]]
    assert ids("?in_force=true") == []
    assert ids("?in_force=false") == [future["warning_id"], body["warning_id"]]
    assert fields(api("GET", "/v1/warnings?status=expired", "officer")) == {"query.status"}


def test_the_feed_is_json_feed_of_the_warnings_in_force(api):
    now = datetime.now(UTC)
    enterprises = api("POST", "/v1/warnings", "analyst", json=warning()).json()
    internal = warning(audience="customs_internal")
    internal = api("POST", "/v1/warnings", "analyst", json=internal).json()
    gone = api("POST", "/v1/warnings", "analyst", json=warning()).json()
    api("POST", f"/v1/warnings/{gone['warning_id']}/withdraw", "analyst", json={"reason": "x"})
    later = warning(valid_from=(now + timedelta(days=1)).isoformat())
    api("POST", "/v1/warnings", "analyst", json=later)

    response = api("GET", "/v1/warnings/feed", "clearance")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/feed+json")
    feed = response.json()
    assert feed["version"] == FEED and feed["title"] and feed["language"] == "zh-CN"
    assert {i["id"] for i in feed["items"]} == {enterprises["warning_id"], internal["warning_id"]}
    item = next(i for i in feed["items"] if i["id"] == enterprises["warning_id"])
    assert (item["title"], item["content_text"]) == (warning()["title_zh"], warning()["text_zh"])
    assert datetime.fromisoformat(item["date_published"]) <= datetime.fromisoformat(
        item["date_modified"]
    )
    customs = item["_customs"]
    assert customs["audience"] == "enterprises" and customs["category"] == "food_safety"
    assert customs["scope"] == {"hs_prefixes": ["2204"], "origin_countries": ["ES"]}
    assert customs["title_en"] == warning()["title_en"] and customs["text_zh"]
    assert datetime.fromisoformat(customs["valid_to"]) > now

    english = api("GET", "/v1/warnings/feed?lang=en&audience=customs_internal", "officer").json()
    assert english["language"] == "en"
    assert [(i["id"], i["title"]) for i in english["items"]] == [
        (internal["warning_id"], warning()["title_en"])
    ]
    assert fields(api("GET", "/v1/warnings/feed?lang=fr", "clearance")) == {"query.lang"}
    assert fields(api("GET", "/v1/warnings/feed?audience=press", "clearance")) == {"query.audience"}

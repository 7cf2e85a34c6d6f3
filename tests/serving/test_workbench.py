"""The workbench's sessions, roles, forms and masking, through the app (no browser): what a
reviewer may see and do, and that every refusal changes nothing."""

from __future__ import annotations

import json
import re
import shutil

import pytest
from fastapi.testclient import TestClient

from config.settings import PROJECT_ROOT
from ledger.actors import Actor, Role
from ledger.store import Ledger
from serving.app import create_app
from sources.lake import DataLake

pytestmark = pytest.mark.integration
DECLARATION = json.loads((PROJECT_ROOT / "examples" / "declaration.json").read_text())
CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


@pytest.fixture(scope="module")
def project(cycle, tmp_path_factory):
    """The cycle's project with a ledger of this module's own, cookies over plain http."""
    settings, _ = cycle
    data = tmp_path_factory.mktemp("workbench") / "data"
    shutil.copytree(DataLake(settings.data_dir).state, DataLake(data).state)
    shutil.copytree(settings.resolved_model_cache_dir, data / "serving" / "model")
    own = settings.model_copy(
        update={
            "data_dir": data,
            "model_cache_dir": None,
            "reload_interval_seconds": 0,
            "workbench_secure_cookie": False,
        }
    )
    from pipelines.demo_keys import issue_demo_keys

    return own, issue_demo_keys(own)


@pytest.fixture(scope="module")
def decision_id(project):
    settings, keys = project
    with TestClient(create_app(settings)) as client:
        answer = client.post(
            "/v1/score",
            json=DECLARATION,
            headers={"Authorization": f"Bearer {keys['demo-clearance']}"},
        )
    assert answer.status_code == 200, answer.text
    return answer.json()["decision_id"]


def signed_in(settings, key: str) -> TestClient:
    client = TestClient(create_app(settings), follow_redirects=False)
    client.__enter__()
    answer = client.post("/workbench/sign-in", data={"key": key})
    assert answer.status_code == 303, answer.text
    return client


def csrf_of(client: TestClient, path: str) -> str:
    return CSRF.search(client.get(path).text).group(1)


def test_the_session_cookie_is_secure_httponly_strict_and_scoped(project):
    settings, keys = project
    secure = settings.model_copy(update={"workbench_secure_cookie": True})
    with TestClient(create_app(secure), follow_redirects=False) as client:
        answer = client.post("/workbench/sign-in", data={"key": keys["demo-officer"]})
    cookie = answer.headers["set-cookie"].lower()
    for attribute in ("secure", "httponly", "samesite=strict", "path=/workbench"):
        assert attribute in cookie
    assert keys["demo-officer"].lower() not in cookie


def test_sign_in_refuses_unknown_and_clearance_keys_and_never_redirects_off_site(project):
    settings, keys = project
    with TestClient(create_app(settings), follow_redirects=False) as client:
        assert client.get("/workbench/").status_code == 303
        assert client.post("/workbench/sign-in", data={"key": "cr_nope_x"}).status_code == 401
        refused = client.post("/workbench/sign-in", data={"key": keys["demo-clearance"]})
        assert refused.status_code == 401 and "wb_session" not in refused.headers.get(
            "set-cookie", ""
        )
        away = client.post(
            "/workbench/sign-in", data={"key": keys["demo-officer"], "next": "//evil.example/"}
        )
        assert away.headers["location"] == "/workbench/"


def test_sign_out_ends_the_session_and_forms_need_the_sessions_token(project):
    settings, keys = project
    client = signed_in(settings, keys["demo-officer"])
    assert client.get("/workbench/").status_code == 200
    assert client.post("/workbench/sign-out", data={"csrf": "forged"}).status_code == 403
    assert client.get("/workbench/").status_code == 200
    token = csrf_of(client, "/workbench/")
    assert client.post("/workbench/sign-out", data={"csrf": token}).status_code == 303
    assert client.get("/workbench/").status_code == 303


def test_each_role_sees_only_what_it_may(project, decision_id):
    settings, keys = project
    officer = signed_in(settings, keys["demo-officer"])
    analyst = signed_in(settings, keys["demo-analyst"])
    assert officer.get("/workbench/instructions/new").status_code == 403
    assert analyst.get("/workbench/instructions/new").status_code == 200
    token = csrf_of(analyst, f"/workbench/decisions/{decision_id}")
    refused = analyst.post(
        f"/workbench/decisions/{decision_id}/outcome",
        data={
            "csrf": token,
            "inspected_at": "2026-07-02T10:00",
            "outcome_known_at": "2026-07-03T10:00",
        },
    )
    assert refused.status_code == 403
    ledger = Ledger.open(settings.resolved_database_url)
    try:
        assert ledger.outcomes.get(decision_id, 1) is None
    finally:
        ledger.close()
    consignee = DECLARATION["declaration"]["consignee_id"]
    assert consignee in officer.get(f"/workbench/decisions/{decision_id}").text
    page = analyst.get(f"/workbench/decisions/{decision_id}").text
    assert consignee not in page and consignee[:4] + "…" in page


def test_reading_a_decision_page_is_audited(project, decision_id):
    settings, keys = project
    officer = signed_in(settings, keys["demo-officer"])
    ledger = Ledger.open(settings.resolved_database_url)
    try:
        before = len(ledger.audit.events(entity="decision", entity_id=decision_id))
        assert officer.get(f"/workbench/decisions/{decision_id}").status_code == 200
        reads = ledger.audit.events(entity="decision", entity_id=decision_id)
    finally:
        ledger.close()
    assert len(reads) == before + 1
    assert (reads[-1].action, reads[-1].actor) == ("decision.read", "demo-officer")


def test_the_outcome_form_says_what_is_wrong_in_chinese_and_records_once(project, decision_id):
    settings, keys = project
    officer = signed_in(settings, keys["demo-officer"])
    path = f"/workbench/decisions/{decision_id}"
    form = {"csrf": csrf_of(officer, path), "item_no": "1"}
    wrong = officer.post(
        f"{path}/outcome",
        data={**form, "inspected_at": "2026-07-03T10:00", "outcome_known_at": "2026-07-02T10:00"},
    )
    assert wrong.status_code == 422
    assert "结果获知时间不得早于查验时间" in wrong.text
    missing = officer.post(f"{path}/outcome", data=form)
    assert missing.status_code == 422 and "此项为必填项" in missing.text
    good = {
        **form,
        "inspected_at": "2026-07-02T10:00",
        "outcome_known_at": "2026-07-03T10:00",
        "found_food_safety": "on",
    }
    assert officer.post(f"{path}/outcome", data=good).status_code == 303
    again = officer.post(f"{path}/outcome", data=good)
    assert again.status_code == 422 and "该商品项已登记查验结果" in again.text
    ledger = Ledger.open(settings.resolved_database_url)
    try:
        recorded = ledger.outcomes.get(decision_id, 1)
    finally:
        ledger.close()
    assert recorded.findings["food_safety"] and recorded.recorded_by == "demo-officer"


def test_a_revoked_key_ends_its_sessions(project):
    settings, _ = project
    ledger = Ledger.open(settings.resolved_database_url)
    try:
        key, stored = ledger.keys.create(Role.officer, "leaving", actor=Actor("tests", Role.admin))
        client = signed_in(settings, key)
        assert client.get("/workbench/").status_code == 200
        ledger.keys.revoke(stored.key_id, actor=Actor("tests", Role.admin))
    finally:
        ledger.close()
    assert client.get("/workbench/").status_code == 303


def test_the_language_is_chosen_and_remembered(project):
    settings, keys = project
    client = signed_in(settings, keys["demo-officer"])
    assert 'lang="zh-CN"' in client.get("/workbench/").text
    switched = client.get("/workbench/language?to=en&next=/workbench/")
    assert switched.status_code == 303 and switched.headers["location"] == "/workbench/"
    page = client.get("/workbench/").text
    assert 'lang="en"' in page and "Sign out" in page


def test_an_unknown_decision_is_a_page_not_json_and_the_queue_read_is_audited(project):
    settings, keys = project
    officer = signed_in(settings, keys["demo-officer"])
    missing = officer.get("/workbench/decisions/no-such-decision")
    assert missing.status_code == 404 and "未找到" in missing.text
    assert officer.get("/workbench/?level=4&category=revenue").status_code == 200
    ledger = Ledger.open(settings.resolved_database_url)
    try:
        reads = ledger.audit.events(entity="queue", actor="demo-officer")
    finally:
        ledger.close()
    assert reads[-1].action == "queue.read"
    assert reads[-1].new["filters"]["level"] == 4
    assert reads[-1].new["filters"]["category"] == "revenue"


def test_workbench_pages_carry_server_timing_and_a_strict_content_policy(project):
    settings, keys = project
    officer = signed_in(settings, keys["demo-officer"])
    page = officer.get("/workbench/")
    assert re.fullmatch(r"app;dur=[0-9.]+", page.headers["server-timing"])
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "server-timing" not in officer.get("/healthz").headers


def test_the_workbench_works_on_either_backend(project, database_url, tmp_path):
    """Sessions, the queue's facts, the audited read and the outcome form on the embedded
    SQLite ledger and on PostgreSQL."""
    settings, _ = project
    on_backend = settings.model_copy(
        update={"database_url": database_url, "demo_keys_file": tmp_path / "keys.json"}
    )
    from pipelines.demo_keys import issue_demo_keys

    keys = issue_demo_keys(on_backend)
    bearer = {"Authorization": f"Bearer {keys['demo-clearance']}"}
    with TestClient(create_app(on_backend)) as api:
        decision_id = api.post("/v1/score", json=DECLARATION, headers=bearer).json()["decision_id"]
    officer = signed_in(on_backend, keys["demo-officer"])
    queue = officer.get("/workbench/")
    assert queue.status_code == 200 and f"/workbench/decisions/{decision_id}" in queue.text
    path = f"/workbench/decisions/{decision_id}"
    form = {
        "csrf": csrf_of(officer, path),
        "item_no": "1",
        "inspected_at": "2026-07-02T10:00",
        "outcome_known_at": "2026-07-03T10:00",
    }
    assert officer.post(f"{path}/outcome", data=form).status_code == 303
    ledger = Ledger.open(database_url)
    try:
        assert ledger.outcomes.get(decision_id, 1).recorded_by == "demo-officer"
        reads = ledger.audit.events(entity="decision", entity_id=decision_id)
        assert [e.action for e in reads] == ["decision.read"] * len(reads) and reads
    finally:
        ledger.close()

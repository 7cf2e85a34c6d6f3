"""The reviewers' workbench in a real browser (Chromium, headless) against real uvicorn."""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path

import httpx
import pytest
from browsing import shoot, sign_in
from playwright.sync_api import expect

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _open_level_4_decision(page, base: str) -> None:
    page.goto(f"{base}/workbench/")
    page.select_option("#f-level", "4")
    page.get_by_role("button", name=re.compile("应用|Apply")).click()
    expect(page).to_have_url(re.compile(r"level=4"))
    page.locator("table tbody tr td a").first.click()
    expect(page).to_have_url(re.compile(r"/workbench/decisions/"))


def test_officer_reads_reasons_in_chinese_then_english_and_records_an_outcome(
    page, workbench_server
):
    base, keys = workbench_server
    sign_in(page, base, keys["demo-officer"])
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    shoot(page, "queue-zh")
    _open_level_4_decision(page, base)
    level = page.locator("section h2 .level").first
    expect(level).to_contain_text("4")
    chart = page.locator("figure.chart svg").first
    expect(chart).to_be_visible()
    assert CJK.search(chart.text_content()), "the reasons are not in Chinese"
    shoot(page, "decision-zh")

    page.get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    chart_text = page.locator("figure.chart svg").first.text_content()
    assert not CJK.search(chart_text.replace("元", "")), chart_text[:300]
    expect(page.get_by_role("heading", name="Risk per category").first).to_be_visible()
    shoot(page, "decision-en")

    form = page.locator("form[action$='/outcome']").first
    form.get_by_label("Inspected at (UTC)").fill("2000-01-02T10:00")
    form.get_by_label("Result known at (UTC)").fill("2000-01-01T10:00")
    form.get_by_role("button", name="Record outcome").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("must not be before inspected_at")
    shoot(page, "outcome-invalid-en")

    form = page.locator("form[action$='/outcome']").first
    form.get_by_label("Inspected at (UTC)").fill("2030-01-02T10:00")
    form.get_by_label("Result known at (UTC)").fill("2030-01-03T10:00")
    form.locator("input[name='found_revenue']").check()
    form.locator("input[name='description_revenue']").fill("undervalued by 40 %")
    form.get_by_role("button", name="Record outcome").click()
    expect(page.get_by_role("status")).to_contain_text("Outcome recorded")
    expect(page.get_by_text("undervalued").or_(page.get_by_text("Recorded by"))).not_to_have_count(
        0
    )
    shoot(page, "outcome-recorded-en")


def test_a_clearance_key_cannot_open_the_workbench(page, workbench_server):
    base, keys = workbench_server
    sign_in(page, base, keys["demo-clearance"])
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/workbench/sign-in"))
    page.goto(f"{base}/workbench/")
    expect(page).to_have_url(re.compile(r"/workbench/sign-in"))
    # A bearer key is not a session either.
    bearer = {"Authorization": f"Bearer {keys['demo-clearance']}"}
    answer = httpx.get(f"{base}/workbench/", headers=bearer, follow_redirects=False)
    assert answer.status_code == 303 and "/sign-in" in answer.headers["location"]


def test_analyst_drafts_with_a_test_run_a_publisher_publishes_and_a_score_hits_it(
    browser, workbench_server
):
    base, keys = workbench_server
    analyst = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    page = analyst.new_page()
    sign_in(page, base, keys["demo-analyst"])
    page.goto(f"{base}/workbench/language?to=en&next=/workbench/instructions/new")
    page.get_by_label("HS code starts with").fill("22")  # beverages, the example's wine too
    page.locator("#m-LAB").check()
    page.locator("#c-food_safety").check()
    page.get_by_label("Reason, for the examining officer").fill("Sample still wine for SO2.")
    page.get_by_label("Valid to (UTC)").fill("2030-12-31T23:59")
    page.get_by_role("button", name="Test run").click()
    expect(page.get_by_role("heading", name=re.compile("Test run"))).to_be_visible()
    shown = [
        int(page.locator(f"#test-run-{what}").text_content().replace(",", ""))
        for what in ("hits", "items")
    ]
    draft = {
        "scope": {"hs_prefixes": ["22"]},
        "measures": ["LAB"],
        "categories": ["food_safety"],
        "reason": "Sample still wine for SO2.",
        "valid_to": "2030-12-31T23:59:00Z",
    }
    bearer = {"Authorization": f"Bearer {keys['demo-analyst']}"}
    api = httpx.post(f"{base}/v1/instructions/test-run", json=draft, headers=bearer, timeout=30)
    assert shown == [api.json()["items_hit"], api.json()["items"]] and shown[0] > 0
    shoot(page, "instruction-test-run-en")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/workbench/instructions/INS-"))
    instruction_id = page.url.rsplit("/", 1)[-1]
    expect(page.locator("#status-now")).to_contain_text(re.compile("[Dd]raft"))
    analyst.close()

    publisher = browser.new_context(viewport={"width": 1280, "height": 800})
    page = publisher.new_page()
    sign_in(page, base, keys["demo-publisher"])
    page.goto(f"{base}/workbench/language?to=en&next=/workbench/instructions/{instruction_id}")
    page.get_by_role("button", name="Publish (second person)").click()
    expect(page.locator("#status-now")).to_contain_text(re.compile("[Pp]ublished"))
    shoot(page, "instruction-published-en")
    publisher.close()

    example = json.loads((ROOT / "examples" / "declaration.json").read_text())
    bearer = {"Authorization": f"Bearer {keys['demo-clearance']}"}
    deadline = time.monotonic() + 10
    while True:  # the API re-reads published instructions every 0.2 s here
        scored = httpx.post(f"{base}/v1/score", json=example, headers=bearer, timeout=10)
        assert scored.status_code == 200, scored.text
        sources = {m.get("instruction_id") for m in scored.json()["measures"]}
        if instruction_id in sources or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert instruction_id in sources


UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(e => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label'))
  .map(e => e.name || e.id)"""
OVERFLOW = "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"


def test_pages_are_labelled_keyboard_usable_and_fit_a_narrow_window(browser, workbench_server):
    base, keys = workbench_server
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{base}/workbench/")
    expect(page.locator("#key")).to_be_focused()  # sign in without the mouse
    page.keyboard.type(keys["demo-officer"])
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/workbench/$"))
    page.keyboard.press("Tab")  # the first stop skips the navigation
    expect(page.locator(".skip")).to_be_focused()
    for path in ("/workbench/", "/workbench/instructions"):
        page.goto(base + path)
        assert page.evaluate(UNLABELLED) == [], path
        assert page.evaluate(OVERFLOW) <= 0, path
    page.goto(f"{base}/workbench/")
    page.locator("table tbody tr td a").first.click()
    assert page.evaluate(UNLABELLED) == []
    assert page.evaluate(OVERFLOW) <= 0
    shoot(page, "decision-narrow-zh")
    context.close()


def test_an_analyst_issues_a_warning_that_the_feed_publishes(browser, workbench_server):
    base, keys = workbench_server
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, base, keys["demo-analyst"])
    page.goto(f"{base}/workbench/warnings")
    proposals = page.get_by_role("link", name="据此信号起草预警")
    if proposals.count():  # a monitoring signal prefills scope and category
        proposals.first.click()
        expect(page.locator("input[name='source_signal']")).to_have_count(1)
    else:
        page.get_by_label("商品编号（HS）开头为").fill("2204")
    page.get_by_label("发布对象").select_option("enterprises")
    page.get_by_label("失效时间（UTC）").fill("2030-06-30T00:00")
    page.get_by_label("中文标题").fill("进口葡萄酒二氧化硫超标风险")
    page.get_by_label("英文标题").fill("Sulphur dioxide in imported wine")
    page.get_by_label("中文内容").fill("近期查验发现二氧化硫超标，请进口企业加强自检。")
    page.get_by_label("英文内容").fill("Excess SO2 found; importers should test.")
    page.get_by_role("button", name="发布预警").click()
    expect(page.get_by_text("进口葡萄酒二氧化硫超标风险")).to_be_visible()
    shoot(page, "warnings-zh")
    context.close()
    bearer = {"Authorization": f"Bearer {keys['demo-clearance']}"}
    feed = httpx.get(f"{base}/v1/warnings/feed?lang=en", headers=bearer, timeout=10)
    assert feed.status_code == 200
    assert "Sulphur dioxide in imported wine" in {item["title"] for item in feed.json()["items"]}


def test_evidence_accepted_decides_again_and_an_analyst_adds_an_assessment(
    browser, workbench_server, tmp_path
):
    base, keys = workbench_server
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, base, keys["demo-officer"])
    page.goto(f"{base}/workbench/language?to=en&next=/workbench/%3Flevel%3D4")
    page.locator("table tbody tr td a").first.click()
    decision_url = page.url.split("#")[0]
    # the category that set the level (first row of the risk table) is the one rebutted
    top_category = page.locator("section .table-wrap table tbody tr th").first.text_content()
    page.get_by_text("Record evidence given by the enterprise").click()
    form = page.locator("form[action$='/evidence']")
    form.get_by_label(top_category.strip(), exact=True).check()
    form.get_by_label("Document reference").fill("CIQ lab report 2026-0412")
    document = tmp_path / "report.pdf"
    document.write_bytes(b"%PDF-1.4 lab report")
    form.get_by_label("Document (only its SHA-256 is kept)").set_input_files(str(document))
    form.get_by_label("What it shows").fill("Accredited lab found no residue.")
    form.get_by_role("button", name="Record evidence").click()
    evidence = page.locator("#evidence .card").first
    expect(evidence).to_contain_text("Pending review")
    digest = hashlib.sha256(document.read_bytes()).hexdigest()
    expect(evidence).to_contain_text(digest)  # only the uploaded document's hash is kept
    evidence.get_by_label("Reason for the review").fill("Lab is accredited; report matches.")
    evidence.get_by_role("button", name="Accept and decide again").click()
    expect(page.get_by_text("This decision replaces")).to_be_visible()
    assert page.url.split("#")[0] != decision_url
    shoot(page, "redecision-en")
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in(page, base, keys["demo-analyst"])
    page.goto(decision_url)
    page.get_by_text("添加专家评估").click()
    page.get_by_label("结论").select_option("risk_overstated")
    page.get_by_label("评估意见").fill("同类货物近一年查验均未发现问题。")
    page.get_by_role("button", name="登记评估").click()
    assessment = page.locator("#assessments .card").first
    expect(assessment).to_contain_text("风险被高估")
    expect(assessment).to_contain_text("demo-analyst")
    context.close()


def test_the_model_and_monitoring_page_shows_metrics_and_trend_charts(page, workbench_server):
    base, keys = workbench_server
    sign_in(page, base, keys["demo-analyst"])
    page.goto(f"{base}/workbench/language?to=en&next=/workbench/monitoring")
    expect(page.get_by_role("heading", name="Served model")).to_be_visible()
    expect(page.get_by_role("heading", name="Test-window metrics per category")).to_be_visible()
    assert page.locator("#model-h ~ div table tbody tr").count() >= 1
    assert page.locator("figure.chart svg").count() >= 3
    shoot(page, "monitoring-en")

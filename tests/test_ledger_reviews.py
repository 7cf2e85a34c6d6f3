"""Evidence and its review (Art. 15), expert assessments (Art. 11) and risk warnings (Art.
14) in the ledger, on SQLite and PostgreSQL: each change audited, refusals change nothing,
an accepted evidence and the decision taken again recorded together or not at all."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from ledger_testing import sample_decision
from sqlalchemy import text

from disposal import warnings as warning_rules
from disposal.warnings import WarningError
from ledger.actors import Actor, Role
from ledger.errors import (
    AlreadyReviewed,
    DecisionSuperseded,
    UnknownDecision,
    UnknownEvidence,
    UnknownWarning,
    WarningWithdrawn,
)
from ledger.evidence import NewEvidence
from ledger.store import Ledger

OFFICER = Actor("officer-li", Role.officer)
OTHER_OFFICER = Actor("officer-zhao", Role.officer)
ANALYST = Actor("analyst-wu", Role.analyst)
ENTERPRISE = Actor("clearance-system-1", Role.clearance_system)
SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
LAB_REPORT = NewEvidence(
    item_no=1,
    categories=("food_safety",),
    document_reference="CIQ lab report 2026-0712, sorbic acid within GB 2760",
    document_sha256=SHA,
    description="Accredited lab found sorbic acid at 0.2 g/kg, within the limit.",
)


@pytest.fixture
def ledger(database_url):
    opened = Ledger.open(database_url)
    yield opened
    opened.close()


def rows(ledger: Ledger, table: str) -> list:
    with ledger.engine.connect() as connection:
        return connection.execute(text(f"SELECT * FROM {table}")).all()


def redecision_of(decision, evidence_id: str):
    """The declaration decided again, as the API would record it (its link in the payload)."""
    payload = {
        **decision.payload,
        "redecision": {"supersedes": decision.decision_id, "evidence_id": evidence_id},
    }
    return sample_decision(decision.declaration_id, caller=OFFICER, payload=payload)


# --- evidence --------------------------------------------------------------------------------


def test_evidence_is_submitted_pending_and_audited(ledger):
    decision = ledger.decisions.record(sample_decision())
    submitted = ledger.evidence.submit(decision.decision_id, LAB_REPORT, ENTERPRISE)
    assert submitted.evidence_id.startswith("EVD-") and len(submitted.evidence_id) == 36
    assert (submitted.status, submitted.categories, submitted.item_no) == (
        "pending",
        ("food_safety",),
        1,
    )
    assert (submitted.submitted_by, submitted.submitted_role) == (
        "clearance-system-1",
        "clearance_system",
    )
    assert ledger.evidence.get(submitted.evidence_id) == submitted
    assert ledger.evidence.of_decision(decision.decision_id) == [submitted]
    events = ledger.audit.events(entity="evidence")
    assert [(e.action, e.entity_id, e.new["status"]) for e in events] == [
        ("evidence.submit", submitted.evidence_id, "pending")
    ]


def test_evidence_on_an_unknown_decision_or_item_is_refused(ledger):
    decision = ledger.decisions.record(sample_decision())
    with pytest.raises(UnknownDecision):
        ledger.evidence.submit("no-such-decision", LAB_REPORT, ENTERPRISE)
    with pytest.raises(UnknownDecision):
        ledger.evidence.submit(decision.decision_id, replace(LAB_REPORT, item_no=3), ENTERPRISE)
    assert rows(ledger, "evidence") == [] and rows(ledger, "audit_events") == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"categories": ()}, "categories"),
        ({"categories": ("tobacco",)}, "categories"),
        ({"categories": ("revenue", "revenue")}, "categories"),
        ({"document_sha256": SHA.upper()}, "document_sha256"),
        ({"document_sha256": SHA[:-1]}, "document_sha256"),
        ({"document_reference": "x" * 201}, "document_reference"),
        ({"description": "  "}, "description"),
    ],
)
def test_invalid_evidence_names_the_field(change, field):
    with pytest.raises(ValueError, match=f"field '{field}'"):
        replace(LAB_REPORT, **change)


def test_rejected_evidence_is_only_recorded_and_reviewed_once(ledger):
    decision = ledger.decisions.record(sample_decision())
    evidence = ledger.evidence.submit(decision.decision_id, LAB_REPORT, ENTERPRISE)
    with pytest.raises(ValueError, match="reason"):
        ledger.evidence.reject(evidence.evidence_id, OFFICER, "   ")
    rejected = ledger.evidence.reject(evidence.evidence_id, OFFICER, "the lab is not accredited")
    assert (rejected.status, rejected.reviewed_by, rejected.reviewed_role) == (
        "rejected",
        "officer-li",
        "officer",
    )
    assert rejected.review_reason == "the lab is not accredited" and rejected.redecision_id is None
    before = (rows(ledger, "evidence"), rows(ledger, "audit_events"), rows(ledger, "decisions"))
    with pytest.raises(AlreadyReviewed):
        ledger.evidence.reject(evidence.evidence_id, OTHER_OFFICER, "again")
    with pytest.raises(AlreadyReviewed):
        ledger.evidence.accept(
            evidence.evidence_id, OTHER_OFFICER, "convinced", redecision_of(decision, "x")
        )
    after = (rows(ledger, "evidence"), rows(ledger, "audit_events"), rows(ledger, "decisions"))
    assert after == before
    assert ledger.evidence.superseded_by(decision.decision_id) is None
    events = ledger.audit.events(entity_id=evidence.evidence_id)
    assert [e.action for e in events] == ["evidence.submit", "evidence.reject"]
    assert (events[1].old["status"], events[1].new["status"]) == ("pending", "rejected")
    with pytest.raises(UnknownEvidence):
        ledger.evidence.reject("EVD-nope", OFFICER, "no such")


def test_accepted_evidence_and_the_new_decision_are_recorded_together_and_linked(ledger):
    decision = ledger.decisions.record(sample_decision())
    evidence = ledger.evidence.submit(decision.decision_id, LAB_REPORT, ENTERPRISE)
    entry = redecision_of(decision, evidence.evidence_id)
    accepted, redecided = ledger.evidence.accept(
        evidence.evidence_id, OFFICER, "lab report convinces", entry
    )
    assert accepted.status == "accepted" and accepted.redecision_id == redecided.decision_id
    assert (redecided.caller, redecided.role, redecided.sequence) == ("officer-li", "officer", 2)
    assert redecided.payload["redecision"]["supersedes"] == decision.decision_id
    assert ledger.evidence.superseded_by(decision.decision_id) == redecided.decision_id
    assert ledger.evidence.superseded_by(redecided.decision_id) is None
    assert ledger.decisions.get(decision.decision_id) is not None  # both stay
    assert ledger.decisions.verify().intact
    event = ledger.audit.events(entity_id=evidence.evidence_id)[-1]
    assert (event.action, event.new["redecision_id"]) == ("evidence.accept", redecided.decision_id)


def test_a_superseded_decision_takes_no_more_evidence_and_no_second_acceptance(ledger):
    decision = ledger.decisions.record(sample_decision())
    first = ledger.evidence.submit(decision.decision_id, LAB_REPORT, ENTERPRISE)
    second = ledger.evidence.submit(
        decision.decision_id, replace(LAB_REPORT, categories=("revenue",)), OFFICER
    )
    ledger.evidence.accept(
        first.evidence_id, OFFICER, "convinced", redecision_of(decision, "first")
    )
    before = (rows(ledger, "evidence"), rows(ledger, "decisions"), rows(ledger, "audit_events"))
    with pytest.raises(DecisionSuperseded):
        ledger.evidence.accept(
            second.evidence_id, OFFICER, "also", redecision_of(decision, "second")
        )
    with pytest.raises(DecisionSuperseded):
        ledger.evidence.submit(decision.decision_id, LAB_REPORT, ENTERPRISE)
    after = (rows(ledger, "evidence"), rows(ledger, "decisions"), rows(ledger, "audit_events"))
    assert after == before, "a refused acceptance records no decision"
    # pending evidence on a superseded decision can still be answered: rejected
    assert ledger.evidence.reject(second.evidence_id, OFFICER, "see the new decision").status == (
        "rejected"
    )


def test_a_new_decision_on_another_declaration_is_refused(ledger):
    decision = ledger.decisions.record(sample_decision())
    evidence = ledger.evidence.submit(decision.decision_id, LAB_REPORT, ENTERPRISE)
    elsewhere = sample_decision("220020260000000099", caller=OFFICER)
    with pytest.raises(ValueError, match="declaration"):
        ledger.evidence.accept(evidence.evidence_id, OFFICER, "convinced", elsewhere)
    assert ledger.evidence.get(evidence.evidence_id).status == "pending"
    assert len(rows(ledger, "decisions")) == 1


def test_two_concurrent_acceptances_make_one_new_decision(ledger):
    decision = ledger.decisions.record(sample_decision())
    evidence = [
        ledger.evidence.submit(decision.decision_id, LAB_REPORT, ENTERPRISE) for _ in range(4)
    ]
    outcomes: list = []

    def accept(e):
        try:
            entry = redecision_of(decision, e.evidence_id)
            outcomes.append(ledger.evidence.accept(e.evidence_id, OFFICER, "ok", entry))
        except DecisionSuperseded as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=accept, args=(e,)) for e in evidence]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    accepted = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(accepted) == 1 and len(outcomes) == 4
    assert len(rows(ledger, "decisions")) == 2
    assert ledger.decisions.verify().intact


# --- expert assessments ----------------------------------------------------------------------


def test_expert_assessments_are_recorded_audited_and_listed(ledger):
    from ledger.assessments import NewAssessment

    decision = ledger.decisions.record(sample_decision())
    whole = ledger.assessments.record(
        decision.decision_id,
        NewAssessment("risk_overstated", 2, "The supplier's history is clean."),
        OFFICER,
    )
    item = ledger.assessments.record(
        decision.decision_id,
        NewAssessment("risk_confirmed", 4, "Same lot refused in Tianjin.", 1, "food_safety"),
        ANALYST,
    )
    assert whole.assessment_id.startswith("EXA-") and whole.item_no is None
    assert (item.author, item.author_role, item.category, item.level) == (
        "analyst-wu",
        "analyst",
        "food_safety",
        4,
    )
    assert ledger.assessments.of_decision(decision.decision_id) == [whole, item]
    events = ledger.audit.events(entity="expert_assessment")
    assert [(e.action, e.entity_id) for e in events] == [
        ("assessment.record", whole.assessment_id),
        ("assessment.record", item.assessment_id),
    ]
    with pytest.raises(UnknownDecision):
        ledger.assessments.record(
            decision.decision_id, NewAssessment("inconclusive", 1, "x", item_no=7), OFFICER
        )
    with pytest.raises(UnknownDecision):
        ledger.assessments.record("nope", NewAssessment("inconclusive", 1, "x"), OFFICER)
    assert len(rows(ledger, "expert_assessments")) == 2


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"conclusion": "probably"}, "conclusion"),
        ({"level": 5}, "level"),
        ({"level": 0}, "level"),
        ({"comment": " "}, "comment"),
        ({"category": "tobacco"}, "category"),
    ],
)
def test_invalid_assessments_name_the_field(fields, field):
    from ledger.assessments import NewAssessment

    values = {"conclusion": "inconclusive", "level": 2, "comment": "why"} | fields
    with pytest.raises(ValueError, match=f"field '{field}'"):
        NewAssessment(**values)


# --- risk warnings ---------------------------------------------------------------------------

NOW = datetime.now(UTC)


def warning(**changes):
    fields = {
        "audience": "enterprises",
        "scope": {"hs_prefixes": ["0207"], "origin_countries": ["BR"]},
        "category": "biosecurity",
        "valid_from": NOW - timedelta(days=1),
        "valid_to": NOW + timedelta(days=30),
        "title_zh": "巴西禽肉新城疫风险预警",
        "title_en": "Newcastle disease risk: poultry from Brazil",
        "text_zh": "自巴西进口禽肉须逐批检测。",
        "text_en": "Poultry from Brazil is tested batch by batch.",
        "issued_by": ANALYST.name,
        "at": NOW,
        "source_signal": {"kind": "drift", "segment": "02×BR", "psi": 0.31},
    }
    return warning_rules.issue(**(fields | changes))


def test_a_warning_is_issued_withdrawn_once_and_audited(ledger):
    issued = ledger.warnings.issue(warning(), ANALYST)
    assert issued.warning_id.startswith("RW-") and issued.status == "issued"
    assert issued.scope == {"hs_prefixes": ["0207"], "origin_countries": ["BR"]}
    assert issued.source_signal == {"kind": "drift", "segment": "02×BR", "psi": 0.31}
    assert ledger.warnings.get(issued.warning_id) == issued
    assert issued.warning().title_zh == "巴西禽肉新城疫风险预警"
    with pytest.raises(WarningError) as blank:
        ledger.warnings.withdraw(issued.warning_id, ANALYST, " ")
    assert blank.value.field == "reason"
    withdrawn = ledger.warnings.withdraw(issued.warning_id, ANALYST, "the outbreak is over")
    assert (withdrawn.status, withdrawn.withdrawn_by) == ("withdrawn", "analyst-wu")
    with pytest.raises(WarningWithdrawn):
        ledger.warnings.withdraw(issued.warning_id, ANALYST, "again")
    with pytest.raises(UnknownWarning):
        ledger.warnings.withdraw("RW-20260101-00000000", ANALYST, "no such")
    events = ledger.audit.events(entity="risk_warning")
    assert [e.action for e in events] == ["warning.issue", "warning.withdraw"]
    assert (events[1].old["status"], events[1].new["status"]) == ("issued", "withdrawn")


def test_warnings_are_listed_by_status_audience_and_force(ledger):
    current = ledger.warnings.issue(warning(), ANALYST)
    public = ledger.warnings.issue(warning(audience="public"), ANALYST)
    future = ledger.warnings.issue(warning(valid_from=NOW + timedelta(days=2)), ANALYST)
    ended = ledger.warnings.issue(warning(), ANALYST)
    ledger.warnings.withdraw(ended.warning_id, ANALYST, "withdrawn")
    ids = lambda found: {w.warning_id for w in found}  # noqa: E731
    assert len(ledger.warnings.list()) == 4
    assert ids(ledger.warnings.list(status="withdrawn")) == {ended.warning_id}
    assert ids(ledger.warnings.list(audience="public")) == {public.warning_id}
    now = datetime.now(UTC)
    assert ids(ledger.warnings.list(in_force_at=now)) == {current.warning_id, public.warning_id}
    assert future.warning_id in ids(ledger.warnings.list(in_force_at=now + timedelta(days=3)))
    # as things stood before the withdrawal
    assert ended.warning_id in ids(ledger.warnings.list(in_force_at=ended.issued_at))

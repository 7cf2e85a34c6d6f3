"""The reviewers' queue and workbench sessions in the ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ledger_testing import sample_decision
from sqlalchemy import text

from ledger.actors import Actor, Role
from ledger.decisions import DecisionLedger, ItemFacts
from ledger.keys import KeyStore
from ledger.outcomes import InspectionOutcome, OutcomeStore
from ledger.queue import QueueFilter, ReviewQueue
from ledger.sessions import SessionStore

HOUR = timedelta(hours=1)


def _facts(item_no: int, probability: float, level: int, category: str, office: str):
    return ItemFacts(
        item_no=item_no,
        overall_probability=probability,
        overall_level=level,
        top_category=category,
        declared_at=datetime(2026, 6, 30, tzinfo=UTC),
        customs_office=office,
        hs_code="2204210000",
        origin_country="ES",
    )


def _record_two(engine):
    decisions = DecisionLedger(engine)
    first = decisions.record(
        sample_decision(
            "220020260000000001",
            facts=[
                _facts(1, 0.31, 4, "food_safety", "2200"),
                _facts(2, 0.004, 1, "revenue", "2200"),
            ],
        )
    )
    second = decisions.record(
        sample_decision("220020260000000002", facts=[_facts(1, 0.12, 3, "ipr", "5300")])
    )
    return first, second


def test_the_queue_filters_sorts_by_risk_and_pages(engine):
    first, _ = _record_two(engine)
    queue = ReviewQueue(engine)
    since = datetime.now(UTC) - HOUR
    everything = queue.page(QueueFilter(since=since))
    assert everything.total == 3
    assert [i.overall_probability for i in everything.items] == [0.31, 0.12, 0.004]
    assert everything.items[0].measures == ("P01", "L01")
    assert everything.items[0].declaration_id == "220020260000000001"

    def ids(**criteria):
        found = queue.page(QueueFilter(since=since, **criteria)).items
        return [(i.declaration_id[-1], i.item_no) for i in found]

    assert ids(level=4) == [("1", 1)]
    assert ids(category="ipr") == [("2", 1)]
    assert ids(customs_office="5300") == [("2", 1)]
    assert ids(credit_level="regular") == [("1", 1), ("2", 1), ("1", 2)]
    assert ids(measure_kind="sampling_lab_test") == [("1", 1), ("2", 1)]
    assert ids(instruction_id="instr-1") == [("1", 1), ("2", 1)]
    assert ids(awaiting_outcome=True) == [("1", 1), ("2", 1)]
    assert queue.page(QueueFilter(since=datetime.now(UTC) + HOUR)).total == 0
    second_page = queue.page(QueueFilter(since=since), page=2, per_page=2)
    assert (second_page.total, second_page.pages, len(second_page.items)) == (3, 2, 1)

    outcome = InspectionOutcome(
        findings={"food_safety": True},
        found={},
        inspected_at=datetime.now(UTC),
        outcome_known_at=datetime.now(UTC),
        duty_assessed_cny=0.0,
        seized=False,
    )
    OutcomeStore(engine).record(first.decision_id, 1, outcome, Actor("officer-1", Role.officer))
    assert ids(awaiting_outcome=True) == [("2", 1)]
    assert queue.page(QueueFilter(since=since)).items[0].outcome_recorded


def test_measure_counts_and_offices_of_the_day(engine):
    _record_two(engine)
    total, counts = ReviewQueue(engine).measure_counts(datetime.now(UTC) - HOUR)
    assert total == 3 and counts == {"P01": 2, "L01": 2}
    assert ReviewQueue(engine).offices(datetime.now(UTC) - HOUR) == ["2200", "5300"]


def test_a_session_ends_at_sign_out_expiry_or_key_revocation(engine):
    keys = KeyStore(engine)
    admin = Actor("tests", Role.admin)
    plaintext, key = keys.create(Role.officer, "officer-1", actor=admin)
    principal = keys.authenticate(plaintext)
    sessions = SessionStore(engine)

    token, opened = sessions.open(principal, timedelta(hours=8))
    resolved = sessions.resolve(token)
    assert resolved.principal == principal and resolved.csrf_token == opened.csrf_token
    assert sessions.resolve(token + "x") is None
    with engine.connect() as connection:  # only the token's hash is stored
        stored = connection.execute(text("SELECT session_hash FROM workbench_sessions")).scalar()
    assert token not in stored

    sessions.end(token, principal)
    assert sessions.resolve(token) is None

    expired, _ = sessions.open(principal, timedelta(seconds=-1))
    assert sessions.resolve(expired) is None

    live, _ = sessions.open(principal, timedelta(hours=8))
    keys.revoke(key.key_id, actor=admin)
    assert sessions.resolve(live) is None

"""Inspection outcomes: one per decided goods item, refusals change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ledger_testing import sample_decision
from sqlalchemy import text

from ledger.actors import Actor, Role
from ledger.audit import AuditLog
from ledger.decisions import DecisionLedger
from ledger.errors import OutcomeAlreadyRecorded, UnknownDecision
from ledger.outcomes import InspectionOutcome, OutcomeStore

OFFICER = Actor(name="officer-li", role=Role.officer)
INSPECTED = datetime(2026, 7, 2, 9, 0, tzinfo=UTC)
FOUND_WINE_ADDITIVE = InspectionOutcome(
    findings={"food_safety": True, "revenue": False},
    found={"food_safety": "sorbic acid above the GB 2760 limit"},
    duty_assessed_cny=1520.5,
    seized=True,
    inspected_at=INSPECTED,
    outcome_known_at=INSPECTED + timedelta(days=3),
)


def rows(engine, table: str) -> list:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT * FROM {table}")).all()


def test_an_outcome_carries_the_decisions_selection(engine):
    decision = DecisionLedger(engine).record(sample_decision())
    recorded = OutcomeStore(engine).record(decision.decision_id, 1, FOUND_WINE_ADDITIVE, OFFICER)
    assert (recorded.selection_reason, recorded.selection_probability) == ("model", 0.02)
    assert recorded.declaration_id == decision.declaration_id
    assert recorded.recorded_by == "officer-li"
    assert OutcomeStore(engine).get(decision.decision_id, 1) == recorded
    assert OutcomeStore(engine).get(decision.decision_id, 2) is None
    audit = AuditLog(engine).events(entity="outcome")
    assert [(e.action, e.entity_id, e.new["findings"]) for e in audit] == [
        ("outcome.record", f"{decision.decision_id}/1", {"food_safety": True, "revenue": False})
    ]


def test_outcomes_since_a_time_in_recording_order(engine):
    decision = DecisionLedger(engine).record(sample_decision())
    store = OutcomeStore(engine)
    first = store.record(decision.decision_id, 2, FOUND_WINE_ADDITIVE, OFFICER)
    second = store.record(decision.decision_id, 1, FOUND_WINE_ADDITIVE, OFFICER)
    assert store.since(first.recorded_at) == [first, second]
    assert store.since(second.recorded_at) == [second]
    assert store.since(second.recorded_at + timedelta(seconds=1)) == []


def test_an_unknown_decision_or_item_is_refused_and_nothing_changes(engine):
    decision = DecisionLedger(engine).record(sample_decision())
    store = OutcomeStore(engine)
    with pytest.raises(UnknownDecision):
        store.record("no-such-decision", 1, FOUND_WINE_ADDITIVE, OFFICER)
    with pytest.raises(UnknownDecision):
        store.record(decision.decision_id, 3, FOUND_WINE_ADDITIVE, OFFICER)
    assert rows(engine, "outcomes") == []
    assert rows(engine, "audit_events") == []


def test_a_second_outcome_is_refused_and_the_first_stays(engine):
    decision = DecisionLedger(engine).record(sample_decision())
    store = OutcomeStore(engine)
    first = store.record(decision.decision_id, 1, FOUND_WINE_ADDITIVE, OFFICER)
    before = (rows(engine, "outcomes"), rows(engine, "audit_events"))
    clean = InspectionOutcome(
        findings={"food_safety": False}, inspected_at=INSPECTED, outcome_known_at=INSPECTED
    )
    with pytest.raises(OutcomeAlreadyRecorded):
        store.record(decision.decision_id, 1, clean, OFFICER)
    assert (rows(engine, "outcomes"), rows(engine, "audit_events")) == before
    assert store.get(decision.decision_id, 1) == first


def test_inspection_times_must_say_their_zone():
    with pytest.raises(ValueError, match="naive"):
        InspectionOutcome(
            findings={}, inspected_at=datetime(2026, 7, 2), outcome_known_at=INSPECTED
        )

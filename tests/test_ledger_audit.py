"""The audit trail: written with the change it records, or not at all."""

from __future__ import annotations

import pytest

from ledger.actors import Actor, Role
from ledger.audit import AuditEvent, AuditLog
from ledger.database import write_transaction
from ledger.schema import InstructionRow, utc_now

ANALYST = Actor(name="analyst-wang", role=Role.analyst)


def instruction_row() -> InstructionRow:
    return InstructionRow(
        instruction_id="instr-9",
        version=1,
        status="drafted",
        payload={"measures": ["L01"]},
        emergency=False,
        created_by=ANALYST.name,
        created_by_role=ANALYST.role,
        created_at=utc_now(),
    )


def test_an_event_commits_with_the_change(engine):
    audit = AuditLog(engine)
    with write_transaction(engine) as session:
        session.add(instruction_row())
        audit.record(
            AuditEvent(ANALYST, "instruction.draft", "instruction", "instr-9", new={"v": 1}),
            session,
        )
    [event] = audit.events()
    assert (event.actor, event.role, event.action, event.new) == (
        "analyst-wang",
        "analyst",
        "instruction.draft",
        {"v": 1},
    )
    assert event.at <= utc_now()


def test_a_failed_change_leaves_no_event(engine):
    audit = AuditLog(engine)
    with pytest.raises(RuntimeError), write_transaction(engine) as session:
        session.add(instruction_row())
        audit.record(AuditEvent(ANALYST, "instruction.draft", "instruction", "instr-9"), session)
        session.flush()  # both rows are in the database's transaction …
        raise RuntimeError("the change fails after its audit event was written")
    assert audit.events() == []  # … and both rolled back


def test_an_event_on_its_own_and_filters(engine):
    audit = AuditLog(engine)
    officer = Actor(name="officer-li", role=Role.officer)
    audit.record(AuditEvent(officer, "decision.read", "decision", "d-1"))
    audit.record(AuditEvent(ANALYST, "decision.read", "decision", "d-2"))
    assert [e.entity_id for e in audit.events(actor="officer-li")] == ["d-1"]
    assert [e.actor for e in audit.events(entity_id="d-2")] == ["analyst-wang"]
    assert audit.events(entity="instruction") == []
    assert len(audit.events(since=utc_now())) == 0

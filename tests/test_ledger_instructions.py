"""Control instructions: every version kept, optimistic versions, what is in force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ledger.actors import Actor, Role
from ledger.audit import AuditLog
from ledger.errors import StaleVersion
from ledger.instructions import PUBLISHED, InstructionStore
from ledger.schema import utc_now

ANALYST = Actor(name="analyst-wang", role=Role.analyst)
PUBLISHER = Actor(name="publisher-zhao", role=Role.publisher)
SCOPE = {"scope": {"hs_prefix": "2204", "origin": "ES"}, "measures": ["L01"], "priority": 2}


def draft(store: InstructionStore, instruction_id: str = "instr-1"):
    return store.save_version(instruction_id, SCOPE, "drafted", ANALYST, action="instruction.draft")


def publish(store, instruction_id="instr-1", expected_version=1, **validity):
    validity.setdefault("valid_from", utc_now() - timedelta(hours=1))
    return store.save_version(
        instruction_id,
        SCOPE,
        PUBLISHED,
        PUBLISHER,
        action="instruction.publish",
        expected_version=expected_version,
        **validity,
    )


def test_every_version_is_kept(engine):
    store = InstructionStore(engine)
    drafted = draft(store)
    published = publish(store)
    revoked = store.save_version(
        "instr-1", SCOPE, "revoked", PUBLISHER, action="instruction.revoke", expected_version=2
    )
    assert [v.version for v in (drafted, published, revoked)] == [1, 2, 3]
    assert store.history("instr-1") == [drafted, published, revoked]
    assert store.current("instr-1") == revoked
    assert store.current("instr-2") is None
    assert (drafted.created_by, drafted.created_by_role) == ("analyst-wang", "analyst")
    assert drafted.payload == SCOPE


def test_a_change_based_on_an_old_version_is_refused_and_changes_nothing(engine):
    store = InstructionStore(engine)
    draft(store)
    publish(store)
    with engine.connect() as connection:
        before = connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    with pytest.raises(StaleVersion):
        publish(store, expected_version=1)
    with pytest.raises(StaleVersion):
        draft(store)  # "new" instruction whose id exists
    assert [v.version for v in store.history("instr-1")] == [1, 2]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == before


def test_each_version_is_audited_with_old_and_new_values(engine):
    store = InstructionStore(engine)
    draft(store)
    publish(store)
    events = AuditLog(engine).events(entity="instruction", entity_id="instr-1")
    assert [(e.actor, e.action) for e in events] == [
        ("analyst-wang", "instruction.draft"),
        ("publisher-zhao", "instruction.publish"),
    ]
    assert events[0].old is None and events[0].new["status"] == "drafted"
    assert (events[1].old["status"], events[1].new["status"]) == ("drafted", "published")


def test_list_shows_the_latest_version_of_each(engine):
    store = InstructionStore(engine)
    draft(store, "instr-1")
    publish(store, "instr-1")
    draft(store, "instr-2")
    assert [(v.instruction_id, v.version) for v in store.list()] == [("instr-1", 2), ("instr-2", 1)]
    assert [v.instruction_id for v in store.list(status="drafted")] == ["instr-2"]
    assert [v.instruction_id for v in store.list(status=PUBLISHED)] == ["instr-1"]


def test_in_force_means_published_and_valid_at_the_time(engine):
    store = InstructionStore(engine)
    now = utc_now()
    draft(store, "current")
    publish(store, "current", valid_to=now + timedelta(days=30))
    draft(store, "expired")
    publish(store, "expired", valid_from=now - timedelta(days=10), valid_to=now - timedelta(days=1))
    draft(store, "future")
    publish(store, "future", valid_from=now + timedelta(days=1))
    draft(store, "draft-only")
    assert [v.instruction_id for v in store.in_force()] == ["current"]
    assert {v.instruction_id for v in store.in_force(now + timedelta(days=2))} == {
        "current",
        "future",
    }


def test_in_force_at_a_past_time_reads_the_versions_of_that_time(engine):
    store = InstructionStore(engine)
    draft(store)
    publish(store, valid_from=datetime(2026, 1, 1, tzinfo=UTC))
    published_by = utc_now()
    store.save_version(
        "instr-1", SCOPE, "revoked", PUBLISHER, action="instruction.revoke", expected_version=2
    )
    assert store.in_force() == []
    assert [v.version for v in store.in_force(published_by)] == [2]


def test_a_payload_with_times_is_stored_as_json(engine):
    store = InstructionStore(engine)
    payload = {**SCOPE, "notice_published_at": datetime(2026, 11, 30, 8, tzinfo=UTC)}
    saved = store.save_version("instr-1", payload, "drafted", ANALYST, action="instruction.draft")
    assert saved.payload["notice_published_at"] == "2026-11-30T08:00:00.000000+00:00"
    assert store.current("instr-1") == saved

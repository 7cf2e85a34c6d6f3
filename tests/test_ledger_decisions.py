"""The decision ledger: append, read back, idempotent retries, the hash chain and its
verification, concurrent appends."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from ledger_testing import CLEARANCE, sample_decision
from sqlalchemy import text

from ledger.actors import Actor, Principal, Role
from ledger.audit import AuditLog
from ledger.decisions import (
    GENESIS_HASH,
    DecisionItem,
    DecisionLedger,
    chain_fields,
    link_hash,
)
from ledger.errors import IdempotencyConflict
from ledger.schema import DecisionRow


def count(engine, table: str) -> int:
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def record_three(engine):
    ledger = DecisionLedger(engine)
    return [ledger.record(sample_decision(f"22002026000000000{n}")) for n in (1, 2, 3)]


def test_a_recorded_decision_reads_back_as_recorded(engine):
    ledger = DecisionLedger(engine)
    entry = sample_decision()
    recorded = ledger.record(entry)
    assert recorded.decision_id == entry.decision_id
    assert (recorded.sequence, recorded.previous_hash, recorded.replayed) == (
        1,
        GENESIS_HASH,
        False,
    )
    assert recorded.payload == entry.payload
    assert recorded.items == entry.items
    assert recorded.created_at.utcoffset().total_seconds() == 0
    assert (recorded.caller, recorded.role) == (CLEARANCE.name, "clearance_system")
    assert ledger.get(entry.decision_id) == recorded
    assert ledger.get("no-such-decision") is None


def test_each_decision_links_to_the_one_before(engine):
    first, second, third = record_three(engine)
    assert [d.sequence for d in (first, second, third)] == [1, 2, 3]
    assert second.previous_hash == first.record_hash
    assert third.previous_hash == second.record_hash
    assert len({first.record_hash, second.record_hash, third.record_hash}) == 3


def test_items_are_stored_for_queries(engine):
    recorded = DecisionLedger(engine).record(sample_decision())
    with engine.connect() as connection:
        measures = connection.execute(
            text(
                "SELECT item_no, code, source, instruction_id, instruction_version "
                "FROM decision_measures WHERE decision_id = :id ORDER BY item_no, position"
            ),
            {"id": recorded.decision_id},
        ).all()
    assert measures == [(1, "P01", "model", None, None), (1, "L01", "instruction", "instr-1", 2)]
    assert count(engine, "decision_items") == 2


def test_a_retry_with_the_same_idempotency_key_returns_the_first_decision(engine):
    ledger = DecisionLedger(engine)
    first = ledger.record(sample_decision(idempotency_key="request-1"))
    retry = ledger.record(sample_decision(idempotency_key="request-1"))
    assert retry.replayed
    assert replace(retry, replayed=False) == first
    assert count(engine, "decisions") == 1


def test_the_same_key_for_another_input_is_a_conflict_and_records_nothing(engine):
    ledger = DecisionLedger(engine)
    ledger.record(sample_decision(idempotency_key="request-1"))
    with pytest.raises(IdempotencyConflict):
        ledger.record(sample_decision(idempotency_key="request-1", input_hash="b" * 64))
    assert count(engine, "decisions") == 1


def test_idempotency_keys_belong_to_their_caller(engine):
    ledger = DecisionLedger(engine)
    other = Principal(name="clearance-system-2", role=Role.clearance_system, key_id="f" * 12)
    ledger.record(sample_decision(idempotency_key="request-1"))
    second = ledger.record(sample_decision(idempotency_key="request-1", caller=other))
    assert not second.replayed
    assert count(engine, "decisions") == 2


def test_a_decision_needs_distinct_goods_items():
    item = DecisionItem(item_no=1, selection_probability=0.1)
    with pytest.raises(ValueError, match="distinct"):
        sample_decision(items=(item, item))
    with pytest.raises(ValueError, match="distinct"):
        sample_decision(items=())
    with pytest.raises(ValueError, match="selection probability"):
        DecisionItem(item_no=1, selection_probability=1.5)


def test_a_read_by_a_person_is_audited(engine):
    recorded = DecisionLedger(engine).record(sample_decision())
    officer = Actor(name="officer-li", role=Role.officer)
    DecisionLedger(engine).get(recorded.decision_id)  # the system's own read: not audited
    DecisionLedger(engine).get(recorded.decision_id, reader=officer)
    events = AuditLog(engine).events(entity="decision")
    assert [(e.actor, e.role, e.action, e.entity_id) for e in events] == [
        ("officer-li", "officer", "decision.read", recorded.decision_id)
    ]


def test_an_untouched_chain_is_intact(engine):
    assert DecisionLedger(engine).verify().to_dict() == {
        "decisions": 0,
        "intact": True,
        "first_broken": None,
    }
    record_three(engine)
    assert DecisionLedger(engine).verify().to_dict() == {
        "decisions": 3,
        "intact": True,
        "first_broken": None,
    }


def test_a_payload_edited_by_hand_is_the_first_broken_link(engine):
    _, second, _ = record_three(engine)
    edited = json.dumps({**second.payload, "disposition": {"kind": "release", "item_no": 1}})
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE decisions SET payload = :payload WHERE decision_id = :id"),
            {"payload": edited, "id": second.decision_id},
        )
    report = DecisionLedger(engine).verify()
    assert (report.decisions, report.intact, report.first_broken) == (3, False, second.decision_id)
    assert "changed" in report.reason


def test_an_item_edited_by_hand_breaks_its_decision(engine):
    first, _, _ = record_three(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE decision_measures SET source = 'random' "
                "WHERE decision_id = :id AND position = 0"
            ),
            {"id": first.decision_id},
        )
    assert DecisionLedger(engine).verify().first_broken == first.decision_id


def test_an_edit_with_its_hash_recomputed_breaks_the_next_link(engine):
    first, second, _ = record_three(engine)
    decisions = DecisionRow.__table__
    with engine.begin() as connection:
        where = decisions.c.decision_id == first.decision_id
        connection.execute(decisions.update().where(where).values(disposition="release"))
        row = connection.execute(decisions.select().where(where)).one()
        rehashed = link_hash(row.previous_hash, chain_fields(row._mapping, first.items))
        connection.execute(decisions.update().where(where).values(record_hash=rehashed))
    report = DecisionLedger(engine).verify()
    assert report.first_broken == second.decision_id
    assert "previous hash" in report.reason


def delete_decision(engine, decision_id: str) -> None:
    with engine.begin() as connection:
        for table in ("decision_measures", "decision_items", "decisions"):
            connection.execute(
                text(f"DELETE FROM {table} WHERE decision_id = :id"), {"id": decision_id}
            )


def test_a_deleted_decision_breaks_the_chain_at_the_next(engine):
    _, second, third = record_three(engine)
    delete_decision(engine, second.decision_id)
    report = DecisionLedger(engine).verify()
    assert (report.decisions, report.intact, report.first_broken) == (2, False, third.decision_id)
    assert "removed" in report.reason


def test_a_deleted_last_decision_is_noticed_by_the_chain_head(engine):
    _, _, third = record_three(engine)
    delete_decision(engine, third.decision_id)
    report = DecisionLedger(engine).verify()
    assert (report.decisions, report.intact, report.first_broken) == (2, False, third.decision_id)


def test_concurrent_appends_from_threads_keep_one_chain(engine):
    ledger = DecisionLedger(engine)
    entries = [sample_decision(f"D{n:05d}", idempotency_key=f"k{n % 20}") for n in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        recorded = list(pool.map(ledger.record, entries))
    # 20 distinct keys: the second use of each key replays the first, never forks
    assert sum(not r.replayed for r in recorded) == 20
    assert sorted(r.sequence for r in recorded if not r.replayed) == list(range(1, 21))
    assert DecisionLedger(engine).verify().to_dict() == {
        "decisions": 20,
        "intact": True,
        "first_broken": None,
    }


# Each process imports and connects, says it is ready, then waits for the start signal,
# so that the appends of all processes overlap.
APPENDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ledger.database import connect
    from ledger.decisions import DecisionLedger
    from ledger_testing import sample_decision

    url, appends, name, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3], Path(sys.argv[4])
    ledger = DecisionLedger(connect(url))
    (folder / f"ready-{name}").touch()
    while not (folder / "start").exists():
        time.sleep(0.01)
    for n in range(appends):
        ledger.record(sample_decision(f"P{name}-{n}"))
    """
)


def test_concurrent_appends_from_processes_keep_one_chain(engine, database_url, tmp_path):
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", APPENDER, database_url, "25", str(p), str(tmp_path)],
            env=environment,
        )
        for p in range(3)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("ready-*"))) < len(processes) and time.monotonic() < deadline:
        time.sleep(0.05)
    (tmp_path / "start").touch()
    assert [process.wait(timeout=120) for process in processes] == [0, 0, 0]
    report = DecisionLedger(engine).verify()
    assert (report.decisions, report.intact) == (75, True)


def test_payloads_must_be_json(engine):
    with pytest.raises(ValueError):
        DecisionLedger(engine).record(sample_decision(payload={"probability": float("nan")}))
    assert count(engine, "decisions") == 0

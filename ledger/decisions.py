"""The decision ledger (Art. 4): every decision, append-only and tamper-evident.

Each decision is one link of a hash chain: its ``record_hash`` is the SHA-256 of the
previous link's hash followed by the canonical JSON of the decision's fields (payload and
items included), and its ``sequence`` numbers the links without gaps. Changing, inserting
or deleting a row breaks the chain where it happened, and :meth:`DecisionLedger.verify`
finds the first broken link by recomputing every hash. The chain does not stop someone
with write access from rewriting every hash after an edit: publish the chain head (or
keep ``verify``'s output) elsewhere to guard against that.

Appends are serialised on the one ``chain_head`` row, so concurrent writers (threads,
API workers, processes) cannot fork the chain; each append is one short transaction.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session

from ledger.actors import Actor
from ledger.audit import AuditEvent, write_event
from ledger.canonical import canonical_json, iso_utc, json_ready
from ledger.database import read_transaction, write_transaction
from ledger.errors import IdempotencyConflict
from ledger.schema import (
    ChainHead,
    DecisionItemRow,
    DecisionMeasureRow,
    DecisionRow,
    utc_now,
)

# The "previous hash" of the first decision (the migration writes it into chain_head).
GENESIS_HASH = "0" * 64
CHAIN_HEAD_ID = 1
# Decisions read per query while verifying: bounded memory, few round trips.
VERIFY_BATCH = 1000


@dataclass(frozen=True)
class DecisionMeasure:
    """A measure imposed on a goods item and where it comes from (``source``: emergency,
    instruction, model, random, exploration, …; an instruction's id and version)."""

    code: str
    kind: str
    source: str
    instruction_id: str | None = None
    instruction_version: int | None = None


@dataclass(frozen=True)
class DecisionItem:
    """The queryable summary of one goods item of a decision (the payload has the rest).

    ``selection_reason`` says why the item is inspected (model, rule, random,
    exploration, …; None when released) and ``selection_probability`` the probability
    that the random draw selects it, which inverse-probability weighting needs later.
    """

    item_no: int
    selection_probability: float
    random_selected: bool = False
    selection_reason: str | None = None
    credit_level: str | None = None
    highest_level: int | None = None
    measures: tuple[DecisionMeasure, ...] = ()

    def __post_init__(self) -> None:
        # The hash covers these values; normalising them now makes what is hashed at the
        # append equal what the database gives back to verify (1 → 1.0, a list → tuple).
        object.__setattr__(self, "item_no", int(self.item_no))
        object.__setattr__(self, "selection_probability", float(self.selection_probability))
        object.__setattr__(self, "random_selected", bool(self.random_selected))
        object.__setattr__(self, "measures", tuple(self.measures))
        if not 0.0 <= self.selection_probability <= 1.0:
            raise ValueError(f"selection probability {self.selection_probability} not in [0, 1]")


@dataclass(frozen=True)
class NewDecision:
    """A decision to record. ``payload`` is the whole decision as JSON-ready values (e.g.
    a pydantic ``model_dump(mode="json")``): per item the per-category probability,
    level and interval, the measures with their sources, the selection, and the
    declaration's disposition. ``caller`` is the authenticated principal."""

    declaration_id: str
    caller: Actor
    input_hash: str
    model_version: str
    thresholds_version: str
    policy_version: str
    catalogue_version: str
    disposition: str
    payload: Mapping[str, Any]
    items: Sequence[DecisionItem]
    idempotency_key: str | None = None
    decision_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(sorted(self.items, key=lambda i: i.item_no)))
        numbers = [item.item_no for item in self.items]
        if not numbers or len(set(numbers)) != len(numbers):
            raise ValueError(f"a decision has goods items with distinct numbers, got {numbers}")


@dataclass(frozen=True)
class RecordedDecision:
    """A decision as the ledger holds it. ``replayed``: returned for a retried request
    (same caller and idempotency key) instead of recording a second decision."""

    decision_id: str
    sequence: int
    declaration_id: str
    idempotency_key: str | None
    caller: str
    role: str
    input_hash: str
    model_version: str
    thresholds_version: str
    policy_version: str
    catalogue_version: str
    disposition: str
    created_at: datetime
    payload: dict[str, Any]
    items: tuple[DecisionItem, ...]
    previous_hash: str
    record_hash: str
    replayed: bool = False


@dataclass(frozen=True)
class ChainReport:
    """What ``verify`` found: how many decisions, whether every link holds, and the
    first decision whose link does not (with why)."""

    decisions: int
    intact: bool
    first_broken: str | None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The report as ``customs-risk ledger verify --json`` prints it."""
        return {
            "decisions": self.decisions,
            "intact": self.intact,
            "first_broken": self.first_broken,
        }


def chain_fields(row: Any, items: Sequence[DecisionItem]) -> dict[str, Any]:
    """The fields a decision's hash covers, from its ``decisions`` row (an ORM object or
    a result row) and its items."""
    return {
        "decision_id": row.decision_id,
        "sequence": row.sequence,
        "declaration_id": row.declaration_id,
        "idempotency_key": row.idempotency_key,
        "caller": row.caller,
        "role": row.role,
        "input_hash": row.input_hash,
        "model_version": row.model_version,
        "thresholds_version": row.thresholds_version,
        "policy_version": row.policy_version,
        "catalogue_version": row.catalogue_version,
        "disposition": row.disposition,
        "created_at": iso_utc(row.created_at),
        # The stored text itself, so any change to its bytes changes the hash.
        "payload": row.payload,
        "items": [json_ready(item) for item in items],
    }


def link_hash(previous_hash: str, fields: Mapping[str, Any]) -> str:
    """sha256(previous hash + canonical JSON of the fields), hex."""
    return hashlib.sha256((previous_hash + canonical_json(fields)).encode("utf-8")).hexdigest()


class DecisionLedger:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, entry: NewDecision) -> RecordedDecision:
        """Append ``entry`` to the chain in one transaction and return it as recorded.

        With an idempotency key this caller has used before, nothing is appended: the
        earlier decision comes back with ``replayed=True``, or ``IdempotencyConflict`` is
        raised if that decision was made for a different input.
        """
        payload_text = canonical_json(entry.payload)  # before the lock: it may be large
        with write_transaction(self._engine) as session:
            head = session.get(ChainHead, CHAIN_HEAD_ID, with_for_update=True)
            assert head is not None, "chain_head row missing: run ledger.database.migrate"
            if entry.idempotency_key is not None:
                earlier = _earlier_decision(session, entry)
                if earlier is not None:
                    return earlier
            row = _decision_row(entry, payload_text, head)
            session.add(row)
            _insert_items(session, row.decision_id, entry.items)  # flushes the row first
            head.sequence, head.decision_id, head.record_hash = (
                row.sequence,
                row.decision_id,
                row.record_hash,
            )
            return _recorded(row, entry.items)

    def get(self, decision_id: str, reader: Actor | None = None) -> RecordedDecision | None:
        """The decision as recorded, or None. With ``reader`` (a person reading it) the
        read is audited as ``decision.read`` in the same transaction."""
        transaction = read_transaction if reader is None else write_transaction
        with transaction(self._engine) as session:
            row = session.get(DecisionRow, decision_id)
            if row is None:
                return None
            if reader is not None:
                write_event(session, AuditEvent(reader, "decision.read", "decision", decision_id))
            return _recorded(row, _items_of(session, [decision_id])[decision_id])

    def verify(self) -> ChainReport:
        """Walk the chain in sequence order, recomputing every link, on one snapshot."""
        with read_transaction(self._engine, snapshot=True) as session:
            total = session.scalar(select(func.count()).select_from(DecisionRow)) or 0
            head = session.get(ChainHead, CHAIN_HEAD_ID)
            assert head is not None, "chain_head row missing: run ledger.database.migrate"
            previous_hash, sequence = GENESIS_HASH, 0
            for row, items in _walk(session):
                reason = _broken_link(row, items, previous_hash, sequence + 1)
                if reason is not None:
                    return ChainReport(total, False, row.decision_id, reason)
                previous_hash, sequence = row.record_hash, row.sequence
            if (head.sequence, head.record_hash) != (sequence, previous_hash):
                reason = (
                    f"the chain head is decision {head.sequence}, the last present is "
                    f"{sequence}: decisions were removed from the end"
                )
                return ChainReport(total, False, head.decision_id, reason)
            return ChainReport(total, True, None)


def _earlier_decision(session: Session, entry: NewDecision) -> RecordedDecision | None:
    row = session.scalars(
        select(DecisionRow).where(
            DecisionRow.caller == entry.caller.name,
            DecisionRow.idempotency_key == entry.idempotency_key,
        )
    ).first()
    if row is None:
        return None
    if row.input_hash != entry.input_hash:
        raise IdempotencyConflict(
            f"idempotency key {entry.idempotency_key!r} was used by {entry.caller.name} for "
            f"another input (decision {row.decision_id})"
        )
    items = _items_of(session, [row.decision_id])[row.decision_id]
    return replace(_recorded(row, items), replayed=True)


def _decision_row(entry: NewDecision, payload_text: str, head: ChainHead) -> DecisionRow:
    row = DecisionRow(
        decision_id=entry.decision_id,
        sequence=head.sequence + 1,
        declaration_id=entry.declaration_id,
        idempotency_key=entry.idempotency_key,
        caller=entry.caller.name,
        role=str(entry.caller.role),
        input_hash=entry.input_hash,
        model_version=entry.model_version,
        thresholds_version=entry.thresholds_version,
        policy_version=entry.policy_version,
        catalogue_version=entry.catalogue_version,
        disposition=entry.disposition,
        created_at=utc_now(),
        payload=payload_text,
        previous_hash=head.record_hash,
    )
    row.record_hash = link_hash(head.record_hash, chain_fields(row, entry.items))
    return row


def _insert_items(session: Session, decision_id: str, items: Sequence[DecisionItem]) -> None:
    """Insert the items, then their measures (executemany each; the ORM's unit of work
    would not order these inserts by their foreign keys)."""
    session.execute(
        insert(DecisionItemRow),
        [
            {
                "decision_id": decision_id,
                "item_no": item.item_no,
                "selection_reason": item.selection_reason,
                "random_selected": item.random_selected,
                "selection_probability": item.selection_probability,
                "credit_level": item.credit_level,
                "highest_level": item.highest_level,
            }
            for item in items
        ],
    )
    measures = [
        {
            "decision_id": decision_id,
            "item_no": item.item_no,
            "position": position,
            "code": measure.code,
            "kind": measure.kind,
            "source": measure.source,
            "instruction_id": measure.instruction_id,
            "instruction_version": measure.instruction_version,
        }
        for item in items
        for position, measure in enumerate(item.measures)
    ]
    if measures:
        session.execute(insert(DecisionMeasureRow), measures)


def _items_of(session: Session, decision_ids: list[str]) -> dict[str, tuple[DecisionItem, ...]]:
    """The items (with their measures, in order) of each decision."""
    measures: dict[tuple[str, int], list[DecisionMeasure]] = defaultdict(list)
    measure_rows = session.execute(
        select(DecisionMeasureRow.__table__)
        .where(DecisionMeasureRow.decision_id.in_(decision_ids))
        .order_by(DecisionMeasureRow.position)
    )
    for m in measure_rows:
        measures[m.decision_id, m.item_no].append(
            DecisionMeasure(m.code, m.kind, m.source, m.instruction_id, m.instruction_version)
        )
    items: dict[str, list[DecisionItem]] = {decision_id: [] for decision_id in decision_ids}
    item_rows = session.execute(
        select(DecisionItemRow.__table__)
        .where(DecisionItemRow.decision_id.in_(decision_ids))
        .order_by(DecisionItemRow.item_no)
    )
    for i in item_rows:
        items[i.decision_id].append(
            DecisionItem(
                item_no=i.item_no,
                selection_probability=i.selection_probability,
                random_selected=i.random_selected,
                selection_reason=i.selection_reason,
                credit_level=i.credit_level,
                highest_level=i.highest_level,
                measures=tuple(measures[i.decision_id, i.item_no]),
            )
        )
    return {decision_id: tuple(found) for decision_id, found in items.items()}


def _walk(session: Session) -> Iterator[tuple[Any, tuple[DecisionItem, ...]]]:
    """Every decision row with its items, in sequence order, a batch at a time."""
    after = 0
    while True:
        rows = session.execute(
            select(DecisionRow.__table__)
            .where(DecisionRow.sequence > after)
            .order_by(DecisionRow.sequence)
            .limit(VERIFY_BATCH)
        ).all()
        if not rows:
            return
        items = _items_of(session, [row.decision_id for row in rows])
        for row in rows:
            yield row, items[row.decision_id]
        after = rows[-1].sequence


def _broken_link(
    row: Any, items: tuple[DecisionItem, ...], previous_hash: str, expected_sequence: int
) -> str | None:
    """Why this row breaks the chain, or None if its link holds."""
    if row.sequence != expected_sequence:
        return f"sequence {row.sequence} where {expected_sequence} was due: decisions removed"
    if row.previous_hash != previous_hash:
        return "its previous hash is not the hash of the decision before"
    if link_hash(row.previous_hash, chain_fields(row, items)) != row.record_hash:
        return "its content does not match its hash: the record was changed"
    return None


def _recorded(row: DecisionRow, items: tuple[DecisionItem, ...]) -> RecordedDecision:
    return RecordedDecision(
        decision_id=row.decision_id,
        sequence=row.sequence,
        declaration_id=row.declaration_id,
        idempotency_key=row.idempotency_key,
        caller=row.caller,
        role=row.role,
        input_hash=row.input_hash,
        model_version=row.model_version,
        thresholds_version=row.thresholds_version,
        policy_version=row.policy_version,
        catalogue_version=row.catalogue_version,
        disposition=row.disposition,
        created_at=row.created_at,
        payload=json.loads(row.payload),
        items=items,
        previous_hash=row.previous_hash,
        record_hash=row.record_hash,
    )

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
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, insert, select, update

from ledger.actors import Actor
from ledger.audit import AuditEvent, write_event
from ledger.canonical import canonical_json, iso_utc, json_ready
from ledger.database import read_connection, write_connection
from ledger.errors import IdempotencyConflict
from ledger.schema import Base, utc_now

# The "previous hash" of the first decision (the migration writes it into chain_head).
GENESIS_HASH = "0" * 64
CHAIN_HEAD_ID = 1
# Decisions read per query while verifying: bounded memory, few round trips.
VERIFY_BATCH = 1000
# Core statements (no ORM unit of work): the append is on the API's hot path.
DECISIONS = Base.metadata.tables["decisions"]
ITEMS = Base.metadata.tables["decision_items"]
MEASURES = Base.metadata.tables["decision_measures"]
FACTS = Base.metadata.tables["decision_item_facts"]
CHAIN_HEAD = Base.metadata.tables["chain_head"]
HEAD_FOR_UPDATE = select(CHAIN_HEAD).where(CHAIN_HEAD.c.id == CHAIN_HEAD_ID).with_for_update()
# The columns a decision's hash covers as stored (with created_at as ISO text and the
# items): the payload as its stored text, so any change to its bytes changes the hash.
CHAINED_COLUMNS = (
    "decision_id",
    "sequence",
    "declaration_id",
    "idempotency_key",
    "caller",
    "role",
    "input_hash",
    "model_version",
    "thresholds_version",
    "policy_version",
    "catalogue_version",
    "disposition",
    "payload",
)
RECORDED_COLUMNS = (
    *(c for c in CHAINED_COLUMNS if c != "payload"),
    "created_at",
    "previous_hash",
    "record_hash",
)


@dataclass(frozen=True)
class DecisionMeasure:
    """A measure imposed on a goods item and where it comes from (``source``: emergency,
    instruction, model, random, exploration, …; an instruction's id and version)."""

    code: str
    kind: str
    source: str
    instruction_id: str | None = None
    instruction_version: int | None = None

    def __post_init__(self) -> None:
        if self.instruction_version is not None:  # e.g. a numpy integer, which JSON refuses
            object.__setattr__(self, "instruction_version", int(self.instruction_version))


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
        if self.highest_level is not None:
            object.__setattr__(self, "highest_level", int(self.highest_level))
        object.__setattr__(self, "measures", tuple(self.measures))
        if not 0.0 <= self.selection_probability <= 1.0:
            raise ValueError(f"selection probability {self.selection_probability} not in [0, 1]")


@dataclass(frozen=True)
class ItemFacts:
    """What the reviewers' queue filters and sorts a goods item by (derived from the
    decision, stored beside the chain, not in it)."""

    item_no: int
    overall_probability: float
    overall_level: int
    top_category: str | None = None
    declared_at: datetime | None = None
    customs_office: str | None = None
    hs_code: str | None = None
    origin_country: str | None = None


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
    facts: Sequence[ItemFacts] = ()

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


def chain_fields(row: Mapping[str, Any], items: Sequence[DecisionItem]) -> dict[str, Any]:
    """The fields a decision's hash covers: its ``decisions`` row (column → value) and
    its items."""
    fields = {column: row[column] for column in CHAINED_COLUMNS}
    fields["created_at"] = iso_utc(row["created_at"])
    fields["items"] = [json_ready(item) for item in items]
    return fields


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
        with write_connection(self._engine) as connection:
            return append(connection, entry, payload_text)

    def get(self, decision_id: str, reader: Actor | None = None) -> RecordedDecision | None:
        """The decision as recorded, or None. With ``reader`` (a person reading it) the
        read is audited as ``decision.read`` in the same transaction."""
        transaction = read_connection if reader is None else write_connection
        with transaction(self._engine) as connection:
            row = connection.execute(
                select(DECISIONS).where(DECISIONS.c.decision_id == decision_id)
            ).first()
            if row is None:
                return None
            if reader is not None:
                write_event(
                    connection, AuditEvent(reader, "decision.read", "decision", decision_id)
                )
            return _recorded(row._mapping, _items_of(connection, [decision_id])[decision_id])

    def verify(self) -> ChainReport:
        """Walk the chain in sequence order, recomputing every link, on one snapshot."""
        with read_connection(self._engine, snapshot=True) as connection:
            total = connection.execute(select(func.count()).select_from(DECISIONS)).scalar_one()
            head = connection.execute(select(CHAIN_HEAD)).one()
            previous_hash, sequence = GENESIS_HASH, 0
            for row, items in _walk(connection):
                reason = _broken_link(row, items, previous_hash, sequence + 1)
                if reason is not None:
                    return ChainReport(total, False, row["decision_id"], reason)
                previous_hash, sequence = row["record_hash"], row["sequence"]
            if (head.sequence, head.record_hash) != (sequence, previous_hash):
                reason = (
                    f"the chain head is decision {head.sequence}, the last present is "
                    f"{sequence}: decisions were removed from the end"
                )
                return ChainReport(total, False, head.decision_id, reason)
            return ChainReport(total, True, None)


def append(
    connection: Connection, entry: NewDecision, payload_text: str | None = None
) -> RecordedDecision:
    """Append ``entry`` to the chain in the transaction of ``connection``, which commits
    or rolls back with it: for a change that must not exist without its decision (an
    accepted evidence and the decision taken again). The chain head stays locked until
    that transaction ends, so keep it short. ``payload_text``: the payload's canonical
    JSON, if computed already."""
    if payload_text is None:
        payload_text = canonical_json(entry.payload)
    head = connection.execute(HEAD_FOR_UPDATE).one()
    if entry.idempotency_key is not None:
        earlier = _earlier_decision(connection, entry)
        if earlier is not None:
            return earlier
    row = _decision_row(entry, payload_text, head)
    connection.execute(insert(DECISIONS), row)
    _insert_items(connection, row["decision_id"], entry.items)
    _insert_facts(connection, row, entry.facts)
    connection.execute(
        update(CHAIN_HEAD)
        .where(CHAIN_HEAD.c.id == CHAIN_HEAD_ID)
        .values(
            sequence=row["sequence"],
            decision_id=row["decision_id"],
            record_hash=row["record_hash"],
        )
    )
    return _recorded(row, entry.items)


def _earlier_decision(connection: Connection, entry: NewDecision) -> RecordedDecision | None:
    row = connection.execute(
        select(DECISIONS).where(
            DECISIONS.c.caller == entry.caller.name,
            DECISIONS.c.idempotency_key == entry.idempotency_key,
        )
    ).first()
    if row is None:
        return None
    if row.input_hash != entry.input_hash:
        raise IdempotencyConflict(
            f"idempotency key {entry.idempotency_key!r} was used by {entry.caller.name} for "
            f"another input (decision {row.decision_id})"
        )
    items = _items_of(connection, [row.decision_id])[row.decision_id]
    return replace(_recorded(row._mapping, items), replayed=True)


def _decision_row(entry: NewDecision, payload_text: str, head: Row) -> dict[str, Any]:
    row = {
        "decision_id": entry.decision_id,
        "sequence": head.sequence + 1,
        "declaration_id": entry.declaration_id,
        "idempotency_key": entry.idempotency_key,
        "caller": entry.caller.name,
        "role": str(entry.caller.role),
        "input_hash": entry.input_hash,
        "model_version": entry.model_version,
        "thresholds_version": entry.thresholds_version,
        "policy_version": entry.policy_version,
        "catalogue_version": entry.catalogue_version,
        "disposition": entry.disposition,
        "created_at": utc_now(),
        "payload": payload_text,
        "previous_hash": head.record_hash,
    }
    row["record_hash"] = link_hash(head.record_hash, chain_fields(row, entry.items))
    return row


def _insert_items(connection: Connection, decision_id: str, items: Sequence[DecisionItem]) -> None:
    """Insert the items, then their measures (one executemany each)."""
    connection.execute(
        insert(ITEMS),
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
        connection.execute(insert(MEASURES), measures)


def _insert_facts(
    connection: Connection, row: Mapping[str, Any], facts: Sequence[ItemFacts]
) -> None:
    if facts:
        connection.execute(
            insert(FACTS),
            [
                {**asdict(f), "decision_id": row["decision_id"], "decided_at": row["created_at"]}
                for f in facts
            ],
        )


def _items_of(
    connection: Connection, decision_ids: list[str]
) -> dict[str, tuple[DecisionItem, ...]]:
    """The items (with their measures, in order) of each decision."""
    measures: dict[tuple[str, int], list[DecisionMeasure]] = defaultdict(list)
    measure_rows = connection.execute(
        select(MEASURES)
        .where(MEASURES.c.decision_id.in_(decision_ids))
        .order_by(MEASURES.c.position)
    )
    for m in measure_rows:
        measures[m.decision_id, m.item_no].append(
            DecisionMeasure(m.code, m.kind, m.source, m.instruction_id, m.instruction_version)
        )
    items: dict[str, list[DecisionItem]] = {decision_id: [] for decision_id in decision_ids}
    item_rows = connection.execute(
        select(ITEMS).where(ITEMS.c.decision_id.in_(decision_ids)).order_by(ITEMS.c.item_no)
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


def _walk(
    connection: Connection,
) -> Iterator[tuple[Mapping[str, Any], tuple[DecisionItem, ...]]]:
    """Every decision row with its items, in sequence order, a batch at a time."""
    after = 0
    while True:
        rows = connection.execute(
            select(DECISIONS)
            .where(DECISIONS.c.sequence > after)
            .order_by(DECISIONS.c.sequence)
            .limit(VERIFY_BATCH)
        ).all()
        if not rows:
            return
        items = _items_of(connection, [row.decision_id for row in rows])
        for row in rows:
            yield row._mapping, items[row.decision_id]
        after = rows[-1].sequence


def _broken_link(
    row: Mapping[str, Any],
    items: tuple[DecisionItem, ...],
    previous_hash: str,
    expected_sequence: int,
) -> str | None:
    """Why this row breaks the chain, or None if its link holds."""
    if row["sequence"] != expected_sequence:
        return f"sequence {row['sequence']} where {expected_sequence} was due: decisions removed"
    if row["previous_hash"] != previous_hash:
        return "its previous hash is not the hash of the decision before"
    if link_hash(previous_hash, chain_fields(row, items)) != row["record_hash"]:
        return "its content does not match its hash: the record was changed"
    return None


def _recorded(row: Mapping[str, Any], items: tuple[DecisionItem, ...]) -> RecordedDecision:
    values = {column: row[column] for column in RECORDED_COLUMNS}
    return RecordedDecision(**values, payload=json.loads(row["payload"]), items=items)

"""The reviewers' queue: recent goods items of recorded decisions, filtered and sorted by
risk, with the day's counts per measure.

It reads the facts recorded beside each decision (``decision_item_facts``), the items'
selection and credit level, their measures and whether an outcome is recorded.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine, Select, and_, exists, func, select

from ledger.database import read_connection
from ledger.schema import Base

FACTS = Base.metadata.tables["decision_item_facts"]
ITEMS = Base.metadata.tables["decision_items"]
MEASURES = Base.metadata.tables["decision_measures"]
OUTCOMES = Base.metadata.tables["outcomes"]
DECISIONS = Base.metadata.tables["decisions"]


@dataclass(frozen=True)
class QueueFilter:
    """Which goods items to show; None or False leaves a criterion out."""

    since: datetime
    measure_kind: str | None = None
    level: int | None = None
    category: str | None = None
    credit_level: str | None = None
    customs_office: str | None = None
    instruction_id: str | None = None
    awaiting_outcome: bool = False


@dataclass(frozen=True)
class QueueItem:
    decision_id: str
    declaration_id: str
    item_no: int
    decided_at: datetime
    declared_at: datetime | None
    customs_office: str | None
    hs_code: str | None
    origin_country: str | None
    top_category: str | None
    overall_probability: float
    overall_level: int
    credit_level: str | None
    selection_reason: str | None
    outcome_recorded: bool
    measures: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class QueuePage:
    items: tuple[QueueItem, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _has_outcome():
    return exists().where(
        OUTCOMES.c.decision_id == FACTS.c.decision_id, OUTCOMES.c.item_no == FACTS.c.item_no
    )


def _has_measure(*conditions) -> exists:
    return exists().where(
        MEASURES.c.decision_id == FACTS.c.decision_id,
        MEASURES.c.item_no == FACTS.c.item_no,
        *conditions,
    )


def _filtered(query: Select, wanted: QueueFilter) -> Select:
    conditions = [FACTS.c.decided_at >= wanted.since]
    equal = (
        (FACTS.c.overall_level, wanted.level),
        (FACTS.c.top_category, wanted.category),
        (ITEMS.c.credit_level, wanted.credit_level),
        (FACTS.c.customs_office, wanted.customs_office),
    )
    conditions += [column == value for column, value in equal if value is not None]
    if wanted.measure_kind:
        conditions.append(_has_measure(MEASURES.c.kind == wanted.measure_kind))
    if wanted.instruction_id:
        conditions.append(_has_measure(MEASURES.c.instruction_id == wanted.instruction_id))
    if wanted.awaiting_outcome:
        conditions += [ITEMS.c.selection_reason.is_not(None), ~_has_outcome()]
    return query.where(and_(*conditions))


def _joined(query: Select) -> Select:
    return query.select_from(
        FACTS.join(
            ITEMS,
            and_(ITEMS.c.decision_id == FACTS.c.decision_id, ITEMS.c.item_no == FACTS.c.item_no),
        ).join(DECISIONS, DECISIONS.c.decision_id == FACTS.c.decision_id)
    )


class ReviewQueue:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def page(self, wanted: QueueFilter, page: int = 1, per_page: int = 50) -> QueuePage:
        """One page of the matching goods items, riskiest first."""
        rows_query = _filtered(
            _joined(
                select(
                    FACTS,
                    DECISIONS.c.declaration_id,
                    ITEMS.c.credit_level,
                    ITEMS.c.selection_reason,
                    _has_outcome().label("outcome_recorded"),
                )
            ),
            wanted,
        )
        ordered = rows_query.order_by(
            FACTS.c.overall_probability.desc(), FACTS.c.decision_id, FACTS.c.item_no
        )
        count_query = _filtered(_joined(select(func.count())), wanted)
        with read_connection(self._engine) as connection:
            total = connection.execute(count_query).scalar_one()
            rows = connection.execute(ordered.offset((page - 1) * per_page).limit(per_page))
            found = [row._mapping for row in rows]
            measures = _measures_of(connection, [r["decision_id"] for r in found])
        items = tuple(
            QueueItem(
                **{k: r[k] for k in QueueItem.__dataclass_fields__ if k != "measures"},
                measures=tuple(measures[r["decision_id"], r["item_no"]]),
            )
            for r in found
        )
        return QueuePage(items, total, page, per_page)

    def measure_counts(self, since: datetime) -> tuple[int, dict[str, int]]:
        """Goods items decided since ``since`` and, per measure code, how many carry it."""
        items = select(func.count()).select_from(FACTS).where(FACTS.c.decided_at >= since)
        per_code = (
            select(MEASURES.c.code, func.count())
            .select_from(
                MEASURES.join(
                    FACTS,
                    and_(
                        FACTS.c.decision_id == MEASURES.c.decision_id,
                        FACTS.c.item_no == MEASURES.c.item_no,
                    ),
                )
            )
            .where(FACTS.c.decided_at >= since)
            .group_by(MEASURES.c.code)
        )
        with read_connection(self._engine) as connection:
            total = connection.execute(items).scalar_one()
            counts = {code: n for code, n in connection.execute(per_code)}
        return total, counts

    def offices(self, since: datetime) -> list[str]:
        """The customs offices of recent decisions (the port filter's choices)."""
        query = (
            select(FACTS.c.customs_office)
            .where(FACTS.c.decided_at >= since, FACTS.c.customs_office.is_not(None))
            .distinct()
            .order_by(FACTS.c.customs_office)
        )
        with read_connection(self._engine) as connection:
            return [row[0] for row in connection.execute(query)]


def _measures_of(connection, decision_ids: list[str]) -> dict[tuple[str, int], list[str]]:
    found: dict[tuple[str, int], list[str]] = defaultdict(list)
    if not decision_ids:
        return found
    rows = connection.execute(
        select(MEASURES.c.decision_id, MEASURES.c.item_no, MEASURES.c.code)
        .where(MEASURES.c.decision_id.in_(decision_ids))
        .order_by(MEASURES.c.position)
    )
    for decision_id, item_no, code in rows:
        found[decision_id, item_no].append(code)
    return found

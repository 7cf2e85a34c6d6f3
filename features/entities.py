"""Entities and the point-in-time aggregates kept about them, declared once.

An :class:`Entity` is what a feature describes (a consignee, a route, a goods line, …)
and says how its key is read from a declaration: the :class:`KeyPart` columns it is made
of. An :class:`Aggregate` is one kind of event summed per key of one entity (one file of
the saved state); a :class:`Lookup` is an interval record read as of a time. The feature
catalogue (``features.definitions``) references these objects; state building, feature
computation, segment trends and novelty loop over them instead of naming them again.

The objects compare by identity: each is declared once here and passed around as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sources.contracts import RISK_CATEGORIES
from sources.labels import Label


def as_text(values) -> np.ndarray:
    """Object array of str with missing values as ''."""
    arr = np.asarray(values, dtype=object)
    return np.array(
        ["" if v is None or v is pd.NA or v != v else str(v) for v in arr], dtype=object
    )


def leading(codes: np.ndarray, n: int) -> np.ndarray:
    """The first ``n`` characters of each code (HS code → subheading, heading, chapter)."""
    return np.array([c[:n] for c in codes], dtype=object)


def _amount(values) -> np.ndarray:
    """Amounts as exact text for composite keys ('' when missing): equal floats, equal text,
    whether they came from Parquet or from JSON (where 10 and 10.0 are the same amount)."""
    arr = np.asarray(values, dtype=float)
    return np.array(["" if v != v else repr(float(v)) for v in arr], dtype=object)


def join_keys(*parts: np.ndarray) -> np.ndarray:
    """Entity keys from their parts; None where any part is unknown (it then matches
    nothing). A one-part key is the part itself."""
    return np.array(
        [None if "" in p else "|".join(p) for p in zip(*parts, strict=True)], dtype=object
    )


@dataclass(frozen=True, eq=False)
class KeyPart:
    """One component of an entity key, as read from a declaration column."""

    column: str
    digits: int | None = None  # leading characters kept (an HS code's subheading, chapter)
    amount: bool = False  # a number written exactly, so 10 and 10.0 make one key

    def read(self, columns: Mapping[str, np.ndarray], texts: dict[str, np.ndarray]) -> np.ndarray:
        """The part for each declaration; ``texts`` caches columns already read as text."""
        if self.amount:
            return _amount(columns[self.column])
        if self.column not in texts:
            texts[self.column] = as_text(columns[self.column])
        text = texts[self.column]
        return text if self.digits is None else leading(text, self.digits)


CONSIGNEE_ID = KeyPart("consignee_id")
DECLARANT_ID = KeyPart("declarant_id")
OVERSEAS_TRADER_ID = KeyPart("overseas_trader_id")
HS_CODE = KeyPart("hs_code")
HS_SUBHEADING = KeyPart("hs_code", digits=6)
HS_CHAPTER_CODE = KeyPart("hs_code", digits=2)
ORIGIN_COUNTRY = KeyPart("origin_country")
NET_WEIGHT = KeyPart("net_weight_kg", amount=True)
DECLARED_VALUE = KeyPart("declared_value", amount=True)
CURRENCY = KeyPart("currency")


@dataclass(frozen=True, eq=False)
class Entity:
    """What a feature describes, and the parts its key is made of."""

    name: str  # identifier: resolved keys and aggregate names use it
    label: str  # reviewer's words, shown in the feature catalogue
    label_zh: str  # the same in Chinese, for the reviewers' workbench
    parts: tuple[KeyPart, ...]  # () for the goods item itself: no history is kept about it

    def label_in(self, lang: str | None) -> str:
        """The label in ``lang`` ("zh-CN" or "en"); English for any other language."""
        return Label(self.label, self.label_zh).in_(lang)

    def key(self, parts: Mapping[KeyPart, np.ndarray]) -> np.ndarray:
        """Keys from already-read parts (declarations, or another source's columns)."""
        return join_keys(*(parts[p] for p in self.parts))


GOODS_ITEM = Entity("goods_item", "goods item", "商品项", ())
CONSIGNEE = Entity("consignee", "consignee", "收货人", (CONSIGNEE_ID,))
DECLARANT = Entity("declarant", "declarant", "申报单位", (DECLARANT_ID,))
OVERSEAS_TRADER = Entity("overseas_trader", "overseas trader", "境外发货人", (OVERSEAS_TRADER_ID,))
CONSIGNEE_TRADER = Entity(
    "consignee_trader",
    "consignee × overseas trader",
    "收货人 × 境外发货人",
    (CONSIGNEE_ID, OVERSEAS_TRADER_ID),
)
# A goods line is what a repeat consignment shares: the same HS code and origin, net
# weight and invoice value (with currency), whoever declares it.
GOODS_LINE = Entity(
    "goods_line",
    "goods line",
    "相同货物",
    (HS_CODE, ORIGIN_COUNTRY, NET_WEIGHT, DECLARED_VALUE, CURRENCY),
)
HS6_ORIGIN = Entity(
    "hs6_origin", "HS6 × origin", "HS子目（6位）× 原产国（地区）", (HS_SUBHEADING, ORIGIN_COUNTRY)
)
HS6 = Entity("hs6", "hs6", "HS子目（6位）", (HS_SUBHEADING,))
ROUTE = Entity(
    "route", "HS chapter × origin", "HS章 × 原产国（地区）", (HS_CHAPTER_CODE, ORIGIN_COUNTRY)
)
HS_CHAPTER = Entity("hs_chapter", "HS chapter", "HS章", (HS_CHAPTER_CODE,))
ORIGIN = Entity("origin", "origin", "原产国（地区）", (ORIGIN_COUNTRY,))

ENTITIES: tuple[Entity, ...] = (
    GOODS_LINE,
    CONSIGNEE,
    DECLARANT,
    OVERSEAS_TRADER,
    CONSIGNEE_TRADER,
    HS6_ORIGIN,
    HS6,
    ROUTE,
    HS_CHAPTER,
    ORIGIN,
)
KEYED_ENTITIES: tuple[Entity, ...] = tuple(e for e in ENTITIES if e.parts)
KEY_PARTS: tuple[KeyPart, ...] = tuple(dict.fromkeys(p for e in ENTITIES for p in e.parts))
# Declaration columns the entity keys are made of (outcomes carry them for their history).
ENTITY_KEY_INPUTS: tuple[str, ...] = tuple(dict.fromkeys(p.column for p in KEY_PARTS))


@dataclass(frozen=True, eq=False)
class Aggregate:
    """Sums of one source's events per key of one entity, queryable as of any time."""

    name: str  # the state's file for it
    entity: Entity
    source: str  # declarations | inspection_outcomes | monitoring
    values: tuple[str, ...]  # what is summed, in the state's column order

    def column(self, value: str) -> int:
        return self.values.index(value)


@dataclass(frozen=True, eq=False)
class Lookup:
    """An interval record per enterprise (e.g. a credit level), read as held before t."""

    name: str
    source: str


def _declaration_counts(entity: Entity) -> Aggregate:
    return Aggregate(f"{entity.name}_declarations", entity, "declarations", ("count",))


def _unit_values(entity: Entity) -> Aggregate:
    return Aggregate(f"{entity.name}_unit_value", entity, "declarations", ("count", "log_uv"))


def _outcomes(entity: Entity) -> Aggregate:
    # Outcomes count from when they became known (label delay), not from the inspection.
    return Aggregate(
        f"{entity.name}_outcomes",
        entity,
        "inspection_outcomes",
        ("inspections", *RISK_CATEGORIES),
    )


DECLARATION_COUNTS: dict[Entity, Aggregate] = {
    e: _declaration_counts(e)
    for e in (CONSIGNEE, DECLARANT, OVERSEAS_TRADER, CONSIGNEE_TRADER, GOODS_LINE)
}
UNIT_VALUES: dict[Entity, Aggregate] = {e: _unit_values(e) for e in (HS6_ORIGIN, HS6)}
OUTCOME_HISTORY: dict[Entity, Aggregate] = {
    e: _outcomes(e) for e in (CONSIGNEE, ROUTE, DECLARANT, OVERSEAS_TRADER, HS6, GOODS_LINE)
}
ROUTE_MONITORING = Aggregate("route_monitoring", ROUTE, "monitoring", RISK_CATEGORIES)
ORIGIN_MONITORING = Aggregate("origin_monitoring", ORIGIN, "monitoring", ("adverse",))
HS_MONITORING = Aggregate("hs_monitoring", HS_CHAPTER, "monitoring", ("adverse",))
# Records naming an enterprise, read for the consignee that enterprise is.
ENTERPRISE_MONITORING = Aggregate(
    "enterprise_monitoring", CONSIGNEE, "monitoring", ("adverse", "self_reports")
)
MONITORING_AGGREGATES: tuple[Aggregate, ...] = (
    ROUTE_MONITORING,
    ORIGIN_MONITORING,
    HS_MONITORING,
    ENTERPRISE_MONITORING,
)
AGGREGATES: tuple[Aggregate, ...] = (
    *DECLARATION_COUNTS.values(),
    *UNIT_VALUES.values(),
    *OUTCOME_HISTORY.values(),
    *MONITORING_AGGREGATES,
)

CREDIT_LEVEL = Lookup("credit_level", "credit_history")
LOOKUPS: tuple[Lookup, ...] = (CREDIT_LEVEL,)

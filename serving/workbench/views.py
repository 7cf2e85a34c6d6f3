"""A recorded decision as the decision page shows it: per goods item what was declared,
the per-category assessment with its reasons, the measures and the selection."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ledger.actors import Role
from ledger.decisions import RecordedDecision
from ledger.masking import PARTY_FIELDS, mask_identifier

# Who may see enterprises' identifiers in full: officers act on the goods; analysts and
# publishers work on patterns and see them masked.
SEES_IDENTIFIERS = frozenset({Role.officer, Role.admin})
# A category is "flagged" (gets its reasons chart) from this level up.
FLAGGED_LEVEL = 2
DECLARED_FIELDS = (
    "declared_at",
    "customs_office",
    "port_code",
    "trade_mode",
    "transport_mode",
    "consignee_id",
    "declarant_id",
    "overseas_trader_id",
    "hs_code",
    "origin_country",
    "departure_country",
    "incoterm",
    "value_cny",
    "quantity",
    "quantity_unit",
    "net_weight_kg",
    "gross_weight_kg",
    "duty_rate",
    "licence_codes",
)


@dataclass(frozen=True)
class ReasonView:
    feature: str
    value: Any
    contribution: float


@dataclass(frozen=True)
class CategoryView:
    category: str
    probability: float
    interval: tuple[float, float] | None
    level: int
    severity: dict[str, Any]
    trend: dict[str, Any]
    support: int | None
    reasons: list[ReasonView]

    @property
    def flagged(self) -> bool:
        return self.level >= FLAGGED_LEVEL


@dataclass(frozen=True)
class ItemView:
    item_no: int
    declared: list[tuple[str, Any]]
    consignee_id: str | None
    overall_probability: float
    overall_level: int
    credit_level: str | None
    low_support_reasons: list[str]
    measures: list[dict[str, Any]]
    overridden: list[dict[str, Any]]
    selection: dict[str, Any]
    categories: list[CategoryView]
    not_scored: dict[str, str] = field(default_factory=dict)


def _shown(name: str, value: Any, role: str) -> Any:
    if name in PARTY_FIELDS and value and role not in SEES_IDENTIFIERS:
        return mask_identifier(str(value))
    return value


def _category(name: str, risk: dict[str, Any]) -> CategoryView:
    interval = (risk.get("uncertainty") or {}).get("interval_90")
    return CategoryView(
        category=name,
        probability=risk["probability"],
        interval=tuple(interval) if interval else None,
        level=risk["level"],
        severity=risk.get("severity") or {},
        trend=risk.get("trend") or {},
        support=(risk.get("uncertainty") or {}).get("calibration_support"),
        reasons=[
            ReasonView(r["feature"], r["value"], r["contribution"]) for r in risk.get("reasons", [])
        ],
    )


def item_views(recorded: RecordedDecision, role: str) -> list[ItemView]:
    inputs = {int(d.get("item_no", 1)): d for d in recorded.payload["inputs"]}
    views = []
    for item in recorded.payload["decision"]["items"]:
        declared = inputs.get(item["item_no"], {})
        categories = sorted(
            (_category(c, r) for c, r in item["risks"].items()),
            key=lambda v: (-v.level, -v.probability),
        )
        views.append(
            ItemView(
                item_no=item["item_no"],
                declared=[(f, _shown(f, declared.get(f), role)) for f in DECLARED_FIELDS],
                consignee_id=declared.get("consignee_id"),
                overall_probability=item["overall_probability"],
                overall_level=item["overall_level"],
                credit_level=item.get("credit_level"),
                low_support_reasons=item.get("low_support_reasons", []),
                measures=item.get("measures", []),
                overridden=item.get("overridden", []),
                selection=item.get("selection", {}),
                categories=categories,
                not_scored=item.get("not_scored", {}),
            )
        )
    return views

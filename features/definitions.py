"""The feature catalogue: every model input, declared once.

Each :class:`Feature` says what it is in a reviewer's words, English and Chinese
(``label``, ``label_zh``; ``label_in(lang)`` picks one), which entity it describes
(``features.entities``), what it reads — the declaration itself, or a point-in-time
aggregate or lookup of the entity state, and how (``measure``) — its look-back window
and, for historical aggregates, that only what was known before the declaration's time
counts. ``features.compute`` produces exactly these columns, in this
order, for training and for serving; a test pins the two lists to each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from features.entities import (
    CONSIGNEE,
    CONSIGNEE_TRADER,
    CREDIT_LEVEL,
    DECLARANT,
    DECLARATION_COUNTS,
    ENTERPRISE_MONITORING,
    GOODS_ITEM,
    GOODS_LINE,
    HS6,
    HS6_ORIGIN,
    HS_CHAPTER,
    HS_MONITORING,
    ORIGIN,
    ORIGIN_MONITORING,
    OUTCOME_HISTORY,
    OVERSEAS_TRADER,
    ROUTE,
    ROUTE_MONITORING,
    UNIT_VALUES,
    Aggregate,
    Entity,
    Lookup,
)
from sources.contracts import RISK_CATEGORIES
from sources.labels import CATEGORY_LABELS, Label

# How a feature is read: from the declaration alone (``declared``), or from the state:
# an aggregate's sum of one value over the window; a findings rate (that sum over the
# known inspections, shrunk); days since the entity's first event; a lookup's value as
# held before the declaration; the log unit value against the entity's mean.
Measure = Literal[
    "declared", "sum", "findings_rate", "days_since_first", "as_of", "log_ratio_to_mean"
]


@dataclass(frozen=True)
class Feature:
    """One model input."""

    name: str
    label: str  # plain language, shown to reviewers next to SHAP contributions
    label_zh: str  # the same in Chinese: the reviewers' own language
    entity: Entity  # what the value describes
    description: str
    reads: Aggregate | Lookup | None = None  # None: the declaration itself
    measure: Measure = "declared"
    value: str | None = None  # which of the aggregate's sums
    window_days: int | None = None  # None: request-time, or all history before the declaration
    kind: str = "numeric"  # numeric | categorical
    unit: str | None = None

    @property
    def source(self) -> str:
        """declarations | credit_history | monitoring | inspection_outcomes"""
        return self.reads.source if self.reads is not None else "declarations"

    def label_in(self, lang: str | None) -> str:
        """The label in ``lang`` ("zh-CN" or "en"); English for any other language."""
        return Label(self.label, self.label_zh).in_(lang)

    def to_dict(self) -> dict:
        """The catalogue entry in plain values (logged with every trained model)."""
        return {
            "name": self.name,
            "label": self.label,
            "label_zh": self.label_zh,
            "source": self.source,
            "entity": self.entity.label,
            "description": self.description,
            "window_days": self.window_days,
            "kind": self.kind,
            "unit": self.unit,
        }


def _words(category: str) -> str:
    return category.replace("_", " ")


def _zh(category: str) -> str:
    """The category's Art. 2 name, as the per-category features' Chinese labels use it."""
    return CATEGORY_LABELS[category].zh


REQUEST_FEATURES: tuple[Feature, ...] = (
    Feature(
        "log_value_cny",
        "Declared value (log CNY)",
        "申报货值（人民币元，取对数）",
        GOODS_ITEM,
        "Natural log of 1 + the declared customs value in CNY.",
        unit="log CNY",
    ),
    Feature(
        "log_duty_at_stake",
        "Duty at stake (log CNY)",
        "涉及税款（人民币元，取对数）",
        GOODS_ITEM,
        "Log of 1 + value in CNY times the duty rate: the revenue exposed.",
        unit="log CNY",
    ),
    Feature(
        "duty_rate",
        "Duty rate",
        "关税税率",
        GOODS_ITEM,
        "Applicable ad valorem duty rate.",
        unit="fraction",
    ),
    Feature(
        "log_unit_value_kg",
        "Unit value per kg (log CNY)",
        "每千克单价（人民币元，取对数）",
        GOODS_ITEM,
        "Log of declared CNY value per net kilogram.",
        unit="log CNY/kg",
    ),
    Feature(
        "log_net_weight_kg",
        "Net weight (log kg)",
        "净重（千克，取对数）",
        GOODS_ITEM,
        "Natural log of 1 + the net weight in kilograms.",
        unit="log kg",
    ),
    Feature(
        "hs6_number",
        "HS subheading (as a number)",
        "HS子目（6位，按数值）",
        GOODS_ITEM,
        "The first six digits of the HS code read as a number: neighbouring codes are "
        "related goods, so ranges of it group them at any level of the nomenclature.",
    ),
    Feature(
        "net_gross_ratio",
        "Net / gross weight",
        "净重/毛重比",
        GOODS_ITEM,
        "Net weight divided by gross weight; packaging share hints at mis-description.",
    ),
    Feature(
        "licence_count",
        "Licences declared",
        "申报的许可证件数",
        GOODS_ITEM,
        "Number of licence / permit codes on the item.",
    ),
    Feature(
        "is_cross_border_ecommerce",
        "Cross-border e-commerce",
        "跨境电子商务",
        GOODS_ITEM,
        "1 when the trade mode is 9610, 9710, 9810 or 1210.",
    ),
    Feature(
        "is_transshipped",
        "Departed from a third country",
        "经第三国（地区）启运",
        GOODS_ITEM,
        "1 when the departure country differs from the origin country.",
    ),
    Feature(
        "hs_chapter",
        "HS chapter",
        "HS章（前2位）",
        GOODS_ITEM,
        "First two digits of the HS code.",
        kind="categorical",
    ),
    Feature(
        "hs_heading",
        "HS heading",
        "HS品目（前4位）",
        GOODS_ITEM,
        "First four digits of the HS code.",
        kind="categorical",
    ),
    Feature(
        "origin_country",
        "Origin country",
        "原产国（地区）",
        GOODS_ITEM,
        "Country of origin.",
        kind="categorical",
    ),
    Feature(
        "departure_country",
        "Departure country",
        "启运国（地区）",
        GOODS_ITEM,
        "Country the goods were shipped from.",
        kind="categorical",
    ),
    Feature(
        "trade_mode",
        "Trade mode",
        "监管方式",
        GOODS_ITEM,
        "Supervision mode code (监管方式).",
        kind="categorical",
    ),
    Feature(
        "transport_mode",
        "Transport mode",
        "运输方式",
        GOODS_ITEM,
        "Mode of transport at the border.",
        kind="categorical",
    ),
    Feature("incoterm", "Incoterm", "成交方式", GOODS_ITEM, "Delivery term.", kind="categorical"),
    *(
        Feature(
            name,
            label,
            label_zh,
            GOODS_ITEM,
            f"{label} as declared; missing where the administration does not record it.",
            kind="categorical",
        )
        for name, label, label_zh in (
            ("tax_type", "Duty treatment / preference code", "征免性质/优惠贸易协定代码"),
            ("origin_indicator", "Origin evidence", "原产地证明"),
            ("payment_type", "Payment method", "支付方式"),
            ("import_use", "Declared use of the goods", "申报用途"),
            ("courier_id", "Express courier", "快递企业"),
        )
    ),
)

HISTORY_FEATURES: tuple[Feature, ...] = (
    Feature(
        "unit_value_vs_reference",
        "Unit value against HS × origin reference (log ratio)",
        "单价相对同HS子目×原产国参考单价（对数比）",
        HS6_ORIGIN,
        "Log unit value minus the mean log unit value of the same HS6 and origin over the "
        "previous 365 days (HS6 alone when the pair has fewer than 3); negative = cheaper "
        "than usual.",
        reads=UNIT_VALUES[HS6_ORIGIN],
        measure="log_ratio_to_mean",
        window_days=365,
        unit="log ratio",
    ),
    Feature(
        "consignee_declarations_90d",
        "Consignee's goods items, last 90 days",
        "收货人近90天申报商品项数",
        CONSIGNEE,
        "Goods items the consignee declared in the 90 days before this one.",
        reads=DECLARATION_COUNTS[CONSIGNEE],
        measure="sum",
        value="count",
        window_days=90,
    ),
    Feature(
        "consignee_declarations_total",
        "Consignee's goods items, all history",
        "收货人历史申报商品项数",
        CONSIGNEE,
        "Goods items the consignee declared before this one.",
        reads=DECLARATION_COUNTS[CONSIGNEE],
        measure="sum",
        value="count",
    ),
    Feature(
        "consignee_days_active",
        "Days since consignee's first declaration",
        "收货人首次申报至今天数",
        CONSIGNEE,
        "Age of the consignee's trading history; missing when this is its first declaration.",
        reads=DECLARATION_COUNTS[CONSIGNEE],
        measure="days_since_first",
        unit="days",
    ),
    Feature(
        "declarant_declarations_90d",
        "Broker's goods items, last 90 days",
        "申报单位近90天申报商品项数",
        DECLARANT,
        "Goods items the declarant lodged in the previous 90 days.",
        reads=DECLARATION_COUNTS[DECLARANT],
        measure="sum",
        value="count",
        window_days=90,
    ),
    Feature(
        "overseas_trader_declarations_total",
        "Overseas trader's prior goods items",
        "境外发货人历史商品项数",
        OVERSEAS_TRADER,
        "Goods items from this overseas trader before this one; 0 = a trader never seen.",
        reads=DECLARATION_COUNTS[OVERSEAS_TRADER],
        measure="sum",
        value="count",
    ),
    Feature(
        "consignee_trader_declarations_total",
        "Prior items between consignee and trader",
        "收货人与该境外发货人历史商品项数",
        CONSIGNEE_TRADER,
        "Goods items between this consignee "
        "and this overseas trader before; 0 = a new relationship.",
        reads=DECLARATION_COUNTS[CONSIGNEE_TRADER],
        measure="sum",
        value="count",
    ),
    Feature(
        "consignee_trader_days_active",
        "Days since consignee and trader first traded",
        "收货人与该境外发货人首次往来至今天数",
        CONSIGNEE_TRADER,
        "Age of the relationship; missing when new.",
        reads=DECLARATION_COUNTS[CONSIGNEE_TRADER],
        measure="days_since_first",
        unit="days",
    ),
    Feature(
        "consignee_credit_level",
        "Consignee credit level (0 advanced … 4 seriously dishonest)",
        "收货人信用等级（0 高级认证企业 … 4 严重失信企业）",
        CONSIGNEE,
        "Order No. 282 credit level valid just before the "
        "declaration, as an ordinal; missing when unrated.",
        reads=CREDIT_LEVEL,
        measure="as_of",
    ),
    Feature(
        "declarant_credit_level",
        "Broker credit level (0 advanced … 4 seriously dishonest)",
        "申报单位信用等级（0 高级认证企业 … 4 严重失信企业）",
        DECLARANT,
        "Credit level of the declarant just before the declaration.",
        reads=CREDIT_LEVEL,
        measure="as_of",
    ),
    Feature(
        "consignee_inspections_known",
        "Consignee's inspections with known outcome",
        "收货人已知结果的查验次数",
        CONSIGNEE,
        "Earlier inspections of the consignee whose outcome was known before this declaration.",
        reads=OUTCOME_HISTORY[CONSIGNEE],
        measure="sum",
        value="inspections",
    ),
    *(
        Feature(
            f"consignee_findings_rate_{c}",
            f"Consignee's past {_words(c)} findings rate",
            f"收货人既往{_zh(c)}类查获率",
            CONSIGNEE,
            f"{_words(c).capitalize()} findings / (known inspections + 3), outcomes known "
            "before the declaration only.",
            reads=OUTCOME_HISTORY[CONSIGNEE],
            measure="findings_rate",
            value=c,
        )
        for c in RISK_CATEGORIES
    ),
    *(
        Feature(
            f"{entity.name}_findings_rate_{c}",
            f"{who}'s past {_words(c)} findings rate",
            f"{who_zh}既往{_zh(c)}类查获率",
            entity,
            f"{_words(c).capitalize()} findings / (known inspections + 3) of the {who.lower()}, "
            "outcomes known before the declaration only.",
            reads=OUTCOME_HISTORY[entity],
            measure="findings_rate",
            value=c,
        )
        for entity, who, who_zh in (
            (DECLARANT, "Broker", "申报单位"),
            (OVERSEAS_TRADER, "Overseas trader", "境外发货人"),
            (HS6, "HS subheading", "该HS子目"),
        )
        for c in RISK_CATEGORIES
    ),
    Feature(
        "goods_line_declarations_total",
        "Identical goods items declared before",
        "相同货物历史申报商品项数",
        GOODS_LINE,
        "Earlier goods items with the same HS code, origin, net weight and invoice value "
        "(a repeat consignment), whoever declared them; 0 = goods never declared so.",
        reads=DECLARATION_COUNTS[GOODS_LINE],
        measure="sum",
        value="count",
    ),
    Feature(
        "goods_line_inspections_known",
        "Identical goods items inspected before",
        "相同货物已知结果的查验次数",
        GOODS_LINE,
        "Earlier inspections of identical goods items (same HS code, origin, net weight and "
        "invoice value) whose outcome was known before this declaration.",
        reads=OUTCOME_HISTORY[GOODS_LINE],
        measure="sum",
        value="inspections",
    ),
    *(
        Feature(
            f"goods_line_findings_rate_{c}",
            f"Identical goods' past {_words(c)} findings rate",
            f"相同货物既往{_zh(c)}类查获率",
            GOODS_LINE,
            f"{_words(c).capitalize()} findings / (known inspections + 3) on identical goods "
            "items (same HS code, origin, net weight and invoice value), outcomes known "
            "before the declaration only.",
            reads=OUTCOME_HISTORY[GOODS_LINE],
            measure="findings_rate",
            value=c,
        )
        for c in RISK_CATEGORIES
    ),
    *(
        Feature(
            f"route_findings_rate_{c}",
            f"Route's past {_words(c)} findings rate",
            f"同HS章×原产国{_zh(c)}类查获率，近365天",
            ROUTE,
            f"{_words(c).capitalize()} findings / (known inspections + 3) on the same HS "
            "chapter and origin, last 365 days.",
            reads=OUTCOME_HISTORY[ROUTE],
            measure="findings_rate",
            value=c,
            window_days=365,
        )
        for c in RISK_CATEGORIES
    ),
    *(
        Feature(
            f"route_monitoring_{c}_90d",
            f"Adverse {_words(c)} monitoring on this route, 90 d",
            f"同HS章×原产国{_zh(c)}类风险监测异常，近90天",
            ROUTE,
            f"Adverse {_words(c)} monitoring records (lab, interception, sampling, alerts) "
            "scoped to the HS chapter and origin in the 90 days before.",
            reads=ROUTE_MONITORING,
            measure="sum",
            value=c,
            window_days=90,
        )
        for c in RISK_CATEGORIES
    ),
    Feature(
        "origin_alerts_90d",
        "Country-wide alerts on the origin, 90 d",
        "针对原产国（地区）的预警，近90天",
        ORIGIN,
        "Adverse records scoped to the origin country alone, previous 90 days.",
        reads=ORIGIN_MONITORING,
        measure="sum",
        value="adverse",
        window_days=90,
    ),
    Feature(
        "hs_monitoring_90d",
        "Adverse monitoring on the HS chapter, any origin, 90 d",
        "该HS章风险监测异常（不限原产国），近90天",
        HS_CHAPTER,
        "Adverse records scoped to the HS chapter without an origin, previous 90 days.",
        reads=HS_MONITORING,
        measure="sum",
        value="adverse",
        window_days=90,
    ),
    Feature(
        "consignee_monitoring_adverse_365d",
        "Adverse monitoring on the consignee, 365 d",
        "涉及收货人的风险监测异常，近365天",
        CONSIGNEE,
        "Adverse lab / sampling / alert records naming the consignee, previous 365 days.",
        reads=ENTERPRISE_MONITORING,
        measure="sum",
        value="adverse",
        window_days=365,
    ),
    Feature(
        "consignee_self_reports_365d",
        "Consignee's voluntary self-reports, 365 d",
        "收货人主动报告风险次数，近365天",
        CONSIGNEE,
        "Art. 9 self-reports by the consignee, previous 365 days (mitigating).",
        reads=ENTERPRISE_MONITORING,
        measure="sum",
        value="self_reports",
        window_days=365,
    ),
)

FEATURES: tuple[Feature, ...] = REQUEST_FEATURES + HISTORY_FEATURES
FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in FEATURES)
CATEGORICAL_FEATURES: tuple[str, ...] = tuple(f.name for f in FEATURES if f.kind == "categorical")
FEATURES_BY_NAME: dict[str, Feature] = {f.name: f for f in FEATURES}

# Feature columns that identify a goods line in a feature table (HS subheading, origin, net
# weight and value: the amounts of the goods-line key enter these features through a log).
GOODS_LINE_COLUMNS: tuple[str, ...] = (
    "hs6_number",
    "origin_country",
    "log_net_weight_kg",
    "log_value_cny",
)

# Feature views: the feature sets a category's model may be restricted to. Training fits
# each and keeps the default (the first) unless another is confidently better on held-out
# findings (``models.training.choose_view``). History carries the demo's planted entity
# mechanisms and, on KCS, the record of repeated goods lines; the declaration alone is the
# fallback for data whose history only adds noise.
FEATURE_VIEWS: dict[str, tuple[str, ...]] = {
    "with_history": FEATURE_NAMES,
    "declaration_only": tuple(f.name for f in REQUEST_FEATURES),
}

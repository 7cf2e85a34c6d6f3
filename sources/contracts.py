"""Data contracts of the four sources (GACC Order No. 271, Art. 6-9).

Each source is a table with documented columns: name, dtype, unit, whether it may be
null and its allowed values, pattern or range. The Great Expectations suites in
``sources.validation`` and the API's request model are both derived from these
definitions, so the contract is stated once.

Times are UTC and stored tz-naive (``datetime64[us]``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

# Art. 2 risk categories scored for every goods declaration. ``other`` is reserved:
# a category enters ``RISK_CATEGORIES`` once it has a planted mechanism or real labels.
RISK_CATEGORIES: tuple[str, ...] = (
    "prohibited_restricted",
    "public_health",
    "biosecurity",
    "food_safety",
    "product_quality",
    "revenue",
    "ipr",
)
RESERVED_CATEGORIES: tuple[str, ...] = ("other",)

# Enterprise credit levels of GACC Order No. 282, from most to least trusted.
CREDIT_LEVELS: tuple[str, ...] = (
    "advanced_certified",
    "certified",
    "regular",
    "dishonest",
    "seriously_dishonest",
)

# Art. 6 collection channels, plus the single window through which declarations arrive.
PROVENANCE_CHANNELS: tuple[str, ...] = (
    "single_window",
    "monitoring",
    "interagency_sharing",
    "unit_or_individual_report",
    "public_source",
    "third_party_service",
    "international_sharing",
    "self_report",
    "other",
)

# 监管方式 (supervision mode) codes used in the demo data; the contract accepts any
# four-digit code so that other administrations' modes fit.
TRADE_MODES: dict[str, str] = {
    "0110": "general trade",
    "0214": "processing with imported materials (feed processing)",
    "0615": "processing with imported materials",
    "1210": "bonded cross-border e-commerce",
    "9610": "cross-border e-commerce B2C direct",
    "9710": "cross-border e-commerce B2B direct export",
    "9810": "cross-border e-commerce export overseas warehouse",
    "1233": "bonded warehouse goods",
}
CROSS_BORDER_ECOMMERCE_MODES: frozenset[str] = frozenset({"9610", "9710", "9810", "1210"})

TRANSPORT_MODES: tuple[str, ...] = ("sea", "air", "road", "rail", "post", "other")
INCOTERMS: tuple[str, ...] = (
    "EXW",
    "FCA",
    "FAS",
    "FOB",
    "CFR",
    "CIF",
    "CPT",
    "CIP",
    "DAP",
    "DPU",
    "DDP",
)
QUANTITY_UNITS: tuple[str, ...] = ("kg", "pcs", "l", "m", "m2", "m3", "pair", "set", "t")

MONITORING_EVENT_TYPES: tuple[str, ...] = (
    "lab_result",
    "port_interception",
    "sampling_result",
    "domestic_alert",
    "foreign_alert",
    "self_report",
)
# adverse: a risk was found or signalled (failed lab test, interception, alert issued,
# self-reported problem); clear: checked and nothing found.
MONITORING_OUTCOMES: tuple[str, ...] = ("adverse", "clear")

# How an inspected item was chosen. ``random`` and ``exploration`` draws carry their
# probability, which makes unbiased (inverse-probability-weighted) estimates possible.
SELECTION_REASONS: tuple[str, ...] = ("model", "rule", "random", "planned_sampling", "exploration")

# Patterns. The unified social credit code is 18 characters of digits and upper-case
# letters excluding I, O, S, V, Z (GB 32100-2015).
USCC_PATTERN = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
# Enterprise identifiers: Chinese data carries the USCC (checked by the generator's
# tests); the contract accepts other administrations' identifiers too.
PARTY_ID_PATTERN = r"^[0-9A-Za-z-]{3,40}$"
CODE_PATTERN = r"^[0-9A-Za-z]{1,8}$"
HS_CODE_PATTERN = r"^[0-9]{6,10}$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
TRADE_MODE_PATTERN = r"^[0-9]{4}$"
OFFICE_PATTERN = r"^[0-9]{4}$"
HS_PREFIX_PATTERN = r"^[0-9]{2,10}$"

# Largest plausible goods item: 1e12 CNY, and a million tonnes (more than the largest ship).
MAX_VALUE_CNY = 1e12
MAX_KG = 1e9

# Every time lies in [TIME_RANGE_START, TIME_RANGE_END) UTC: the entity state
# (features.state) packs whole seconds since 2000-01-01 into 32 bits, so earlier times
# would be clamped and times from ~2136 on would read other entities' history.
TIME_RANGE_START = datetime(2000, 1, 1, tzinfo=UTC)
TIME_RANGE_END = datetime(2100, 1, 1, tzinfo=UTC)
TIME_RANGE = (TIME_RANGE_START, TIME_RANGE_END)


def time_range_text(start: datetime, end: datetime) -> str:
    """``[start, end) UTC`` as days."""
    return f"[{start:%Y-%m-%d}, {end:%Y-%m-%d}) UTC"


@dataclass(frozen=True)
class Column:
    """One column of a source table."""

    name: str
    dtype: str  # "string", "int", "float", "bool", "datetime"
    description: str
    nullable: bool = False
    unit: str | None = None
    allowed: tuple[str, ...] | None = None
    pattern: str | None = None
    min_value: float | None = None
    max_value: float | None = None
    # Datetime columns: [start, end) as aware UTC datetimes; every time shares TIME_RANGE.
    time_range: tuple[datetime, datetime] | None = None

    def __post_init__(self) -> None:
        if self.dtype == "datetime" and self.time_range is None:
            object.__setattr__(self, "time_range", TIME_RANGE)


@dataclass(frozen=True)
class SourceContract:
    """A source table: its columns, its key and a description."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    time_column: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


DECLARATIONS = SourceContract(
    name="declarations",
    description="Import goods declarations, one row per goods item.",
    key=("declaration_id", "item_no"),
    time_column="declared_at",
    columns=(
        Column(
            "declaration_id",
            "string",
            "Customs declaration number.",
            pattern=r"^[0-9A-Za-z-]{6,32}$",
        ),
        Column(
            "item_no",
            "int",
            "Goods item number within the declaration.",
            min_value=1,
            max_value=999,
        ),
        Column("declared_at", "datetime", "When the declaration was lodged (UTC)."),
        Column(
            "customs_office", "string", "Customs office code (关区代码).", pattern=OFFICE_PATTERN
        ),
        Column("port_code", "string", "Port of entry code.", pattern=OFFICE_PATTERN),
        Column(
            "trade_mode", "string", "Supervision mode code (监管方式).", pattern=TRADE_MODE_PATTERN
        ),
        Column(
            "transport_mode", "string", "Mode of transport at the border.", allowed=TRANSPORT_MODES
        ),
        Column(
            "consignee_id",
            "string",
            "Consignee enterprise: unified social credit code in China, else the "
            "administration's importer identifier.",
            pattern=PARTY_ID_PATTERN,
        ),
        Column(
            "declarant_id",
            "string",
            "Declarant (customs broker): unified social credit code in China, else the "
            "administration's identifier.",
            pattern=PARTY_ID_PATTERN,
        ),
        Column(
            "overseas_trader_id",
            "string",
            "Overseas seller / consignor identifier; null when not declared.",
            nullable=True,
            pattern=PARTY_ID_PATTERN,
        ),
        Column(
            "hs_code",
            "string",
            "Commodity code, 6 to 10 digits (10 in China).",
            pattern=HS_CODE_PATTERN,
        ),
        Column(
            "origin_country",
            "string",
            "Country of origin, ISO 3166-1 alpha-2.",
            pattern=COUNTRY_PATTERN,
        ),
        Column(
            "departure_country",
            "string",
            "Country of departure, ISO 3166-1 alpha-2.",
            pattern=COUNTRY_PATTERN,
        ),
        Column(
            "incoterm",
            "string",
            "Incoterms 2020 delivery term; null when not declared.",
            nullable=True,
            allowed=INCOTERMS,
        ),
        Column("currency", "string", "Invoice currency, ISO 4217.", pattern=CURRENCY_PATTERN),
        # Upper bounds are far above any real goods item; they keep features and severities
        # finite (1e308 CNY times a duty rate overflows).
        Column(
            "declared_value",
            "float",
            "Declared value in the invoice currency.",
            unit="currency",
            min_value=0.0,
            max_value=1e16,  # MAX_VALUE_CNY even in VND or IDR (thousands to the CNY)
        ),
        Column(
            "value_cny",
            "float",
            "Declared customs value in CNY.",
            unit="CNY",
            min_value=0.0,
            max_value=MAX_VALUE_CNY,
        ),
        Column(
            "quantity",
            "float",
            "Declared quantity.",
            unit="quantity_unit",
            min_value=0.0,
            max_value=1e12,
        ),
        Column("quantity_unit", "string", "Unit of the declared quantity.", allowed=QUANTITY_UNITS),
        Column("net_weight_kg", "float", "Net weight.", unit="kg", min_value=0.0, max_value=MAX_KG),
        Column(
            "gross_weight_kg", "float", "Gross weight.", unit="kg", min_value=0.0, max_value=MAX_KG
        ),
        Column(
            "duty_rate",
            "float",
            "Applicable ad valorem duty rate (0.08 = 8 %).",
            unit="fraction",
            min_value=0.0,
            max_value=10.0,  # some tariff-quota rates exceed 800 %
        ),
        Column(
            "licence_codes",
            "string",
            "Licence / permit codes (监管证件), comma-separated; empty when none.",
            nullable=True,
            pattern=r"^[0-9A-Za-z,]*$",
        ),
        # Optional declaration attributes that many administrations record; the demo
        # generator leaves them null, the KCS adapter fills them.
        Column(
            "tax_type",
            "string",
            "Duty treatment / preference code (征免方式).",
            nullable=True,
            pattern=CODE_PATTERN,
        ),
        Column(
            "origin_indicator",
            "string",
            "How the origin is evidenced (certificate, mark).",
            nullable=True,
            pattern=CODE_PATTERN,
        ),
        Column(
            "payment_type",
            "string",
            "Payment / transaction method code.",
            nullable=True,
            pattern=CODE_PATTERN,
        ),
        Column(
            "import_use",
            "string",
            "Declared use of the goods (用途) code.",
            nullable=True,
            pattern=CODE_PATTERN,
        ),
        Column(
            "courier_id",
            "string",
            "Express courier operator, for express consignments.",
            nullable=True,
            pattern=PARTY_ID_PATTERN,
        ),
        Column(
            "provenance_channel",
            "string",
            "Art. 6 channel the record came through.",
            allowed=PROVENANCE_CHANNELS,
        ),
    ),
    notes=("gross_weight_kg >= net_weight_kg",),
)

CREDIT_HISTORY = SourceContract(
    name="credit_history",
    description="Enterprise credit status over time (Order No. 282 levels).",
    key=("enterprise_id", "valid_from"),
    time_column="valid_from",
    columns=(
        Column(
            "enterprise_id",
            "string",
            "Enterprise, unified social credit code.",
            pattern=USCC_PATTERN,
        ),
        Column("credit_level", "string", "Credit level (Order No. 282).", allowed=CREDIT_LEVELS),
        Column("valid_from", "datetime", "Start of validity (UTC)."),
        Column("valid_to", "datetime", "End of validity (UTC); null while current.", nullable=True),
        Column("provenance_channel", "string", "Art. 6 channel.", allowed=PROVENANCE_CHANNELS),
    ),
    notes=("valid_to is null or after valid_from",),
)

MONITORING = SourceContract(
    name="monitoring",
    description=(
        "Monitoring and risk information (Art. 7, 9, 14): lab results, port interceptions, "
        "sampling-plan results, domestic and foreign alerts, voluntary self-reports."
    ),
    key=("event_id",),
    time_column="observed_at",
    columns=(
        Column("event_id", "string", "Event identifier.", pattern=r"^[0-9A-Za-z-]{3,40}$"),
        Column(
            "event_type", "string", "Kind of monitoring record.", allowed=MONITORING_EVENT_TYPES
        ),
        Column("observed_at", "datetime", "When customs learned of it (UTC)."),
        Column(
            "enterprise_id",
            "string",
            "Enterprise in scope, if any.",
            nullable=True,
            pattern=USCC_PATTERN,
        ),
        Column(
            "hs_prefix",
            "string",
            "HS code prefix in scope (2-10 digits), if any.",
            nullable=True,
            pattern=HS_PREFIX_PATTERN,
        ),
        Column(
            "origin_country",
            "string",
            "Origin country in scope, if any.",
            nullable=True,
            pattern=COUNTRY_PATTERN,
        ),
        Column(
            "risk_category",
            "string",
            "Art. 2 risk category.",
            allowed=RISK_CATEGORIES + RESERVED_CATEGORIES,
        ),
        Column(
            "outcome",
            "string",
            "adverse (risk found or signalled) or clear.",
            allowed=MONITORING_OUTCOMES,
        ),
        Column("provenance_channel", "string", "Art. 6 channel.", allowed=PROVENANCE_CHANNELS),
    ),
    notes=("at least one of enterprise_id, hs_prefix, origin_country is set",),
)

FINDING_COLUMNS: tuple[str, ...] = tuple(f"finding_{c}" for c in RISK_CATEGORIES)

INSPECTION_OUTCOMES = SourceContract(
    name="inspection_outcomes",
    description="Results of inspections: the labels. Only inspected goods items have one.",
    key=("declaration_id", "item_no"),
    time_column="outcome_known_at",
    columns=(
        Column(
            "declaration_id", "string", "Declaration inspected.", pattern=r"^[0-9A-Za-z-]{6,32}$"
        ),
        Column("item_no", "int", "Goods item number.", min_value=1, max_value=999),
        Column("selection_reason", "string", "Why it was inspected.", allowed=SELECTION_REASONS),
        Column("inspected_at", "datetime", "When the inspection took place (UTC)."),
        Column(
            "outcome_known_at",
            "datetime",
            "When the outcome became known (UTC): labels exist from then on.",
        ),
        *(
            Column(f"finding_{c}", "bool", f"Inspection found a {c.replace('_', ' ')} violation.")
            for c in RISK_CATEGORIES
        ),
        Column(
            "duty_recovered_cny", "float", "Duty and taxes recovered.", unit="CNY", min_value=0.0
        ),
        Column(
            "selection_probability",
            "float",
            "Probability with which a random or exploration draw selected the item (for "
            "inverse-probability weighting); empty for targeted selections.",
            min_value=0.0,
            max_value=1.0,
            nullable=True,
        ),
    ),
    notes=("outcome_known_at >= inspected_at",),
)

CONTRACTS: dict[str, SourceContract] = {
    c.name: c for c in (DECLARATIONS, CREDIT_HISTORY, MONITORING, INSPECTION_OUTCOMES)
}

_PANDAS_DTYPES = {
    "string": "string",
    "int": "int64",
    "float": "float64",
    "bool": "bool",
    "datetime": "datetime64[us]",
}


def pandas_dtypes(contract: SourceContract) -> dict[str, str]:
    """Pandas dtype of every column of ``contract`` (nullable ints stay int64)."""
    return {c.name: _PANDAS_DTYPES[c.dtype] for c in contract.columns}


def conform(frame, contract: SourceContract):
    """Return ``frame`` with exactly the contract's columns, in order, cast to their dtypes.

    Nullable columns the frame lacks are added as nulls (a source may not record them);
    a missing required column raises ``KeyError`` naming it. Casting does not validate
    values: that is the expectation suite's job.
    """
    frame = frame.copy()
    for col in contract.columns:
        if col.nullable and col.name not in frame.columns:
            frame[col.name] = None
    missing = [c for c in contract.column_names if c not in frame.columns]
    if missing:
        raise KeyError(f"{contract.name}: missing columns {missing}")
    out = frame[contract.column_names]
    for col in contract.columns:
        if col.dtype == "datetime":
            out[col.name] = out[col.name].astype("datetime64[us]")
        elif col.dtype == "string":
            out[col.name] = out[col.name].astype("string")
        elif col.dtype == "float":
            out[col.name] = out[col.name].astype("float64")
    return out


def contracts_markdown() -> str:
    """The four contracts as Markdown tables (``docs/contracts.md`` is this, committed)."""
    lines = [
        "# Data contracts",
        "",
        "Generated from `sources/contracts.py` (a test keeps this file in sync). Times are "
        "UTC, stored tz-naive. The expectation suites in `sources/validation.py` and the "
        "API's request model are derived from the same definitions.",
        "",
    ]
    for contract in CONTRACTS.values():
        lines += [
            f"## {contract.name}",
            "",
            contract.description,
            "",
            f"Key: {', '.join(contract.key)}. Time: {contract.time_column}.",
            "",
            "| column | type | unit | null | allowed / pattern / range | meaning |",
            "|---|---|---|---|---|---|",
        ]
        for c in contract.columns:
            rule = ", ".join(c.allowed) if c.allowed else (f"`{c.pattern}`" if c.pattern else "")
            if c.min_value is not None or c.max_value is not None:
                low, high = (f"{v:g}" if v is not None else "" for v in (c.min_value, c.max_value))
                rule = f"{low} … {high}"
            if c.time_range is not None:
                rule = time_range_text(*c.time_range)
            lines.append(
                f"| {c.name} | {c.dtype} | {c.unit or ''} | "
                f"{'yes' if c.nullable else 'no'} | {rule} | {c.description} |"
            )
        if contract.notes:
            lines += ["", "Rules: " + "; ".join(contract.notes) + "."]
        lines.append("")
    return "\n".join(lines)

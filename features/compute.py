"""Feature computation shared by training (whole tables) and serving (one declaration).

``build_entity_state`` turns the four sources into point-in-time aggregates;
``compute_features`` turns declaration columns plus that state into the catalogue's
columns. Both paths call ``compute_features`` with the same state class: offline with
every declaration's columns, online with one-element columns. Inputs are plain numpy
arrays so that one declaration costs microseconds, not a DataFrame's overhead. Look-back
windows are read from the catalogue (``Feature.window_days``), never restated here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from features.definitions import FEATURE_NAMES, FEATURES_BY_NAME
from features.state import SECONDS_PER_DAY, AsOfLookup, EntityState, EventAggregate, to_seconds
from sources.contracts import CREDIT_LEVELS, CROSS_BORDER_ECOMMERCE_MODES, RISK_CATEGORIES

# Columns of a declaration that the features read; the online request must carry them.
DECLARATION_INPUTS: tuple[str, ...] = (
    "declared_at",
    "consignee_id",
    "declarant_id",
    "overseas_trader_id",
    "hs_code",
    "origin_country",
    "departure_country",
    "trade_mode",
    "transport_mode",
    "incoterm",
    "value_cny",
    "net_weight_kg",
    "gross_weight_kg",
    "duty_rate",
    "licence_codes",
    "tax_type",
    "origin_indicator",
    "payment_type",
    "import_use",
    "courier_id",
    "currency",
    "declared_value",
)

CREDIT_ORDINAL = {level: float(i) for i, level in enumerate(CREDIT_LEVELS)}
FINDINGS_PRIOR_WEIGHT = 3.0  # pseudo-inspections that shrink small-sample findings rates
REFERENCE_MIN_COUNT = 3  # prior HS6 × origin items needed before a reference price is trusted
UNIT_VALUE_FLOOR_KG = 1e-3


def _str(values) -> np.ndarray:
    """Object array of str with missing values as ''."""
    arr = np.asarray(values, dtype=object)
    return np.array(
        ["" if v is None or v is pd.NA or v != v else str(v) for v in arr], dtype=object
    )


def _join(*parts: np.ndarray) -> np.ndarray:
    """Composite entity keys; None where any part is unknown (it then matches nothing)."""
    return np.array(
        [None if "" in p else "|".join(p) for p in zip(*parts, strict=True)], dtype=object
    )


def _entity(ids: np.ndarray) -> np.ndarray:
    return np.array([v or None for v in ids], dtype=object)


def _prefix(codes: np.ndarray, n: int) -> np.ndarray:
    return np.array([c[:n] for c in codes], dtype=object)


def _amount(values) -> np.ndarray:
    """Amounts as exact text for composite keys ('' when missing): equal floats, equal text,
    whether they came from Parquet or from JSON (where 10 and 10.0 are the same amount)."""
    arr = np.asarray(values, dtype=float)
    return np.array(["" if v != v else repr(float(v)) for v in arr], dtype=object)


def _log_unit_value(value_cny: np.ndarray, net_weight_kg: np.ndarray) -> np.ndarray:
    return np.log1p(value_cny) - np.log1p(np.maximum(net_weight_kg, UNIT_VALUE_FLOOR_KG))


def declaration_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The feature inputs of a declarations table as numpy columns."""
    return {c: frame[c].to_numpy() for c in DECLARATION_INPUTS}


def columns_from_records(records: Sequence[Mapping]) -> dict[str, np.ndarray]:
    """Online: the feature inputs of declarations given as dicts (e.g. API bodies)."""
    columns = {
        name: np.array([r.get(name) for r in records], dtype=object) for name in DECLARATION_INPUTS
    }
    columns["declared_at"] = np.array(
        [np.datetime64(_naive_utc(r["declared_at"]), "s") for r in records]
    )
    for name in ("value_cny", "net_weight_kg", "gross_weight_kg", "duty_rate", "declared_value"):
        columns[name] = columns[name].astype(float)
    return columns


def _naive_utc(value) -> datetime:
    """ISO string or datetime → naive UTC datetime (the lake's convention)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


# Declaration columns the entity keys are made of (outcomes carry them for their history).
ENTITY_KEY_INPUTS: tuple[str, ...] = (
    "consignee_id",
    "declarant_id",
    "overseas_trader_id",
    "hs_code",
    "origin_country",
    "net_weight_kg",
    "declared_value",
    "currency",
)


def entity_keys(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Entity keys of declarations: consignee, declarant, route (HS chapter × origin), …

    A goods line is what a repeat consignment shares: the same HS code and origin, net
    weight and invoice value (with currency), whoever declares it.
    """
    hs = _str(columns["hs_code"])
    origin = _str(columns["origin_country"])
    consignee = _str(columns["consignee_id"])
    trader = _str(columns["overseas_trader_id"])
    return {
        "goods_line": _join(
            hs,
            origin,
            _amount(columns["net_weight_kg"]),
            _amount(columns["declared_value"]),
            _str(columns["currency"]),
        ),
        "consignee": _entity(consignee),
        "declarant": _entity(_str(columns["declarant_id"])),
        "overseas_trader": _entity(trader),
        "consignee_trader": _join(consignee, trader),
        "hs6_origin": _join(_prefix(hs, 6), origin),
        "hs6": _entity(_prefix(hs, 6)),
        "route": _join(_prefix(hs, 2), origin),
        "hs_chapter": _entity(_prefix(hs, 2)),
        "origin": _entity(origin),
    }


def build_entity_state(
    declarations: pd.DataFrame,
    credit_history: pd.DataFrame,
    monitoring: pd.DataFrame,
    inspection_outcomes: pd.DataFrame,
) -> EntityState:
    """Point-in-time aggregates of all four sources.

    Declaration events count from ``declared_at``; inspection outcomes from
    ``outcome_known_at`` (label delay); monitoring from ``observed_at``; credit levels
    from ``valid_from``.
    """
    cols = declaration_columns(declarations)
    keys = entity_keys(cols)
    t = to_seconds(cols["declared_at"])
    ones = np.ones(len(t))
    log_uv = _log_unit_value(cols["value_cny"].astype(float), cols["net_weight_kg"].astype(float))
    agg: dict[str, EventAggregate] = {}
    for entity in ("consignee", "declarant", "overseas_trader", "consignee_trader", "goods_line"):
        agg[f"{entity}_declarations"] = EventAggregate.from_events(
            f"{entity}_declarations", keys[entity], t, {"count": ones}
        )
    for entity in ("hs6_origin", "hs6"):
        agg[f"{entity}_unit_value"] = EventAggregate.from_events(
            f"{entity}_unit_value", keys[entity], t, {"count": ones, "log_uv": log_uv}
        )

    # Outcomes carry the declaration's entities, stamped with when they became known.
    # Validation guarantees that every outcome has its declaration (cross-source rules).
    labelled = inspection_outcomes.merge(
        declarations[["declaration_id", "item_no", *ENTITY_KEY_INPUTS]],
        on=["declaration_id", "item_no"],
        how="inner",
    )
    lkeys = entity_keys({c: labelled[c].to_numpy() for c in ENTITY_KEY_INPUTS})
    lt = to_seconds(labelled["outcome_known_at"].to_numpy())
    findings = {c: labelled[f"finding_{c}"].to_numpy(dtype=float) for c in RISK_CATEGORIES}
    inspected = np.ones(len(lt))
    for entity in ("consignee", "route", "declarant", "overseas_trader", "hs6", "goods_line"):
        agg[f"{entity}_outcomes"] = EventAggregate.from_events(
            f"{entity}_outcomes", lkeys[entity], lt, {"inspections": inspected, **findings}
        )

    agg.update(_monitoring_aggregates(monitoring))

    credit = credit_history
    starts = to_seconds(credit["valid_from"].to_numpy())
    ends_raw = credit["valid_to"]
    ends = np.where(
        ends_raw.isna().to_numpy(),
        np.nan,
        to_seconds(ends_raw.fillna(credit["valid_from"]).to_numpy()).astype(float),
    )
    lookups = {
        "credit_level": AsOfLookup.from_intervals(
            "credit_level",
            _str(credit["enterprise_id"]),
            starts,
            ends,
            credit["credit_level"].map(CREDIT_ORDINAL).to_numpy(dtype=float),
        )
    }
    latest = [
        declarations["declared_at"].max(),
        inspection_outcomes["outcome_known_at"].max(),
        monitoring["observed_at"].max(),
        credit["valid_from"].max(),
    ]
    built_through = max(pd.Timestamp(x) for x in latest if pd.notna(x))
    return EntityState(agg, lookups, built_through.isoformat())


def _monitoring_aggregates(monitoring: pd.DataFrame) -> dict[str, EventAggregate]:
    m = monitoring
    t = to_seconds(m["observed_at"].to_numpy())
    adverse = (m["outcome"] == "adverse").to_numpy()
    self_report = (m["event_type"] == "self_report").to_numpy()
    enterprise = _str(m["enterprise_id"])
    has_enterprise = enterprise != ""
    hs_prefix = _str(m["hs_prefix"])
    origin = _str(m["origin_country"])
    has_hs = np.array([len(h) >= 2 for h in hs_prefix], dtype=bool)
    has_origin = origin != ""
    chapter = _prefix(hs_prefix, 2)
    category = m["risk_category"].astype(str).to_numpy()

    def events(name, mask, keys, values):
        return EventAggregate.from_events(
            name, np.where(mask, keys, None), t, {k: v.astype(float) for k, v in values.items()}
        )

    route_values = {c: adverse & (category == c) for c in RISK_CATEGORIES}
    # Origin-wide and chapter-wide signals leave out records naming an enterprise: one
    # company's failed sampling says nothing about the other importers of its goods.
    return {
        "route_monitoring": events(
            "route_monitoring", has_hs & has_origin, _join(chapter, origin), route_values
        ),
        "origin_monitoring": events(
            "origin_monitoring",
            has_origin & ~has_hs & ~has_enterprise,
            origin,
            {"adverse": adverse},
        ),
        "hs_monitoring": events(
            "hs_monitoring", has_hs & ~has_origin & ~has_enterprise, chapter, {"adverse": adverse}
        ),
        "enterprise_monitoring": events(
            "enterprise_monitoring",
            has_enterprise,
            enterprise,
            {"adverse": adverse & ~self_report, "self_reports": self_report},
        ),
    }


def _window(*names: str) -> int | None:
    """The look-back window (days) the catalogue gives ``names``, computed by one query."""
    windows = {FEATURES_BY_NAME[name].window_days for name in names}
    if len(windows) != 1:
        raise ValueError(f"one query, several windows in the catalogue: {names}")
    return windows.pop()


def _rate(hits: np.ndarray, trials: np.ndarray) -> np.ndarray:
    return hits / (trials + FINDINGS_PRIOR_WEIGHT)


def compute_features(
    columns: Mapping[str, np.ndarray], state: EntityState
) -> dict[str, np.ndarray]:
    """Every catalogue feature for the given declarations, in catalogue order.

    ``columns`` maps each name in ``DECLARATION_INPUTS`` to an array (length 1 online).
    Categorical features are returned as object arrays of strings; numeric as float64.
    """
    keys = entity_keys(columns)
    t = to_seconds(columns["declared_at"])
    value = np.asarray(columns["value_cny"], dtype=float)
    duty = np.asarray(columns["duty_rate"], dtype=float)
    net = np.asarray(columns["net_weight_kg"], dtype=float)
    gross = np.asarray(columns["gross_weight_kg"], dtype=float)
    hs = _str(columns["hs_code"])
    licences = _str(columns["licence_codes"])
    trade_mode = _str(columns["trade_mode"])
    log_uv = _log_unit_value(value, net)
    agg, lookups = state.aggregates, state.lookups
    out: dict[str, np.ndarray] = {}

    out["log_value_cny"] = np.log1p(value)
    out["log_duty_at_stake"] = np.log1p(value * duty)
    out["duty_rate"] = duty
    out["log_unit_value_kg"] = log_uv
    out["log_net_weight_kg"] = np.log1p(np.maximum(net, 0.0))
    out["hs6_number"] = np.array([float(h[:6]) if h[:6].isdigit() else np.nan for h in hs])
    out["net_gross_ratio"] = np.where(gross > 0, net / np.where(gross > 0, gross, 1.0), np.nan)
    out["licence_count"] = np.array(
        [len([c for c in s.split(",") if c]) for s in licences], dtype=float
    )
    out["is_cross_border_ecommerce"] = np.array(
        [m in CROSS_BORDER_ECOMMERCE_MODES for m in trade_mode], dtype=float
    )
    out["is_transshipped"] = (
        _str(columns["origin_country"]) != _str(columns["departure_country"])
    ).astype(float)
    out["hs_chapter"] = _prefix(hs, 2)
    out["hs_heading"] = _prefix(hs, 4)
    out["origin_country"] = _str(columns["origin_country"])
    out["departure_country"] = _str(columns["departure_country"])
    out["trade_mode"] = trade_mode
    out["transport_mode"] = _str(columns["transport_mode"])
    out["incoterm"] = _str(columns["incoterm"])
    for name in ("tax_type", "origin_indicator", "payment_type", "import_use", "courier_id"):
        out[name] = _str(columns[name])

    days = _window("unit_value_vs_reference")
    pair = agg["hs6_origin_unit_value"].window_sums(keys["hs6_origin"], t, days)
    hs6 = agg["hs6_unit_value"].window_sums(keys["hs6"], t, days)
    use_pair = pair[:, 0] >= REFERENCE_MIN_COUNT
    use_hs6 = ~use_pair & (hs6[:, 0] >= REFERENCE_MIN_COUNT)
    reference = np.full(len(t), np.nan)
    reference[use_pair] = pair[use_pair, 1] / pair[use_pair, 0]
    reference[use_hs6] = hs6[use_hs6, 1] / hs6[use_hs6, 0]
    out["unit_value_vs_reference"] = log_uv - reference

    consignee = agg["consignee_declarations"]
    for name in ("consignee_declarations_90d", "consignee_declarations_total"):
        out[name] = consignee.window_sums(keys["consignee"], t, _window(name))[:, 0]
    out["consignee_days_active"] = (
        t - consignee.first_seen(keys["consignee"], t)
    ) / SECONDS_PER_DAY
    out["declarant_declarations_90d"] = agg["declarant_declarations"].window_sums(
        keys["declarant"], t, _window("declarant_declarations_90d")
    )[:, 0]
    out["overseas_trader_declarations_total"] = agg["overseas_trader_declarations"].window_sums(
        keys["overseas_trader"], t, _window("overseas_trader_declarations_total")
    )[:, 0]
    relationship = agg["consignee_trader_declarations"]
    out["consignee_trader_declarations_total"] = relationship.window_sums(
        keys["consignee_trader"], t, _window("consignee_trader_declarations_total")
    )[:, 0]
    out["consignee_trader_days_active"] = (
        t - relationship.first_seen(keys["consignee_trader"], t)
    ) / SECONDS_PER_DAY

    out["goods_line_declarations_total"] = agg["goods_line_declarations"].window_sums(
        keys["goods_line"], t, _window("goods_line_declarations_total")
    )[:, 0]

    credit = lookups["credit_level"]
    out["consignee_credit_level"] = credit.value_at(keys["consignee"], t)
    out["declarant_credit_level"] = credit.value_at(keys["declarant"], t)

    for entity in ("consignee", "declarant", "overseas_trader", "hs6", "route", "goods_line"):
        rates = [f"{entity}_findings_rate_{c}" for c in RISK_CATEGORIES]
        # The catalogue shows the inspection count itself for some entities only.
        counts = [n for n in (f"{entity}_inspections_known",) if n in FEATURES_BY_NAME]
        history = agg[f"{entity}_outcomes"].window_sums(keys[entity], t, _window(*counts, *rates))
        for name in counts:
            out[name] = history[:, 0]
        for i, name in enumerate(rates, start=1):
            out[name] = _rate(history[:, i], history[:, 0])

    names = [f"route_monitoring_{c}_90d" for c in RISK_CATEGORIES]
    route_monitoring = agg["route_monitoring"].window_sums(keys["route"], t, _window(*names))
    for i, name in enumerate(names):
        out[name] = route_monitoring[:, i]
    out["origin_alerts_90d"] = agg["origin_monitoring"].window_sums(
        keys["origin"], t, _window("origin_alerts_90d")
    )[:, 0]
    out["hs_monitoring_90d"] = agg["hs_monitoring"].window_sums(
        keys["hs_chapter"], t, _window("hs_monitoring_90d")
    )[:, 0]
    names = ["consignee_monitoring_adverse_365d", "consignee_self_reports_365d"]
    enterprise = agg["enterprise_monitoring"].window_sums(keys["consignee"], t, _window(*names))
    out["consignee_monitoring_adverse_365d"] = enterprise[:, 0]
    out["consignee_self_reports_365d"] = enterprise[:, 1]

    return {name: out[name] for name in FEATURE_NAMES}


def feature_frame(declarations: pd.DataFrame, state: EntityState) -> pd.DataFrame:
    """Offline: the feature table of a declarations table, keyed like it."""
    values = compute_features(declaration_columns(declarations), state)
    frame = pd.DataFrame(values, index=declarations.index)
    keys = declarations[["declaration_id", "item_no", "declared_at"]]
    return pd.concat([keys, frame], axis=1)

"""Feature computation shared by training (whole tables) and serving (one declaration).

``build_entity_state`` turns the four sources into the point-in-time aggregates that
``features.entities`` declares; ``compute_features`` turns resolved declarations
(``features.inputs``) plus that state into the catalogue's columns. Both paths call
``compute_features`` with the same state class: offline with every declaration's
columns, online with one-element columns. What each history feature reads, and how, is
the catalogue's (``Feature.reads``, ``Feature.measure``, ``Feature.window_days``), read
at call time and never restated here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.definitions import FEATURE_NAMES, FEATURES_BY_NAME, Feature
from features.entities import (
    AGGREGATES,
    CONSIGNEE_ID,
    CREDIT_LEVEL,
    ENTERPRISE_MONITORING,
    ENTITY_KEY_INPUTS,
    HS6,
    HS_CHAPTER_CODE,
    HS_MONITORING,
    ORIGIN_COUNTRY,
    ORIGIN_MONITORING,
    ROUTE_MONITORING,
    UNIT_VALUES,
    Aggregate,
    as_text,
    leading,
)
from features.inputs import ResolvedDeclarations, declaration_columns, entity_keys
from features.inputs import columns_from_records as columns_from_records  # the notebook's import
from features.state import SECONDS_PER_DAY, AsOfLookup, EntityState, EventAggregate, to_seconds
from sources.contracts import CREDIT_LEVELS, CROSS_BORDER_ECOMMERCE_MODES, RISK_CATEGORIES

CREDIT_ORDINAL = {level: float(i) for i, level in enumerate(CREDIT_LEVELS)}
FINDINGS_PRIOR_WEIGHT = 3.0  # pseudo-inspections that shrink small-sample findings rates
REFERENCE_MIN_COUNT = 3  # prior HS6 × origin items needed before a reference price is trusted
UNIT_VALUE_FLOOR_KG = 1e-3
# What the feature table carries before the features: the goods item's key, its time, and
# its full commodity code (the segment a disposal policy reads next to the scores).
FRAME_COLUMNS: tuple[str, ...] = ("declaration_id", "item_no", "declared_at", "hs_code")


def _log_unit_value(value_cny: np.ndarray, net_weight_kg: np.ndarray) -> np.ndarray:
    return np.log1p(value_cny) - np.log1p(np.maximum(net_weight_kg, UNIT_VALUE_FLOOR_KG))


# --- the entity state ----------------------------------------------------------------------


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
    built = {
        **_declaration_aggregates(declarations),
        **_outcome_aggregates(declarations, inspection_outcomes),
        **_monitoring_aggregates(monitoring),
    }
    aggregates = {a.name: built[a.name] for a in AGGREGATES}  # the declared order
    lookups = {CREDIT_LEVEL.name: _credit_lookup(credit_history)}
    latest = [
        declarations["declared_at"].max(),
        inspection_outcomes["outcome_known_at"].max(),
        monitoring["observed_at"].max(),
        credit_history["valid_from"].max(),
    ]
    built_through = max(pd.Timestamp(x) for x in latest if pd.notna(x))
    return EntityState(aggregates, lookups, built_through.isoformat())


def _declaration_aggregates(declarations: pd.DataFrame) -> dict[str, EventAggregate]:
    resolved = ResolvedDeclarations.of(declaration_columns(declarations))
    events = {
        "count": np.ones(len(resolved)),
        "log_uv": _log_unit_value(resolved.amount("value_cny"), resolved.amount("net_weight_kg")),
    }
    return {
        a.name: EventAggregate.from_events(
            a.name, resolved.key(a.entity), resolved.seconds, {v: events[v] for v in a.values}
        )
        for a in AGGREGATES
        if a.source == "declarations"
    }


def _outcome_aggregates(
    declarations: pd.DataFrame, inspection_outcomes: pd.DataFrame
) -> dict[str, EventAggregate]:
    # Outcomes carry the declaration's entities, stamped with when they became known.
    # Validation guarantees that every outcome has its declaration (cross-source rules).
    labelled = inspection_outcomes.merge(
        declarations[["declaration_id", "item_no", *ENTITY_KEY_INPUTS]],
        on=["declaration_id", "item_no"],
        how="inner",
    )
    declared = [a for a in AGGREGATES if a.source == "inspection_outcomes"]
    keys = entity_keys(
        {c: labelled[c].to_numpy() for c in ENTITY_KEY_INPUTS}, [a.entity for a in declared]
    )
    seconds = to_seconds(labelled["outcome_known_at"].to_numpy())
    events = {
        "inspections": np.ones(len(seconds)),
        **{c: labelled[f"finding_{c}"].to_numpy(dtype=float) for c in RISK_CATEGORIES},
    }
    return {
        a.name: EventAggregate.from_events(
            a.name, keys[a.entity.name], seconds, {v: events[v] for v in a.values}
        )
        for a in declared
    }


def _monitoring_aggregates(monitoring: pd.DataFrame) -> dict[str, EventAggregate]:
    m = monitoring
    adverse = (m["outcome"] == "adverse").to_numpy()
    self_report = (m["event_type"] == "self_report").to_numpy()
    enterprise = as_text(m["enterprise_id"])
    hs_prefix = as_text(m["hs_prefix"])
    origin = as_text(m["origin_country"])
    has_enterprise, has_origin = enterprise != "", origin != ""
    has_hs = np.array([len(h) >= 2 for h in hs_prefix], dtype=bool)
    # A record's scope read as the key parts of a declaration's entities.
    parts = {
        HS_CHAPTER_CODE: leading(hs_prefix, 2),
        ORIGIN_COUNTRY: origin,
        CONSIGNEE_ID: enterprise,
    }
    category = m["risk_category"].astype(str).to_numpy()
    # Origin-wide and chapter-wide signals leave out records naming an enterprise: one
    # company's failed sampling says nothing about the other importers of its goods.
    scopes: dict[Aggregate, tuple[np.ndarray, dict[str, np.ndarray]]] = {
        ROUTE_MONITORING: (
            has_hs & has_origin,
            {c: adverse & (category == c) for c in RISK_CATEGORIES},
        ),
        ORIGIN_MONITORING: (has_origin & ~has_hs & ~has_enterprise, {"adverse": adverse}),
        HS_MONITORING: (has_hs & ~has_origin & ~has_enterprise, {"adverse": adverse}),
        ENTERPRISE_MONITORING: (
            has_enterprise,
            {"adverse": adverse & ~self_report, "self_reports": self_report},
        ),
    }
    seconds = to_seconds(m["observed_at"].to_numpy())
    return {
        a.name: EventAggregate.from_events(
            a.name,
            np.where(mask, a.entity.key(parts), None),
            seconds,
            {v: values[v].astype(float) for v in a.values},
        )
        for a, (mask, values) in scopes.items()
    }


def _credit_lookup(credit: pd.DataFrame) -> AsOfLookup:
    starts = to_seconds(credit["valid_from"].to_numpy())
    ends_raw = credit["valid_to"]
    ends = np.where(
        ends_raw.isna().to_numpy(),
        np.nan,
        to_seconds(ends_raw.fillna(credit["valid_from"]).to_numpy()).astype(float),
    )
    return AsOfLookup.from_intervals(
        CREDIT_LEVEL.name,
        as_text(credit["enterprise_id"]),
        starts,
        ends,
        credit["credit_level"].map(CREDIT_ORDINAL).to_numpy(dtype=float),
    )


# --- the features --------------------------------------------------------------------------


def compute_features(
    declarations: ResolvedDeclarations | Mapping[str, np.ndarray], state: EntityState
) -> dict[str, np.ndarray]:
    """Every catalogue feature for the given declarations, in catalogue order.

    ``declarations`` is a resolved batch, or the columns of ``features.inputs``
    (``DECLARATION_INPUTS``, length 1 online), resolved here. Categorical features are
    returned as object arrays of strings; numeric as float64.
    """
    resolved = ResolvedDeclarations.of(declarations)
    out = _declared_features(resolved)
    reads = _StateReads(resolved, state, out)
    for name in FEATURE_NAMES:
        feature = FEATURES_BY_NAME[name]  # looked up now: a test shortens the windows
        if feature.measure != "declared":
            out[name] = _MEASURES[feature.measure](feature, reads)
    return {name: out[name] for name in FEATURE_NAMES}


def declared_duty(value_cny, duty_rate):
    """Duty on the declared value (CNY): what an undervaluation or misclassification
    finding corrects a share of, so the stake of a revenue inspection."""
    return value_cny * duty_rate


def _declared_features(d: ResolvedDeclarations) -> dict[str, np.ndarray]:
    """The features of the declaration alone (the catalogue's request-time features)."""
    value, duty = d.amount("value_cny"), d.amount("duty_rate")
    net, gross = d.amount("net_weight_kg"), d.amount("gross_weight_kg")
    hs, trade_mode = d.text("hs_code"), d.text("trade_mode")
    out: dict[str, np.ndarray] = {}
    out["log_value_cny"] = np.log1p(value)
    out["log_duty_at_stake"] = np.log1p(declared_duty(value, duty))
    out["duty_rate"] = duty
    out["log_unit_value_kg"] = _log_unit_value(value, net)
    out["log_net_weight_kg"] = np.log1p(np.maximum(net, 0.0))
    out["hs6_number"] = np.array([float(h[:6]) if h[:6].isdigit() else np.nan for h in hs])
    out["net_gross_ratio"] = np.where(gross > 0, net / np.where(gross > 0, gross, 1.0), np.nan)
    out["licence_count"] = np.array(
        [len([c for c in s.split(",") if c]) for s in d.text("licence_codes")], dtype=float
    )
    out["is_cross_border_ecommerce"] = np.array(
        [m in CROSS_BORDER_ECOMMERCE_MODES for m in trade_mode], dtype=float
    )
    origin = d.text("origin_country")
    out["is_transshipped"] = (origin != d.text("departure_country")).astype(float)
    out["hs_chapter"] = leading(hs, 2)
    out["hs_heading"] = leading(hs, 4)
    out["origin_country"] = origin
    out["trade_mode"] = trade_mode
    for name in (
        "departure_country",
        "transport_mode",
        "incoterm",
        "tax_type",
        "origin_indicator",
        "payment_type",
        "import_use",
        "courier_id",
    ):
        out[name] = d.text(name)
    return out


@dataclass
class _StateReads:
    """The state as one batch's features read it: each distinct window query runs once."""

    resolved: ResolvedDeclarations
    state: EntityState
    declared: dict[str, np.ndarray]  # the request-time features, some history reads use
    _sums: dict[tuple[str, int | None], np.ndarray] = field(default_factory=dict)

    def sums(self, aggregate: Aggregate, window_days: int | None) -> np.ndarray:
        """Every value of the aggregate summed over the window before each declaration."""
        query = (aggregate.name, window_days)
        if query not in self._sums:
            self._sums[query] = self.state.aggregates[aggregate.name].window_sums(
                self.resolved.key(aggregate.entity), self.resolved.seconds, window_days
            )
        return self._sums[query]


def _sum(feature: Feature, reads: _StateReads) -> np.ndarray:
    aggregate = feature.reads
    return reads.sums(aggregate, feature.window_days)[:, aggregate.column(feature.value)]


def _findings_rate(feature: Feature, reads: _StateReads) -> np.ndarray:
    aggregate = feature.reads
    history = reads.sums(aggregate, feature.window_days)
    hits = history[:, aggregate.column(feature.value)]
    return hits / (history[:, aggregate.column("inspections")] + FINDINGS_PRIOR_WEIGHT)


def _days_since_first(feature: Feature, reads: _StateReads) -> np.ndarray:
    aggregate, t = feature.reads, reads.resolved.seconds
    events = reads.state.aggregates[aggregate.name]
    return (t - events.first_seen(reads.resolved.key(aggregate.entity), t)) / SECONDS_PER_DAY


def _as_of(feature: Feature, reads: _StateReads) -> np.ndarray:
    lookup = reads.state.lookups[feature.reads.name]
    return lookup.value_at(reads.resolved.key(feature.entity), reads.resolved.seconds)


def _log_ratio_to_mean(feature: Feature, reads: _StateReads) -> np.ndarray:
    """Log unit value minus the entity's mean over the window; a pair (HS6 × origin) with
    too few items falls back to the HS6 alone, else the reference is missing."""
    pair = reads.sums(feature.reads, feature.window_days)
    hs6 = reads.sums(UNIT_VALUES[HS6], feature.window_days)
    use_pair = pair[:, 0] >= REFERENCE_MIN_COUNT
    use_hs6 = ~use_pair & (hs6[:, 0] >= REFERENCE_MIN_COUNT)
    reference = np.full(len(reads.resolved), np.nan)
    reference[use_pair] = pair[use_pair, 1] / pair[use_pair, 0]
    reference[use_hs6] = hs6[use_hs6, 1] / hs6[use_hs6, 0]
    return reads.declared["log_unit_value_kg"] - reference


_MEASURES: dict[str, Callable[[Feature, _StateReads], np.ndarray]] = {
    "sum": _sum,
    "findings_rate": _findings_rate,
    "days_since_first": _days_since_first,
    "as_of": _as_of,
    "log_ratio_to_mean": _log_ratio_to_mean,
}


def feature_frame(declarations: pd.DataFrame, state: EntityState) -> pd.DataFrame:
    """Offline: the feature table of a declarations table, keyed like it
    (``FRAME_COLUMNS``, then the features)."""
    values = compute_features(declaration_columns(declarations), state)
    frame = pd.DataFrame(values, index=declarations.index)
    return pd.concat([declarations[list(FRAME_COLUMNS)], frame], axis=1)

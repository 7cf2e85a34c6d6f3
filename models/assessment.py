"""Art. 10 risk assessment: likelihood, severity, trend and level per category.

- likelihood: the calibrated probability of a finding;
- severity: what is at stake if the risk is real — for revenue the duty at stake
  (value × duty rate, CNY); for the safety and protection categories a documented
  category weight times the quantity involved, log-scaled;
- trend: how the findings rate of the declaration's segment (HS chapter × origin) moved —
  the last 90 days against the 275 days before them, from outcomes known before the
  declaration (the same point-in-time state as the features): rising or falling only when
  the change is beyond chance (:func:`trend_directions`), stable otherwise, no_data when
  either period has fewer than ``TREND_MIN_INSPECTIONS`` known inspections;
- level: 1-4 from the calibrated probability and the inspection capacity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import bdtr, bdtrc

from features.entities import (
    CONSIGNEE,
    DECLARATION_COUNTS,
    HS6_ORIGIN,
    OUTCOME_HISTORY,
    ROUTE,
    UNIT_VALUES,
    Aggregate,
)
from features.inputs import ResolvedDeclarations
from features.state import EntityState
from models.decision import Severity, Trend
from sources.contracts import CREDIT_LEVELS, RISK_CATEGORIES
from sources.labels import CATEGORY_LABELS, Label, is_chinese

# Weight of a violation per category (1 = gravest), for severity of non-revenue risks.
# Prohibited goods and public health threaten lives directly; biosecurity and food safety
# can spread; product quality harms users; IPR harms right holders.
CATEGORY_WEIGHT: dict[str, float] = {
    "prohibited_restricted": 1.0,
    "public_health": 1.0,
    "biosecurity": 0.9,
    "food_safety": 0.9,
    "product_quality": 0.6,
    "ipr": 0.4,
}
TREND_RECENT_DAYS = 90
TREND_BASELINE_DAYS = 365
TREND_MIN_INSPECTIONS = 10  # known inspections per period, else the trend is "no_data"
# Two-sided significance of a rising or falling trend: 2.5 % in each tail of the test in
# :func:`trend_directions`, so a segment whose rate did not change reads "rising" at most
# once in 40 declarations, and 0 → 0 findings is never a trend.
TREND_ALPHA = 0.05

# What a severity value measures, by code. The API's ``Severity.measure`` is the English.
SEVERITY_MEASURES: dict[str, Label] = {
    "duty_at_stake": Label("duty at stake (CNY)", "涉及税款（人民币元）"),
    "weighted_quantity": Label(
        "category weight × log10(1 + net kg)", "类别权重 × log10(1 + 净重千克)"
    ),
}


def severity(category: str, value_cny: float, duty_rate: float, net_weight_kg: float) -> Severity:
    """What is at stake for one declaration and category."""
    if category == "revenue":
        return Severity.trusted(
            measure=SEVERITY_MEASURES["duty_at_stake"].en, value=round(value_cny * duty_rate, 2)
        )
    weight = CATEGORY_WEIGHT.get(category, 0.5)
    return Severity.trusted(
        measure=SEVERITY_MEASURES["weighted_quantity"].en,
        value=round(weight * float(np.log10(1.0 + max(net_weight_kg, 0.0))), 4),
    )


def segment_trends(
    declarations: ResolvedDeclarations | Mapping[str, np.ndarray], state: EntityState
) -> dict[str, list[Trend]]:
    """Per category, per declaration: the trend of its HS chapter × origin findings rate."""
    resolved = ResolvedDeclarations.of(declarations)
    history = OUTCOME_HISTORY[ROUTE]
    keys, t = resolved.key(history.entity), resolved.seconds
    outcomes = state.aggregates[history.name]
    recent = outcomes.window_sums(keys, t, TREND_RECENT_DAYS)
    before = outcomes.window_sums(keys, t, TREND_BASELINE_DAYS) - recent
    n = history.column("inspections")
    columns = [history.column(c) for c in RISK_CATEGORIES]
    # every category at once: rows × categories
    recent_hits, before_hits = recent[:, columns], before[:, columns]
    recent_n, before_n = recent[:, [n]], before[:, [n]]
    direction = trend_directions(recent_hits, recent_n, before_hits, before_n)
    recent_rate = np.round(recent_hits / np.maximum(recent_n, 1), 4)
    previous_rate = np.round(before_hits / np.maximum(before_n, 1), 4)
    # Built from plain lists without validation: the per-row objects are the costly part.
    build = Trend.trusted
    return {
        category: [
            build(direction=d, recent_rate=None, previous_rate=None)
            if d == "no_data"
            else build(direction=d, recent_rate=r, previous_rate=b)
            for d, r, b in zip(
                direction[:, j].tolist(),
                recent_rate[:, j].tolist(),
                previous_rate[:, j].tolist(),
                strict=True,
            )
        ]
        for j, category in enumerate(RISK_CATEGORIES)
    }


_DIRECTIONS = np.array(["no_data", "falling", "stable", "rising"], dtype=object)


def trend_directions(
    recent_hits: np.ndarray,
    recent_n: np.ndarray,
    before_hits: np.ndarray,
    before_n: np.ndarray,
) -> np.ndarray:
    """rising / falling / stable / no_data per element (arrays broadcast together).

    Conditional on the findings of both periods together, the recent period's share of
    them is binomial with p = its share of the inspections if the rate did not change (the
    exact conditional test for two Poisson rates; conservative for binomial ones). Rising
    when at least the recent findings are that unlikely (upper tail < ``TREND_ALPHA`` / 2),
    falling when at most them are (lower tail). Equal rates and 0 → 0 are stable: neither
    tail is small. Fewer than ``TREND_MIN_INSPECTIONS`` in either period: no_data.
    """
    # counts as integers: the binomial tails take whole numbers of findings
    k = np.rint(recent_hits).astype(np.int64)
    total = k + np.rint(before_hits).astype(np.int64)
    share = recent_n / np.maximum(np.add(recent_n, before_n), 1)
    rising = bdtrc(k - 1, total, share) < TREND_ALPHA / 2  # P(X >= k); 1 for k = 0
    falling = bdtr(k, total, share) < TREND_ALPHA / 2  # P(X <= k)
    enough = (np.asarray(recent_n) >= TREND_MIN_INSPECTIONS) & (
        np.asarray(before_n) >= TREND_MIN_INSPECTIONS
    )
    return _DIRECTIONS[np.where(enough, 2 + rising.astype(int) - falling.astype(int), 0)]


MIN_BIN_SUPPORT = 30  # held-out rows a calibration bin needs before its score is trusted


@dataclass(frozen=True)
class LowSupportReason:
    """Why a score rests on little experience (Art. 16): a stable code and its words in
    both languages. The API's ``low_support_reasons`` carry :meth:`text` in English, so
    these English words are also what the API has always answered."""

    code: str
    label: Label

    def text(self, categories: Sequence[str] = (), lang: str = "en") -> str:
        """The reason in ``lang``, naming the categories it concerns (if it names any):
        codes in English, as the API writes them, Art. 2 names in Chinese."""
        words = self.label.in_(lang)
        if not categories:
            return words
        if is_chinese(lang):
            # a category this version has no name for (a later model's) keeps its code
            names = (CATEGORY_LABELS[c].zh if c in CATEGORY_LABELS else c for c in categories)
            return f"{words}：{'、'.join(names)}"
        return f"{words}: {', '.join(categories)}"

    def read(self, text: str) -> tuple[str, ...] | None:
        """The categories of an English ``text`` of this reason (() when it names none);
        None when the text is another reason."""
        if text == self.label.en:
            return ()
        head, sep, tail = text.partition(": ")
        return tuple(tail.split(", ")) if sep and head == self.label.en else None


NEW_CONSIGNEE = LowSupportReason(
    "new_consignee",
    Label("new consignee: no earlier declaration", "新收货人：此前无申报记录"),
)
NEW_HS6_ORIGIN = LowSupportReason(
    "new_hs6_origin",
    Label(
        "HS subheading × origin never declared before", "该HS子目与原产国（地区）组合此前从未申报"
    ),
)
# Named with the categories whose calibration bin holds fewer than MIN_BIN_SUPPORT rows.
SPARSE_CALIBRATION = LowSupportReason(
    "sparse_calibration",
    Label("few held-out cases behind the score of", "以下类别的评分所依据的留出验证样本过少"),
)
LOW_SUPPORT_REASONS: tuple[LowSupportReason, ...] = (
    NEW_CONSIGNEE,
    NEW_HS6_ORIGIN,
    SPARSE_CALIBRATION,
)

# Entities whose first declaration is news, with the reason shown; their declaration
# counts (all history before the declaration) tell.
NOVELTY: tuple[tuple[Aggregate, LowSupportReason], ...] = (
    (DECLARATION_COUNTS[CONSIGNEE], NEW_CONSIGNEE),
    (UNIT_VALUES[HS6_ORIGIN], NEW_HS6_ORIGIN),
)


def credit_level_names(ordinal: np.ndarray) -> np.ndarray:
    """The feature ``consignee_credit_level`` (0 advanced certified … 4 seriously dishonest,
    NaN without a record) as Order No. 282 level names (None without a record)."""
    names = np.array([*CREDIT_LEVELS, None], dtype=object)
    values = np.asarray(ordinal, dtype=float)
    index = np.where(np.isnan(values), len(CREDIT_LEVELS), np.nan_to_num(values)).astype(int)
    return names[index]


def novelty_reasons(
    declarations: ResolvedDeclarations | Mapping[str, np.ndarray], state: EntityState
) -> list[list[str]]:
    """Per declaration, why its score rests on little experience (Art. 16), if it does."""
    resolved = ResolvedDeclarations.of(declarations)
    unseen = []
    for aggregate, _ in NOVELTY:
        events = state.aggregates[aggregate.name]
        before = events.window_sums(resolved.key(aggregate.entity), resolved.seconds, None)
        unseen.append(before[:, aggregate.column("count")] == 0)
    return [
        [reason.text() for (_, reason), new in zip(NOVELTY, unseen, strict=True) if new[row]]
        for row in range(len(resolved))
    ]

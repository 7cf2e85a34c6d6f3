"""Who is inspected in a simulated week: four selection policies under one capacity.

Each returns ``Picks`` aligned with the week's scored items (``Scorer.score_frame`` rows):
whether an item is inspected, why, and, for a random pick, its inclusion probability (the
weight of the unbiased estimate). The platform's default policy is the disposal code the
API runs (``disposal.disposition.dispose_frame``): its random picks per credit level and
its exploration come first, then the items its capacity rules send to a measure that
holds the goods; the rest of the capacity is topped up (as ASYCUDA tops a lane up to its
expected rate). Held and topped-up items are taken in the order of their margin on those
rules (:func:`hold_margin`), the order in which the policy's own thresholds, lowered
together, would reach them: so a rule that weighs the duty at stake ranks by expected
duty there too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from disposal.decisions import DisposalRules
from disposal.disposition import dispose_frame, items_of
from disposal.items import ScoreColumns
from disposal.policy import rule_eligible, rule_priority

RANDOM, MODEL, EXPLORATION = "random", "model", "exploration"
DEFAULT_POLICY = "default"
# ``default_weighted`` inspects as ``default`` does but learns corrected for selection: its
# model is trained on its labels with random picks weighted by 1 / probability (capped).
WEIGHTED = "default_weighted"
POLICY_NAMES: tuple[str, ...] = (
    "random",
    "top_score",
    "top_score_random",
    "top_expected_duty",
    DEFAULT_POLICY,
    WEIGHTED,
)


@dataclass(frozen=True)
class Picks:
    """Per item of the week: inspected, picked at random, its probability (NaN unless
    random), and the selection reason recorded with the revealed outcome."""

    inspected: np.ndarray
    random: np.ndarray
    probability: np.ndarray
    reason: np.ndarray

    @classmethod
    def none(cls, n: int) -> Picks:
        return cls(
            np.zeros(n, dtype=bool),
            np.zeros(n, dtype=bool),
            np.full(n, np.nan),
            np.full(n, "", dtype=object),
        )


@dataclass(frozen=True)
class Week:
    """What a policy sees of a week: the scored items, the capacity (items), the draws."""

    scores: pd.DataFrame
    capacity: int
    rng: np.random.Generator
    rules: DisposalRules
    random_share: float


def _by_priority(priority: np.ndarray, eligible: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest priorities among ``eligible`` items (stable ties)."""
    candidates = np.flatnonzero(eligible)
    order = candidates[np.argsort(-priority[candidates], kind="stable")]
    return order[: max(k, 0)]


def _random_picks(picks: Picks, rng: np.random.Generator, k: int) -> None:
    """``k`` items drawn uniformly from all: each with probability k / n."""
    n = len(picks.inspected)
    k = min(k, n)
    if k <= 0:
        return
    chosen = rng.choice(n, size=k, replace=False)
    picks.inspected[chosen] = picks.random[chosen] = True
    picks.probability[chosen] = k / n
    picks.reason[chosen] = RANDOM


def _top_up(picks: Picks, priority: np.ndarray, capacity: int) -> None:
    """Fill what is left of the capacity with the highest-priority items not yet picked."""
    chosen = _by_priority(priority, ~picks.inspected, capacity - int(picks.inspected.sum()))
    picks.inspected[chosen] = True
    picks.reason[chosen] = MODEL


def random_at_capacity(week: Week) -> Picks:
    picks = Picks.none(len(week.scores))
    _random_picks(picks, week.rng, week.capacity)
    return picks


def top_score(week: Week) -> Picks:
    picks = Picks.none(len(week.scores))
    _top_up(picks, week.scores["overall_probability"].to_numpy(dtype=float), week.capacity)
    return picks


def top_score_random(week: Week) -> Picks:
    """A fixed share of the capacity drawn at random, the rest by score."""
    picks = Picks.none(len(week.scores))
    _random_picks(picks, week.rng, round(week.random_share * week.capacity))
    _top_up(picks, week.scores["overall_probability"].to_numpy(dtype=float), week.capacity)
    return picks


def hold_margin(scores: pd.DataFrame, rules: DisposalRules) -> np.ndarray:
    """Per item, its priority ÷ threshold on the active rules whose measure holds the goods,
    the largest over them (0 where none applies): above 1 the policy holds the item; below,
    how near it comes. Lowering every such threshold by one factor reaches items in this
    order, which is how spare capacity follows the policy rather than another ranking."""
    columns = ScoreColumns.from_frame(scores)
    weights = rules.policy.weights(rules.policy.credit_levels(columns.credit_level))
    margin = np.zeros(len(scores))
    for rule in rules.policy.rules:
        derived = rules.thresholds.rule(rule.name)
        holds = rules.catalogue.measures[rule.measure].blocks_release
        if not (derived.active and holds and derived.threshold and derived.threshold > 0):
            continue
        priority = rule_priority(derived.categories, columns, weights, rule.stake)
        eligible = rule_eligible(rule, derived.categories, columns)
        margin = np.maximum(margin, np.where(eligible, priority / derived.threshold, 0.0))
    return margin


def top_expected_duty(week: Week) -> Picks:
    """The capacity by expected duty recovered, P(revenue finding) × duty on the declared
    value, and nothing else: how far ranking by the stake alone goes, with no random pick
    to estimate compliance by and no eye on the other categories."""
    scores = week.scores
    expected = scores["probability_revenue"].to_numpy(dtype=float) * np.nan_to_num(
        scores["declared_duty_cny"].to_numpy(dtype=float)
    )
    picks = Picks.none(len(scores))
    _top_up(picks, expected, week.capacity)
    return picks


def default_policy(week: Week) -> Picks:
    """The platform's disposal, kept within the capacity (see the module's docstring)."""
    scores, rules = week.scores, week.rules
    disposed = dispose_frame(
        scores,
        instructions=(),
        policy=rules.policy,
        thresholds=rules.thresholds,
        catalogue=rules.catalogue,
        selection_key=rules.selection_key,
    )
    keys = ["declaration_id", "item_no"]
    items = scores[keys].merge(items_of(disposed), on=keys, how="left", validate="one_to_one")
    holds = {code for code, m in rules.catalogue.measures.items() if m.blocks_release}
    priority = hold_margin(scores, rules)
    picks = Picks.none(len(scores))
    drawn = np.flatnonzero(items["random"].to_numpy(dtype=bool))
    probability = items["random_probability"].to_numpy(dtype=float)
    if len(drawn) > week.capacity:
        # Fewer random picks than drawn, chosen uniformly: each keeps a known probability.
        kept = week.rng.choice(len(drawn), size=week.capacity, replace=False)
        probability = probability * week.capacity / len(drawn)
        drawn = drawn[kept]
    picks.inspected[drawn] = picks.random[drawn] = True
    picks.probability[drawn] = probability[drawn]
    picks.reason[drawn] = RANDOM
    explored = items["exploration"].to_numpy(dtype=bool) & ~picks.inspected
    held = items["item_strictest"].isin(holds).to_numpy() & ~picks.inspected & ~explored
    for eligible, reason in ((explored, EXPLORATION), (held, MODEL)):
        left = week.capacity - int(picks.inspected.sum())
        chosen = _by_priority(priority, eligible, left)
        picks.inspected[chosen] = True
        picks.reason[chosen] = reason
    _top_up(picks, priority, week.capacity)
    return picks


POLICIES: dict[str, Callable[[Week], Picks]] = {
    "random": random_at_capacity,
    "top_score": top_score,
    "top_score_random": top_score_random,
    "top_expected_duty": top_expected_duty,
    DEFAULT_POLICY: default_policy,
    WEIGHTED: default_policy,
}

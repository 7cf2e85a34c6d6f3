"""The simulated policies on synthetic scores: the default follows the shipped disposal
policy — its random draws, its holds, then its own margins — within the capacity."""

from __future__ import annotations

import numpy as np
import pytest
from disposal_samples import KEY, catalogue, policy, synthetic_scores, thresholds_for

from backtest.policies import POLICIES, Week, hold_margin
from disposal.decisions import DisposalRules
from disposal.disposition import dispose_frame, items_of

CAT = catalogue()
POLICY = policy(CAT)
RULES = DisposalRules(CAT, POLICY, thresholds_for(POLICY, CAT, synthetic_scores(20_000, 41)), KEY)
HOLDS = {code for code, m in CAT.measures.items() if m.blocks_release}


@pytest.fixture(scope="module")
def week_scores():
    scores = synthetic_scores(8_000, seed=42)
    return scores.assign(overall_probability=scores.filter(like="probability_").max(axis=1))


def week(scores, capacity: int) -> Week:
    return Week(scores, capacity, np.random.default_rng(0), RULES, random_share=0.1)


def disposed_by_the_policy(scores):
    return dispose_frame(
        scores,
        instructions=(),
        policy=POLICY,
        thresholds=RULES.thresholds,
        catalogue=CAT,
        selection_key=KEY,
    )


def test_the_margin_is_above_one_exactly_where_a_rule_holds_the_goods(week_scores):
    disposed = disposed_by_the_policy(week_scores)
    model = disposed[(disposed["source"] == "model") & disposed["code"].isin(HOLDS)]
    held = week_scores.set_index(["declaration_id", "item_no"]).index.isin(
        model.set_index(["declaration_id", "item_no"]).index
    )
    margin = hold_margin(week_scores, RULES)
    assert held.any() and (margin[held] > 1).all()
    assert (margin[~held] <= 1).all()


def test_a_larger_declared_duty_raises_the_margin_of_a_revenue_item(week_scores):
    richer = week_scores.assign(declared_duty_cny=week_scores["declared_duty_cny"] * 10)
    before, after = hold_margin(week_scores, RULES), hold_margin(richer, RULES)
    assert (after >= before).all() and (after > before).any()


@pytest.mark.parametrize("name", sorted(set(POLICIES)))
def test_every_policy_inspects_its_capacity_and_no_more(week_scores, name):
    picks = POLICIES[name](week(week_scores, capacity=400))
    assert picks.inspected.sum() == 400
    assert (picks.random <= picks.inspected).all()
    assert (picks.probability[picks.random] > 0).all()
    assert np.isnan(picks.probability[~picks.random]).all()


def test_the_default_policy_keeps_its_random_draws_and_holds_first(week_scores):
    picks = POLICIES["default"](week(week_scores, capacity=800))
    disposed = items_of(disposed_by_the_policy(week_scores))
    drawn = disposed["random"].to_numpy(dtype=bool)
    assert drawn.sum() < 800 and (picks.random == drawn).all()
    assert set(picks.reason[picks.inspected]) <= {"random", "exploration", "model"}
    # What is left after the draws goes by the policy's margin, largest first.
    margin = hold_margin(week_scores, RULES)
    by_model = picks.inspected & (picks.reason == "model")
    assert by_model.sum() > 100
    assert margin[by_model].min() >= margin[~picks.inspected].max()

"""Credit modulates intensity as the credit measures intend (Order No. 251 figures): on a
synthetic month of scores, advanced-certified consignees are inspected at well under 20 %
of regular consignees' rate, dishonest ones at 80 % or more."""

from __future__ import annotations

from functools import cache

import pandas as pd
from disposal_samples import KEY, catalogue, policy, synthetic_scores, thresholds_for

from disposal.capacity import inspection_by_credit
from disposal.disposition import dispose_frame


@cache
def rates() -> pd.DataFrame:
    cat = catalogue()
    pol = policy(cat)
    thresholds = thresholds_for(pol, cat, synthetic_scores(50_000, seed=21))
    disposed = dispose_frame(
        synthetic_scores(100_000, seed=22),
        instructions=[],
        policy=pol,
        thresholds=thresholds,
        catalogue=cat,
        selection_key=KEY,
    )
    return inspection_by_credit(disposed).set_index("credit_level")


def test_advanced_certified_well_under_a_fifth_of_regular():
    r = rates()
    assert r.loc["advanced_certified", "items"] > 4_000
    assert r.loc["advanced_certified", "relative_to_regular"] < 0.2 / 2
    assert r.loc["certified", "rate"] < r.loc["regular", "rate"]


def test_dishonest_inspected_at_80_percent_or_more():
    r = rates()
    assert r.loc["dishonest", "items"] > 1_500
    assert r.loc["dishonest", "rate"] >= 0.8
    assert r.loc["seriously_dishonest", "rate"] >= r.loc["dishonest", "rate"]


def test_the_dishonest_figure_holds_whatever_the_scores():
    # The random share alone carries it, so a model that scores dishonest consignees low
    # (or a category it does not score) cannot bring them under 80 %.
    pol = policy()
    assert pol.credit["dishonest"].random_share >= 0.8
    assert pol.credit["seriously_dishonest"].random_share >= 0.8
    assert catalogue().measure(pol.random_measure).kind.inspects


def test_regular_rate_is_a_plausible_inspection_rate():
    # A policy that inspects everybody would pass the two ratios above; it must not.
    assert 0.01 < rates().loc["regular", "rate"] < 0.10

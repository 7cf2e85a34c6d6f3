"""Risk levels 1-4 pinned on hand-made scores: the capacity's cut-offs, the level of a
probability just below, at and just above each cut-off (the numbers customs acts on), and
what ties do to them."""

import numpy as np
import pytest

from models.bundle import (
    CategoryModel,
    RiskModel,
    indistinct_levels,
    level_cutoffs,
    level_top_shares,
)


def _below(x: float) -> float:
    return float(np.nextafter(x, -np.inf))


def _above(x: float) -> float:
    return float(np.nextafter(x, np.inf))


def test_cutoffs_leave_exactly_the_capacity_shares_above_them():
    # 500 distinct probabilities (0.001, 0.003, ..., 0.999), in no particular order
    recent = np.random.default_rng(0).permutation((np.arange(500) + 0.5) / 500)
    shares = level_top_shares(0.05)
    assert shares == pytest.approx((0.20, 0.05, 0.01))
    cutoffs = level_cutoffs(recent, shares)
    # the 101st, 26th and 6th highest scores: 100, 25 and 5 declarations lie above them
    assert cutoffs == pytest.approx([0.799, 0.949, 0.989], abs=1e-12)
    levels = CategoryModel("revenue", None, None, cutoffs).level(recent)
    assert [int((levels >= k).sum()) for k in (2, 3, 4)] == [100, 25, 5]
    assert indistinct_levels(cutoffs, recent) == []
    # another capacity moves every cut-off
    assert level_cutoffs(recent, level_top_shares(0.02)) == pytest.approx(
        [0.919, 0.979, 0.995], abs=1e-12
    )


def test_a_probability_at_a_cutoff_takes_the_lower_level_and_zero_is_level_one():
    model = CategoryModel("revenue", None, None, [0.2, 0.5, 0.8])
    at = [0.0, _below(0.2), 0.2, _above(0.2), _below(0.5), 0.5, _above(0.5)]
    probability = np.array([*at, _below(0.8), 0.8, _above(0.8), 1.0])
    assert model.level(probability).tolist() == [1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4]
    assert CategoryModel("ipr", None, None, [0.0, 0.0, 0.1]).level(np.array([0.0]))[0] == 1


def test_ties_never_push_a_level_past_its_share():
    # 85 % of recent declarations score 0 (ipr in the demo: cut-offs were [0.0, 0.109, 0.5]
    # and a probability of 0 got level 2): level 2 now takes only scores above 0.
    rng = np.random.default_rng(1)
    recent = np.concatenate([np.zeros(850), rng.uniform(0.01, 0.9, 150)])
    cutoffs = level_cutoffs(recent, level_top_shares(0.05))
    assert cutoffs[0] == 0.0 and cutoffs[0] < cutoffs[1] < cutoffs[2]
    levels = CategoryModel("ipr", None, None, cutoffs).level(recent)
    assert (levels[:850] == 1).all()
    assert [(levels >= k).mean() for k in (2, 3, 4)] == pytest.approx([0.15, 0.05, 0.01])

    # A tie block across two shares (food safety: equal cut-offs for levels 3 and 4): the
    # 6 % tied at 0.3 straddle both the top 5 % and the top 1 %, so they all stay at level 2,
    # the 0.5 % above them take level 4, and level 3 (between the equal cut-offs) holds
    # nothing: marked, not silently empty.
    tied = np.concatenate([rng.uniform(0.0, 0.2, 935), np.full(60, 0.3), np.full(5, 0.6)])
    cutoffs = level_cutoffs(tied, level_top_shares(0.05))
    assert cutoffs[1] == cutoffs[2] == 0.3
    levels = CategoryModel("food_safety", None, None, cutoffs).level(tied)
    for k, share in zip((2, 3, 4), level_top_shares(0.05), strict=True):
        assert (levels >= k).mean() <= share
    assert indistinct_levels(cutoffs, tied) == [3]
    # every recent score 0: nothing to distinguish, everything level 1
    zeros = np.zeros(100)
    assert level_cutoffs(zeros, level_top_shares(0.05)) == [0.0, 0.0, 0.0]
    assert indistinct_levels([0.0, 0.0, 0.0], zeros) == [2, 3, 4]


def test_the_overall_level_never_hides_a_category_level():
    model = RiskModel(None, {}, {}, overall_cutoffs=[0.4375, 0.625, 0.75])
    model.categories = {
        "revenue": CategoryModel("revenue", None, None, [0.1, 0.2, 0.4]),
        "ipr": CategoryModel("ipr", None, None, [0.3, 0.4, 0.6]),
    }
    probabilities = {
        "revenue": np.array([0.0, 0.5, 0.5, 0.25, 0.05]),
        "ipr": np.array([0.0, 0.5, 0.25, 0.25, 0.35]),
    }
    overall, levels = model.overall(probabilities)
    # 1 - (1 - a)(1 - b), exact in binary
    np.testing.assert_allclose(overall, [0.0, 0.75, 0.625, 0.4375, 0.3825])
    # combined levels 1, 3 (0.75 is at its cut-off: lower), 2, 1, 1; revenue's levels
    # 1, 4, 4, 3, 1 and ipr's 1, 2, 1, 1, 2: the highest of each column
    assert levels.tolist() == [1, 4, 4, 3, 2]
    given = {"revenue": np.array([1, 1, 1, 1, 1]), "ipr": np.array([1, 1, 1, 1, 1])}
    assert model.overall(probabilities, given)[1].tolist() == [1, 3, 2, 1, 1]
    assert [len(a) for a in model.overall({})] == [0, 0]

"""Risk levels 1-4 pinned on hand-made scores: the capacity's cut-offs, and the level of a
probability just below, at and just above each cut-off (the numbers customs acts on)."""

import numpy as np
import pytest

from models.bundle import CategoryModel, RiskModel, level_top_shares
from models.training import level_cutoffs


def _below(x: float) -> float:
    return float(np.nextafter(x, -np.inf))


def _above(x: float) -> float:
    return float(np.nextafter(x, np.inf))


def test_cutoffs_are_the_capacity_quantiles_of_recent_probabilities():
    # 500 distinct probabilities (0.001, 0.003, ..., 0.999), in no particular order
    recent = np.random.default_rng(0).permutation((np.arange(500) + 0.5) / 500)
    shares = level_top_shares(0.05)
    assert shares == pytest.approx((0.20, 0.05, 0.01))
    cutoffs = level_cutoffs(recent, shares)
    # linear interpolation between the ranked scores around 80 %, 95 % and 99 %
    assert cutoffs == pytest.approx([0.7994, 0.9491, 0.98902], abs=1e-12)
    levels = CategoryModel("revenue", None, None, cutoffs).level(recent)
    # exactly 100, 25 and 5 of the 500 declarations: the top 20 %, 5 % and 1 %
    assert [int((levels >= k).sum()) for k in (2, 3, 4)] == [100, 25, 5]
    # another capacity moves every cut-off
    assert level_cutoffs(recent, level_top_shares(0.02)) == pytest.approx(
        [0.91916, 0.97904, 0.995008], abs=1e-12
    )


def test_a_probability_at_a_cutoff_takes_the_higher_level():
    model = CategoryModel("revenue", None, None, [0.2, 0.5, 0.8])
    at = [0.0, _below(0.2), 0.2, _above(0.2), _below(0.5), 0.5, _above(0.5)]
    probability = np.array([*at, _below(0.8), 0.8, _above(0.8), 1.0])
    assert model.level(probability).tolist() == [1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]


def test_the_overall_level_combines_categories_as_independent_with_its_own_cutoffs():
    model = RiskModel(None, {}, {}, overall_cutoffs=[0.4375, 0.625, 0.75])
    probabilities = {
        "revenue": np.array([0.0, 0.5, 0.5, 0.25]),
        "ipr": np.array([0.0, 0.5, 0.25, 0.25]),
    }
    overall, levels = model.overall(probabilities)
    # 1 - (1 - a)(1 - b), exact in binary: each lands on a cut-off or at zero
    assert overall.tolist() == [0.0, 0.75, 0.625, 0.4375]
    assert levels.tolist() == [1, 4, 3, 2]
    assert [len(a) for a in model.overall({})] == [0, 0]

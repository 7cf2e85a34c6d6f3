"""Art. 10 severity and trend, Art. 16 calibration support: pinned on hand-made numbers."""

import numpy as np
import pytest

from models.assessment import _trend, severity
from models.bundle import CategoryModel, level_top_shares
from models.training import calibration_support


def test_revenue_severity_is_duty_at_stake_and_others_are_weighted_quantity():
    assert severity("revenue", 10_000.0, 0.14, 5.0).model_dump() == {
        "measure": "duty at stake (CNY)",
        "value": 1400.0,
    }
    heavy = severity("biosecurity", 0.0, 0.0, 9999.0).value
    light = severity("biosecurity", 0.0, 0.0, 9.0).value
    assert heavy == pytest.approx(0.9 * 4) and light == pytest.approx(0.9 * 1)
    assert severity("ipr", 0.0, 0.0, 9999.0).value < heavy  # weights order the categories


def test_trend_directions():
    assert _trend(10, 50, 10, 200).direction == "rising"
    assert _trend(1, 50, 20, 200).direction == "falling"
    assert _trend(5, 50, 20, 200).direction == "stable"
    assert _trend(5, 5, 20, 200).direction == "unknown"  # too few recent inspections


def test_capacity_sets_level_shares():
    assert level_top_shares(0.05) == pytest.approx((0.20, 0.05, 0.01))
    with pytest.raises(ValueError):
        level_top_shares(0.5)


def test_uncertainty_interval_narrows_with_support():
    rng = np.random.default_rng(0)
    p = rng.random(5000)
    y = (rng.random(5000) < p).astype(float)
    support = calibration_support(p, y)
    assert sum(support["counts"]) == 5000 and len(support["counts"]) == 10
    many = CategoryModel("x", None, None, [], {}, support)
    few = CategoryModel("x", None, None, [], {}, calibration_support(p[:60], y[:60]))
    n_many, low_many, high_many = many.uncertainty(np.array([0.55]))
    n_few, low_few, high_few = few.uncertainty(np.array([0.55]))
    assert n_many[0] > n_few[0]
    assert high_many[0] - low_many[0] < high_few[0] - low_few[0]
    assert low_many[0] < 0.55 < high_many[0]  # the bin's observed rate is near its score

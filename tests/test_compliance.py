"""The inverse-probability-weighted compliance estimate recovers the population's finding
rate from random picks drawn with unequal probabilities, where the naive rate does not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reassessment.compliance import compliance_estimates, ipw_rate
from sources.contracts import RISK_CATEGORIES


def _population(seed: int = 7) -> pd.DataFrame:
    """Dishonest consignees: 10 % of items, 20 % violate, drawn at random with π = 0.5;
    regular ones: 90 %, 2 % violate, π = 0.01. True rate = 0.038."""
    rng = np.random.default_rng(seed)
    n_bad, n_good = 20_000, 180_000
    credit = np.array(["dishonest"] * n_bad + ["regular"] * n_good)
    violates = np.concatenate([rng.random(n_bad) < 0.20, rng.random(n_good) < 0.02])
    probability = np.where(credit == "dishonest", 0.5, 0.01)
    drawn = rng.random(len(credit)) < probability
    frame = pd.DataFrame(
        {
            "credit": credit[drawn],
            "selection_reason": "random",
            "selection_probability": probability[drawn],
            "finding_revenue": violates[drawn],
        }
    )
    for category in RISK_CATEGORIES:
        frame[f"finding_{category}"] = frame.get(f"finding_{category}", False)
    return frame


def test_ipw_recovers_the_population_rate_where_the_naive_rate_is_biased():
    picks = _population()
    estimate, low, high = ipw_rate(
        picks["finding_revenue"].to_numpy(), picks["selection_probability"].to_numpy()
    )
    assert low < 0.038 < high
    assert abs(estimate - 0.038) < 0.006
    naive = picks["finding_revenue"].mean()
    assert naive > 0.1  # dominated by the heavily sampled dishonest consignees


def test_equal_probabilities_give_the_plain_rate_with_a_jeffreys_interval():
    found = np.array([True] * 3 + [False] * 97)
    estimate, low, high = ipw_rate(found, np.full(100, 0.01))
    assert estimate == 0.03
    assert 0.005 < low < 0.03 < high < 0.08


def test_estimates_per_credit_level_ignore_targeted_picks():
    picks = _population()
    targeted = picks.head(500).assign(
        selection_reason="model", selection_probability=np.nan, finding_revenue=True
    )
    estimates = compliance_estimates(pd.concat([picks, targeted], ignore_index=True))
    revenue = {e.credit_level: e for e in estimates if e.category == "revenue"}
    assert set(revenue) == {"all", "dishonest", "regular"}
    assert abs(revenue["regular"].estimate - 0.02) < 0.01
    assert abs(revenue["dishonest"].estimate - 0.20) < 0.02
    assert revenue["all"].random_picks == len(picks)
    assert revenue["all"].inspected == len(picks) + 500
    assert revenue["all"].low < 0.038 < revenue["all"].high

"""Art. 10 severity and trend, Art. 16 calibration support and interval: pinned on
hand-made numbers."""

import numpy as np
import pytest
from raw_score import RawScore
from scipy.special import expit
from scipy.stats import fisher_exact

from models.assessment import TREND_ALPHA, severity, trend_directions
from models.bundle import CategoryModel, level_top_shares
from models.calibration import Calibrator, band_grid, bootstrap_band
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


def test_trend_directions_need_a_change_beyond_chance():
    def direction(recent_hits, recent_n, before_hits, before_n) -> str:
        return str(trend_directions(recent_hits, recent_n, before_hits, before_n))

    assert direction(20, 50, 10, 200) == "rising"  # 40 % against 5 %
    assert direction(0, 100, 40, 200) == "falling"  # 0 % against 20 %
    assert direction(0, 50, 0, 200) == "stable"  # 0 → 0 is no trend (it read "rising")
    assert direction(5, 50, 20, 200) == "stable"  # equal rates
    # 4 % against 2 %: double, yet two findings more than expected is chance
    assert direction(2, 50, 4, 200) == "stable"
    assert direction(5, 5, 20, 200) == "no_data"  # too few recent inspections
    assert direction(0, 0, 0, 0) == "no_data"  # no outcome in either period
    assert direction(3, 50, 0, 9) == "no_data"


def test_trend_directions_are_vectorised_and_as_strict_as_fishers_test():
    rng = np.random.default_rng(0)
    n_recent, n_before = rng.integers(10, 120, 400), rng.integers(10, 400, 400)
    rate = rng.uniform(0.0, 0.3, 400)
    recent = rng.binomial(n_recent, rate * rng.choice([0.3, 1.0, 3.0], 400).clip(0, 1 / 0.3))
    before = rng.binomial(n_before, rate)
    directions = trend_directions(recent, n_recent, before, n_before)
    assert set(directions) == {"rising", "falling", "stable"}
    for i in range(400):
        table = [[recent[i], n_recent[i] - recent[i]], [before[i], n_before[i] - before[i]]]
        greater = fisher_exact(table, alternative="greater").pvalue
        less = fisher_exact(table, alternative="less").pvalue
        # the Poisson-rate test is conservative next to Fisher's: never a trend Fisher's
        # exact test at the same level would not call
        if directions[i] == "rising":
            assert greater < TREND_ALPHA / 2
        if directions[i] == "falling":
            assert less < TREND_ALPHA / 2


def test_capacity_sets_level_shares():
    assert level_top_shares(0.05) == pytest.approx((0.20, 0.05, 0.01))
    with pytest.raises(ValueError):
        level_top_shares(0.5)


def _held_out(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Raw scores and findings of a window in which expit(raw - 1) is the true probability."""
    rng = np.random.default_rng(seed)
    raw = rng.normal(-3.0, 1.2, n)
    return raw, (rng.random(n) < expit(raw - 1.0)).astype(float)


def test_calibration_support_counts_held_out_rows_per_bin():
    rng = np.random.default_rng(0)
    p = rng.random(5000)
    y = (rng.random(5000) < p).astype(float)
    support = calibration_support(p, y)
    assert sum(support["counts"]) == 5000 and len(support["counts"]) == 10
    model = CategoryModel("x", None, None, [], {}, support)
    assert model.calibration_support(np.array([0.55]))[0] == pytest.approx(500, abs=1)


@pytest.mark.parametrize(
    "calibrator",
    [
        Calibrator("sigmoid", {"a": -1.0, "b": 1.0}),
        Calibrator("temperature", {"beta": 0.5}),
        Calibrator("isotonic", {"x": [-8.0, -4.0, -2.0, 0.0], "y": [0.0, 0.01, 0.05, 0.3]}),
    ],
)
def test_the_interval_always_holds_the_served_probability(calibrator):
    raw, y = _held_out(400)
    band = bootstrap_band(calibrator, raw, y, band_grid(raw, raw), 50, 0)
    model = CategoryModel("x", None, calibrator, [], {}, {}, band)
    scores = np.linspace(-12.0, 4.0, 2001)  # inside, between and beyond the grid points
    probability = calibrator.apply(scores)
    _, low, high = model.uncertainty(scores, probability)
    assert (low <= probability).all() and (probability <= high).all()
    assert (high > low).any()


def test_a_probability_of_zero_gets_the_upper_limit_of_no_finding():
    # isotonic maps the lowest scores to 0 (no finding among them): the interval there is
    # not [0, 0] but reaches the 95 % upper limit of zero findings in that many rows
    raw, y = _held_out(2000)
    isotonic = Calibrator("isotonic", {"x": [-4.0, -2.0, 0.0], "y": [0.0, 0.02, 0.2]})
    band = bootstrap_band(isotonic, raw, y, band_grid(raw, raw), 50, 0)
    at = np.array([-6.0, -4.5])
    _, low, high = CategoryModel("x", None, isotonic, [], {}, {}, band).uncertainty(
        at, isotonic.apply(at)
    )
    zero_rows = int((raw <= -4.0).sum())
    assert low.tolist() == [0.0, 0.0]
    np.testing.assert_allclose(high, 1 - 0.05 ** (1 / zero_rows))
    assert high[0] == pytest.approx(3 / zero_rows, rel=0.01)


def test_the_interval_narrows_with_held_out_rows():
    widths = {}
    for n in (1000, 20_000):
        raw, y = _held_out(n, seed=n)
        fitted = _platt(raw, y)
        band = bootstrap_band(fitted, raw, y, band_grid(raw, raw), 200, 1)
        at = np.array([-3.0])
        _, low, high = CategoryModel("x", None, fitted, [], {}, {}, band).uncertainty(
            at, fitted.apply(at)
        )
        widths[n] = float(high[0] - low[0])
    assert widths[20_000] < widths[1000] / 3  # ~ 1 / sqrt(n)
    # a bundle without a band knows nothing: [0, 1]
    _, low, high = CategoryModel("x", None, fitted, [], {}, {}).uncertainty(at, at)
    assert (low[0], high[0]) == (0.0, 1.0)


def test_the_interval_covers_the_true_probability_about_nine_times_in_ten():
    # 40 calibration windows of 500 rows drawn from a known truth; at three scores, how
    # often does the band of the map fitted on each window hold the true probability?
    true = Calibrator("sigmoid", {"a": -1.0, "b": 1.0})
    at = np.array([-5.0, -3.0, -1.0])
    covered = []
    for window in range(40):
        raw, y = _held_out(500, seed=1000 + window)
        fitted = _platt(raw, y)
        band = bootstrap_band(fitted, raw, y, band_grid(raw, raw), 100, window)
        model = CategoryModel("x", None, fitted, [], {}, {}, band)
        _, low, high = model.uncertainty(at, fitted.apply(at))
        covered += ((low <= true.apply(at)) & (true.apply(at) <= high)).tolist()
    assert 0.75 <= np.mean(covered) <= 0.98  # neither a point nor [0, 1]


def _platt(raw: np.ndarray, y: np.ndarray) -> Calibrator:
    from models.calibration import extract, fit_sklearn

    return extract(fit_sklearn(RawScore().fit(None, None), raw[:, None], y, "sigmoid"))

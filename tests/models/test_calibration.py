"""The serving-time calibrators reproduce sklearn's CalibratedClassifierCV exactly; the method
is chosen on the later half of the window, by the rule pinned here on hand-made numbers."""

import lightgbm as lgb
import numpy as np
import pytest
from raw_score import RawScore
from scipy.special import expit

from models.calibration import (
    METHODS,
    Calibrator,
    choose,
    extract,
    fit_sklearn,
    pick_method,
    relative_loss,
)


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(3000, 4))
    logit = 1.5 * X[:, 0] - X[:, 1] + rng.normal(scale=1.0, size=3000) - 2.0
    y = (rng.random(3000) < 1 / (1 + np.exp(-logit))).astype(int)
    model = lgb.LGBMClassifier(n_estimators=60, verbose=-1, random_state=0).fit(X[:1500], y[:1500])
    return model, X[1500:], y[1500:]


@pytest.mark.parametrize("method", METHODS)
def test_extracted_calibrator_matches_sklearn(fitted, method):
    model, X, y = fitted
    calibrated = fit_sklearn(model, X[:800], y[:800], method)
    fast = extract(calibrated)
    raw = model.booster_.predict(X[800:], raw_score=True)
    np.testing.assert_allclose(
        fast.apply(raw), calibrated.predict_proba(X[800:])[:, 1], rtol=1e-9, atol=1e-12
    )


@pytest.fixture(scope="module")
def window():
    """A calibration window of 400 rows whose raw scores are the true log-odds."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 1)) - 2.0
    y = (rng.random(400) < expit(X[:, 0])).astype(int)
    assert 0 < y[:200].sum() < 200 and 0 < y[200:].sum() < 200
    return RawScore().fit(X, y), X, y


def test_choose_reports_every_candidate_and_refits_on_the_whole_window(window):
    model, X, y = window
    calibrator, comparison = choose(model, X, y)
    assert set(comparison) == {"uncalibrated", *METHODS, "chosen"}
    assert comparison["chosen"] == calibrator.method == pick_method(comparison)
    # served: the chosen method fitted on all 400 rows, not on the half it was chosen on
    whole = extract(fit_sklearn(model, X, y, calibrator.method))
    half = extract(fit_sklearn(model, X[:200], y[:200], calibrator.method))
    assert calibrator == whole != half


def test_candidates_fit_on_the_earlier_half_and_are_judged_on_the_later(window):
    model, X, y = window
    comparison = choose(model, X, y)[1]
    later = fit_sklearn(model, X[:200], y[:200], "sigmoid").predict_proba(X[200:])[:, 1]
    assert comparison["sigmoid"]["brier"] == pytest.approx(np.mean((later - y[200:]) ** 2))
    # findings only in the later half: nothing can be fitted, the fallback is sigmoid
    late = np.where(np.arange(400) < 200, 0, y)
    calibrator, comparison = choose(model, X, late)
    assert set(comparison) == {"uncalibrated", "chosen"} and calibrator.method == "sigmoid"
    assert calibrator == extract(fit_sklearn(model, X, late, "sigmoid"))
    # findings only in the earlier half: every method is fitted, none can be ranked
    early = np.where(np.arange(400) < 200, y, 0)
    comparison = choose(model, X, early)[1]
    assert set(METHODS) <= set(comparison)
    assert all(np.isnan(comparison[m]["auc_roc"]) for m in ("uncalibrated", *METHODS))


def _comparison(isotonic_auc: float, raw_auc: float = 0.8) -> dict:
    """Isotonic has the lowest Brier and log loss; temperature beats sigmoid on the sum."""
    return {
        "uncalibrated": {"brier": 0.060, "log_loss": 0.250, "auc_roc": raw_auc},
        "sigmoid": {"brier": 0.050, "log_loss": 0.200, "auc_roc": raw_auc},
        "isotonic": {"brier": 0.040, "log_loss": 0.150, "auc_roc": isotonic_auc},
        "temperature": {"brier": 0.051, "log_loss": 0.190, "auc_roc": raw_auc},
    }


def test_the_method_with_the_lowest_relative_loss_wins_unless_it_loses_ranking():
    assert pick_method(_comparison(isotonic_auc=0.797)) == "isotonic"  # lost 0.003 AUC
    assert pick_method(_comparison(isotonic_auc=0.81)) == "isotonic"  # gained
    # lost 0.01 AUC: excluded; of the rest, temperature's 1.02 + 1 beats sigmoid's 1 + 1.05
    assert pick_method(_comparison(isotonic_auc=0.79)) == "temperature"
    # an unknown AUC (one class in the later half) excludes nothing
    unknown = _comparison(isotonic_auc=float("nan"), raw_auc=float("nan"))
    assert pick_method(unknown) == "isotonic"


def test_sigmoid_is_the_fallback_when_no_method_qualifies():
    assert pick_method({"uncalibrated": _comparison(0.8)["uncalibrated"]}) == "sigmoid"
    every_one_lost = _comparison(isotonic_auc=0.7)
    for method in ("sigmoid", "temperature"):
        every_one_lost[method]["auc_roc"] = 0.7
    assert pick_method(every_one_lost) == "sigmoid"


def test_a_hair_better_brier_does_not_win_over_a_much_worse_log_loss():
    comparison = {
        "sigmoid": {"brier": 0.00561, "log_loss": 0.0293},
        "isotonic": {"brier": 0.00553, "log_loss": 0.0669},  # KCS critical fraud, measured
        "temperature": {"brier": 0.00566, "log_loss": 0.0294},
    }
    losses = relative_loss(comparison, list(comparison))
    assert min(losses, key=losses.get) == "sigmoid"
    assert losses["isotonic"] > losses["temperature"]


def test_a_method_nothing_fits_is_refused_not_served_uncalibrated():
    # choose() only ever picks one of METHODS (sigmoid as the fallback), so a bundle naming
    # anything else (e.g. the former "identity") is refused rather than scored raw.
    with pytest.raises(ValueError, match="unknown calibration method 'identity'"):
        Calibrator("identity").apply(np.zeros(3))

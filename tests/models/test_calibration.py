"""The serving-time calibrators reproduce sklearn's CalibratedClassifierCV exactly."""

import lightgbm as lgb
import numpy as np
import pytest

from models.calibration import (
    METHODS,
    Calibrator,
    choose,
    extract,
    fit_sklearn,
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


def test_choose_reports_every_candidate_and_refits(fitted):
    model, X, y = fitted
    calibrator, comparison = choose(model, X, y)
    assert comparison["chosen"] == calibrator.method
    assert set(METHODS) <= set(comparison)
    chosen = comparison[calibrator.method]
    # the choice has the lowest combined Brier + log loss among those that kept the ranking
    eligible = [
        m
        for m in METHODS
        if comparison["uncalibrated"]["auc_roc"] - comparison[m]["auc_roc"] <= 0.005
    ]
    losses = relative_loss(comparison, eligible)
    assert losses[calibrator.method] == min(losses.values())
    assert chosen["brier"] <= comparison["uncalibrated"]["brier"] * 1.5


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

"""The serving-time calibrators reproduce sklearn's CalibratedClassifierCV exactly."""

import lightgbm as lgb
import numpy as np
import pytest

from models.calibration import METHODS, choose, extract, fit_sklearn


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
    # the choice is the lowest Brier among candidates that kept the ranking
    eligible = [
        m
        for m in METHODS
        if comparison["uncalibrated"]["auc_roc"] - comparison[m]["auc_roc"] <= 0.005
    ]
    assert chosen["brier"] == min(comparison[m]["brier"] for m in eligible)

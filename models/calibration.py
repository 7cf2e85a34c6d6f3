"""Probability calibration: chosen on held-out data, applied without sklearn at serving.

Candidates are fitted through ``CalibratedClassifierCV(FrozenEstimator(model))`` —
sigmoid (Platt), isotonic and temperature scaling. The fitted mapping is then reduced
to a few numbers (:class:`Calibrator`) that the API applies to the booster's raw
score (log-odds; LightGBM's classifier exposes it as ``decision_function``, which
sklearn prefers over ``predict_proba``) with numpy: an interpolation or a closed form
instead of sklearn's per-call validation, which costs milliseconds per row.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

METHODS: tuple[str, ...] = ("sigmoid", "isotonic", "temperature")
# Largest AUC loss a calibrator may cause (isotonic's ties can flatten the ranking).
MAX_RANKING_LOSS = 0.005


@dataclass(frozen=True)
class Calibrator:
    """A fitted monotone map from the booster's raw score (log-odds) to a probability."""

    method: str
    params: dict = field(default_factory=dict)

    def apply(self, raw_score: np.ndarray) -> np.ndarray:
        s = np.asarray(raw_score, dtype=float)
        if self.method == "sigmoid":
            return expit(-(self.params["a"] * s + self.params["b"]))
        if self.method == "isotonic":
            return np.interp(s, self.params["x"], self.params["y"])
        if self.method == "temperature":
            # sklearn turns a binary score s into logits (-s, s): softmax gives expit(2βs)
            return expit(2.0 * self.params["beta"] * s)
        raise ValueError(f"unknown calibration method {self.method!r}")

    def to_dict(self) -> dict:
        return {"method": self.method, "params": self.params}

    @classmethod
    def from_dict(cls, data: dict) -> Calibrator:
        return cls(data["method"], dict(data["params"]))


def fit_sklearn(model, X: np.ndarray, y: np.ndarray, method: str) -> CalibratedClassifierCV:
    """The sklearn calibrator over the frozen, already-trained model."""
    with warnings.catch_warnings():
        # The frozen model is never refitted, so the cross-validation split sklearn still
        # makes (and warns about when a class is rare) does not affect the calibrator.
        warnings.filterwarnings("ignore", message="The least populated class", category=UserWarning)
        return CalibratedClassifierCV(FrozenEstimator(model), method=method).fit(X, y)


def extract(calibrated: CalibratedClassifierCV) -> Calibrator:
    """Reduce a fitted binary ``CalibratedClassifierCV`` to a :class:`Calibrator`."""
    inner = calibrated.calibrated_classifiers_[0]
    fitted = inner.calibrators[0]
    if calibrated.method == "sigmoid":
        return Calibrator("sigmoid", {"a": float(fitted.a_), "b": float(fitted.b_)})
    if calibrated.method == "isotonic":
        return Calibrator(
            "isotonic",
            {"x": fitted.X_thresholds_.tolist(), "y": fitted.y_thresholds_.tolist()},
        )
    if calibrated.method == "temperature":
        return Calibrator("temperature", {"beta": float(np.ravel(fitted.beta_)[0])})
    raise ValueError(f"unsupported method {calibrated.method!r}")


def relative_loss(comparison: dict, methods: list[str]) -> dict[str, float]:
    """Brier / best Brier + log loss / best log loss, per method.

    Brier alone let isotonic win on a few dozen positives by a hair while doubling log
    loss and collapsing thousands of scores into a few dozen ties (ranking lost on KCS
    critical fraud: AUC-PR 0.52 → 0.46); both proper scores must agree.
    """
    best = {k: min(comparison[m][k] for m in methods) for k in ("brier", "log_loss")}
    return {
        m: sum(comparison[m][k] / best[k] if best[k] > 0 else 1.0 for k in best) for m in methods
    }


def choose(model, X: np.ndarray, y: np.ndarray) -> tuple[Calibrator, dict]:
    """Pick the calibration method on held-out rows, then refit it on all of them.

    The calibration window is split in time order: candidates fit on the earlier half
    and are compared on the later half on Brier score and log loss together — each
    relative to the best candidate's, summed (:func:`relative_loss`); a candidate that
    loses more than ``MAX_RANKING_LOSS`` AUC is excluded.
    Returns the chosen calibrator (refitted on the whole window) and the comparison.
    """
    half = len(y) // 2
    fit_X, fit_y, eval_X, eval_y = X[:half], y[:half], X[half:], y[half:]
    raw = model.predict_proba(eval_X)[:, 1]  # uncalibrated reference
    raw_auc = roc_auc_score(eval_y, raw) if 0 < eval_y.sum() < len(eval_y) else float("nan")
    comparison = {
        "uncalibrated": {
            "brier": float(brier_score_loss(eval_y, raw)),
            "log_loss": float(log_loss(eval_y, raw, labels=[0, 1])),
            "auc_roc": float(raw_auc),
        }
    }
    eligible = []
    for method in METHODS:
        if not 0 < fit_y.sum() < len(fit_y):
            break
        p = fit_sklearn(model, fit_X, fit_y, method).predict_proba(eval_X)[:, 1]
        auc = roc_auc_score(eval_y, p) if raw_auc == raw_auc else float("nan")
        scores = {
            "brier": float(brier_score_loss(eval_y, p)),
            "log_loss": float(log_loss(eval_y, p, labels=[0, 1])),
            "auc_roc": float(auc),
        }
        comparison[method] = scores
        if not (raw_auc - auc > MAX_RANKING_LOSS):
            eligible.append(method)
    losses = relative_loss(comparison, eligible) if eligible else {"sigmoid": 0.0}
    method = min(losses, key=losses.get)
    comparison["chosen"] = method
    return extract(fit_sklearn(model, X, y, method)), comparison

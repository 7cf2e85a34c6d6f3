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
    and are compared on the later half (:func:`compare`), and :func:`pick_method` applies
    the rule. Returns the chosen calibrator (refitted on the whole window) and the
    comparison, with the choice under ``"chosen"``.
    """
    half = len(y) // 2
    comparison = compare(model, (X[:half], y[:half]), (X[half:], y[half:]))
    method = pick_method(comparison)
    comparison["chosen"] = method
    return extract(fit_sklearn(model, X, y, method)), comparison


def _scores(y: np.ndarray, p: np.ndarray, auc_roc: float) -> dict[str, float]:
    return {
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "auc_roc": float(auc_roc),
    }


def compare(
    model, fit: tuple[np.ndarray, np.ndarray], evaluate: tuple[np.ndarray, np.ndarray]
) -> dict[str, dict[str, float]]:
    """Brier, log loss and AUC-ROC on ``evaluate`` of the uncalibrated model and of each
    method fitted on ``fit``. No method is fitted when ``fit`` lacks a class; AUC is NaN
    when ``evaluate`` does."""
    (fit_X, fit_y), (eval_X, eval_y) = fit, evaluate
    raw = model.predict_proba(eval_X)[:, 1]  # uncalibrated reference
    both_classes = 0 < eval_y.sum() < len(eval_y)
    raw_auc = roc_auc_score(eval_y, raw) if both_classes else float("nan")
    comparison = {"uncalibrated": _scores(eval_y, raw, raw_auc)}
    if not 0 < fit_y.sum() < len(fit_y):
        return comparison
    for method in METHODS:
        p = fit_sklearn(model, fit_X, fit_y, method).predict_proba(eval_X)[:, 1]
        comparison[method] = _scores(
            eval_y, p, roc_auc_score(eval_y, p) if both_classes else float("nan")
        )
    return comparison


def pick_method(comparison: dict[str, dict[str, float]]) -> str:
    """The method with the lowest :func:`relative_loss` among those losing at most
    ``MAX_RANKING_LOSS`` AUC against the uncalibrated model (an unknown AUC excludes
    none); sigmoid when none was fitted or none qualifies."""
    raw_auc = comparison["uncalibrated"]["auc_roc"]
    fitted = [m for m in METHODS if m in comparison]
    # "not (loss > max)": a NaN AUC (one class in the later half) excludes nothing
    eligible = [m for m in fitted if not raw_auc - comparison[m]["auc_roc"] > MAX_RANKING_LOSS]
    if not eligible:
        return "sigmoid"
    losses = relative_loss(comparison, eligible)
    return min(losses, key=losses.get)

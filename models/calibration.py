"""Probability calibration: chosen on held-out data, applied without sklearn at serving.

Candidates are fitted through ``CalibratedClassifierCV(FrozenEstimator(model))`` —
sigmoid (Platt), isotonic and temperature scaling. The fitted mapping is then reduced
to a few numbers (:class:`Calibrator`) that the API applies to the booster's raw
score (log-odds; LightGBM's classifier exposes it as ``decision_function``, which
sklearn prefers over ``predict_proba``) with numpy: an interpolation or a closed form
instead of sklearn's per-call validation, which costs milliseconds per row.

The uncertainty of the fitted map is a bootstrap band (:func:`bootstrap_band`): the chosen
method refitted on resamples of the calibration window, its 5 % and 95 % quantiles stored
on a grid of raw scores, so serving reads an interval with two interpolations.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.isotonic import IsotonicRegression
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


@dataclass(frozen=True)
class Band:
    """A confidence band of the calibration map: probabilities at raw-score grid points.

    ``low`` and ``high`` are the ``(1 ± confidence) / 2`` quantiles, over bootstrap
    resamples of the calibration window, of the refitted map at each ``raw`` point.
    """

    raw: list[float]
    low: list[float]
    high: list[float]
    confidence: float
    resamples: int

    def __post_init__(self) -> None:
        # arrays once, not a list conversion per request (np.interp would convert each time)
        grid = tuple(np.asarray(v, dtype=float) for v in (self.raw, self.low, self.high))
        object.__setattr__(self, "_grid", grid)

    def interval(self, raw_score: np.ndarray, probability: np.ndarray) -> tuple[np.ndarray, ...]:
        """The band at each raw score, widened to hold the served ``probability`` (a grid
        interpolation can pass a point of the curved map by a hair; the percentile band of
        a map fitted on few findings need not hold the full-window fit)."""
        raw, low, high = self._grid
        low = np.interp(raw_score, raw, low)
        high = np.interp(raw_score, raw, high)
        return np.minimum(low, probability), np.maximum(high, probability)

    def to_dict(self) -> dict:
        return {
            "raw": self.raw,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "resamples": self.resamples,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Band:
        return cls(
            list(data["raw"]),
            list(data["low"]),
            list(data["high"]),
            float(data["confidence"]),
            int(data["resamples"]),
        )


def band_grid(held_out_raw: np.ndarray, scored_raw: np.ndarray, points: int = 64) -> np.ndarray:
    """Raw scores at which the band is stored: quantiles of the held-out scores (dense where
    the calibrator learnt) plus an even spread over every score seen (tails)."""
    every = np.concatenate([held_out_raw, scored_raw])
    return np.unique(
        np.concatenate(
            [
                np.quantile(held_out_raw, np.linspace(0, 1, points + 1)),
                np.linspace(every.min(), every.max(), points // 2 + 1),
            ]
        )
    )


def bootstrap_band(
    calibrator: Calibrator,
    raw: np.ndarray,
    y: np.ndarray,
    grid: np.ndarray,
    resamples: int,
    seed: int,
    confidence: float = 0.9,
) -> Band:
    """The calibrator's method refitted on ``resamples`` bootstrap resamples of the held-out
    (``raw``, ``y``) rows; per grid point the central ``confidence`` share of the maps.

    The fits solve the same problems as sklearn's (Platt with its smoothed targets,
    temperature, isotonic) directly, weighted by resample counts: all resamples at once
    in a few Newton steps, not ``resamples`` passes through ``CalibratedClassifierCV``.
    """
    raw = np.asarray(raw, dtype=float)
    y = np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    n = len(y)
    draws = rng.integers(0, n, (resamples, n))
    weights = np.stack([np.bincount(d, minlength=n) for d in draws]).astype(float)
    if calibrator.method == "sigmoid":
        maps = _platt_maps(calibrator, raw, y, weights, grid)
    elif calibrator.method == "temperature":
        maps = _temperature_maps(calibrator, raw, y, weights, grid)
    elif calibrator.method == "isotonic":
        maps = np.stack([_isotonic_map(raw, y, w, grid) for w in weights])
    else:
        raise ValueError(f"unknown calibration method {calibrator.method!r}")
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(maps, [tail, 1.0 - tail], axis=0)
    served = calibrator.apply(grid)
    # Where the map is 0 (isotonic below the lowest finding) no resample can vary it, yet
    # "no finding among m rows" only bounds the rate below 1 - tail^(1/m) (≈ 3/m at 95 %).
    zero_rows = int((calibrator.apply(raw) == 0).sum())
    if zero_rows:
        high = np.where(high > 0, high, 1.0 - tail ** (1.0 / zero_rows))
    return Band(
        grid.tolist(),
        np.minimum(low, served).tolist(),
        np.maximum(high, served).tolist(),
        confidence,
        resamples,
    )


# Newton from the served fit (the full window's optimum) converges in a handful of steps.
NEWTON_STEPS = 50
NEWTON_TOLERANCE = 1e-9


def _platt_maps(
    calibrator: Calibrator, raw: np.ndarray, y: np.ndarray, weights: np.ndarray, grid: np.ndarray
) -> np.ndarray:
    """Platt's sigmoid per resample (rows of ``weights``), from the served fit's slope and
    intercept; targets smoothed as sklearn does (Platt 2000, §2.2) with resample counts."""
    positives = weights @ y
    negatives = weights.sum(axis=1) - positives
    target = np.where(
        y > 0, ((positives + 1) / (positives + 2))[:, None], (1 / (negatives + 2))[:, None]
    )
    # p = expit(u·s + v), u = -a and v = -b of sklearn's expit(-(a·s + b))
    u = np.full(len(weights), -calibrator.params["a"])
    v = np.full(len(weights), -calibrator.params["b"])
    for _ in range(NEWTON_STEPS):
        p = expit(u[:, None] * raw + v[:, None])
        residual = weights * (p - target)
        curvature = weights * p * (1 - p) + 1e-12
        g_u, g_v = residual @ raw, residual.sum(axis=1)
        h_uu, h_uv, h_vv = curvature @ raw**2, curvature @ raw, curvature.sum(axis=1)
        det = h_uu * h_vv - h_uv**2
        step_u, step_v = (h_vv * g_u - h_uv * g_v) / det, (h_uu * g_v - h_uv * g_u) / det
        u, v = u - step_u, v - step_v
        if max(np.abs(step_u).max(), np.abs(step_v).max()) < NEWTON_TOLERANCE:
            break
    return expit(u[:, None] * grid + v[:, None])


def _temperature_maps(
    calibrator: Calibrator, raw: np.ndarray, y: np.ndarray, weights: np.ndarray, grid: np.ndarray
) -> np.ndarray:
    """Temperature scaling, p = expit(2β·s), per resample from the served β."""
    beta = np.full(len(weights), calibrator.params["beta"])
    s = 2.0 * raw
    for _ in range(NEWTON_STEPS):
        p = expit(beta[:, None] * s)
        gradient = (weights * (p - y)) @ s
        curvature = (weights * p * (1 - p)) @ s**2 + 1e-12
        step = gradient / curvature
        beta = beta - step
        if np.abs(step).max() < NEWTON_TOLERANCE:
            break
    return expit(2.0 * beta[:, None] * grid)


def _isotonic_map(raw: np.ndarray, y: np.ndarray, weight: np.ndarray, grid: np.ndarray):
    used = weight > 0
    fitted = IsotonicRegression(out_of_bounds="clip").fit(raw[used], y[used], weight[used])
    return fitted.predict(grid)

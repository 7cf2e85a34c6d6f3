"""Evaluation metrics, with the exact definitions the reports promise.

Precision at n %: sort by score, descending, ties kept in input order; take the first
round(n % × rows) — Python's ``round``, half to even: 5 % of 50 rows (2.5) is 2 rows, 5 %
of 70 (3.5) is 4; the share of positives among them (undefined, NaN, when no row is
taken). Recall at n %: the share of all positives they hold (NaN when there is no
positive). ECE: 10 equal-width probability bins, the weighted mean of |observed rate −
mean probability|. Relative ECE: ECE over the observed base rate (an absolute ECE of 0.03
hides a five-fold over-prediction on a 1 % base rate; relative to the rate it does not).
Observed / expected (O/E): findings observed over the sum of the probabilities, with the
exact (Garwood) Poisson interval of the observed count divided by the expected count.
Scores and probabilities must be finite: a NaN would otherwise sort last or fall in a bin
silently, so every metric here raises ``ValueError`` on one.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score

INSPECTION_RATES: tuple[int, ...] = (1, 2, 5, 10)
OE_INTERVAL = 0.95  # confidence of the Poisson interval of observed / expected


def finite(values: np.ndarray, what: str = "scores") -> np.ndarray:
    """``values`` as a float array; ``ValueError`` if any is NaN or infinite."""
    values = np.asarray(values, dtype=float)
    if not np.isfinite(values).all():
        bad = int((~np.isfinite(values)).sum())
        raise ValueError(f"{bad} non-finite {what} of {len(values)}: metrics need finite values")
    return values


def top_share_order(scores: np.ndarray) -> np.ndarray:
    """Indices by descending score; a stable sort keeps ties in input order."""
    return np.argsort(-finite(scores), kind="stable")


def top_rows(percent: float, rows: int) -> int:
    """How many rows the top ``percent`` % is: Python's round, half to even."""
    return round(percent / 100.0 * rows)


def precision_recall_at(y: np.ndarray, scores: np.ndarray, percent: float) -> tuple[float, float]:
    """Precision and recall among the top ``percent`` % of rows by score (NaN if undefined)."""
    y = np.asarray(y, dtype=float)
    k = top_rows(percent, len(y))
    hits = y[top_share_order(scores)[:k]].sum()
    total = y.sum()
    precision = hits / k if k > 0 else float("nan")
    recall = hits / total if total > 0 else float("nan")
    return float(precision), float(recall)


def expected_calibration_error(y: np.ndarray, probabilities: np.ndarray, bins: int = 10) -> float:
    """Weighted mean |observed rate − mean probability| over equal-width bins."""
    y = np.asarray(y, dtype=float)
    p = finite(probabilities, "probabilities")
    # Bin i holds [i/bins, (i+1)/bins); probability 1.0 falls in the last bin.
    index = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        mask = index == b
        if mask.any():
            total += mask.sum() * abs(y[mask].mean() - p[mask].mean())
    return float(total / len(y)) if len(y) else float("nan")


def relative_ece(y: np.ndarray, probabilities: np.ndarray) -> float:
    """ECE over the observed base rate (NaN without findings: no rate to compare with)."""
    rate = float(np.mean(y)) if len(y) else 0.0
    return expected_calibration_error(y, probabilities) / rate if rate > 0 else float("nan")


def poisson_interval(count: float, confidence: float = OE_INTERVAL) -> tuple[float, float]:
    """Exact (Garwood) two-sided interval of a Poisson mean, given an observed count."""
    tail = (1.0 - confidence) / 2
    low = chi2.ppf(tail, 2 * count) / 2 if count > 0 else 0.0
    return float(low), float(chi2.ppf(1.0 - tail, 2 * (count + 1)) / 2)


def observed_expected(y: np.ndarray, probabilities: np.ndarray) -> dict[str, float]:
    """Findings observed and expected (Σ probability), their ratio O/E and its interval.

    The interval treats the observed count as Poisson around the expected count (a sum of
    rare Bernoullis): O/E outside it means the probabilities are off by more than chance.
    NaN ratio and interval when nothing is expected.
    """
    observed = float(np.sum(y))
    expected = float(np.sum(finite(probabilities, "probabilities")))
    low, high = poisson_interval(observed)
    if expected <= 0:
        return {"observed": observed, "expected": expected} | dict.fromkeys(
            ("observed_to_expected", "observed_to_expected_low", "observed_to_expected_high"),
            float("nan"),
        )
    return {
        "observed": observed,
        "expected": expected,
        "observed_to_expected": observed / expected,
        "observed_to_expected_low": low / expected,
        "observed_to_expected_high": high / expected,
    }


def interval_coverage(
    y: np.ndarray,
    probabilities: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    groups: int = 10,
    draws: int = 200,
    seed: int = 0,
) -> dict[str, float]:
    """How often probability intervals hold what held-out rows show.

    Rows sorted by probability are cut into ``groups`` groups of equal size. A group is
    covered when its observed finding count lies within [Σ low, Σ high] (the counts the
    intervals allow). The count carries its own sampling noise on top of the true rate's,
    so even exact probabilities leave small groups uncovered: ``interval_coverage_if_exact``
    is the coverage that findings drawn from the probabilities themselves reach (``draws``
    simulations), the yardstick for ``interval_coverage``. A group is consistent when the
    allowed counts overlap the count's 90 % Poisson interval.
    """
    order = np.argsort(finite(probabilities, "probabilities"), kind="stable")
    y, p, low, high = (np.asarray(a, dtype=float)[order] for a in (y, probabilities, low, high))
    parts = [part for part in np.array_split(np.arange(len(y)), groups) if len(part)]
    if not parts:
        return dict.fromkeys(
            ("interval_coverage", "interval_coverage_if_exact", "interval_consistency"),
            float("nan"),
        ) | {"interval_groups": 0.0}
    simulated = np.random.default_rng(seed).random((draws, len(y))) < p
    covered, if_exact, consistent = [], [], []
    for part in parts:
        count, allowed = y[part].sum(), (low[part].sum(), high[part].sum())
        covered.append(allowed[0] <= count <= allowed[1])
        counts = simulated[:, part].sum(axis=1)
        if_exact.append(np.mean((allowed[0] <= counts) & (counts <= allowed[1])))
        noise = poisson_interval(count, 0.90)
        consistent.append(allowed[0] <= noise[1] and noise[0] <= allowed[1])
    return {
        "interval_groups": float(len(parts)),
        "interval_coverage": float(np.mean(covered)),
        "interval_coverage_if_exact": float(np.mean(if_exact)),
        "interval_consistency": float(np.mean(consistent)),
    }


def value_captured_at(values: np.ndarray, scores: np.ndarray, percent: float) -> float:
    """Share of the total of ``values`` (e.g. duty recovered) in the top ``percent`` % by score."""
    values = np.asarray(values, dtype=float)
    top = top_share_order(scores)[: top_rows(percent, len(values))]
    total = values.sum()
    if total <= 0:
        return float("nan")
    return float(values[top].sum() / total)


def paired_bootstrap_worse(
    y: np.ndarray,
    reference: np.ndarray,
    candidate: np.ndarray,
    resamples: int,
    seed: int,
    relative_ece_tolerance: float | None = 0.0,
) -> dict[str, float]:
    """Shares of paired bootstrap resamples in which ``candidate`` is worse than
    ``reference``: lower AUC-PR and, unless ``relative_ece_tolerance`` is None (scores that
    are not probabilities), ECE / base rate higher by more than the tolerance. The same
    resampled rows score both, so their noise cancels."""
    rng = np.random.default_rng(seed)
    n = len(y)
    worse_pr = worse_ece = valid = 0
    for _ in range(resamples):
        index = rng.integers(0, n, n)
        sample = y[index]
        if not 0 < sample.sum() < n:
            continue
        valid += 1
        reference_pr = average_precision_score(sample, reference[index])
        worse_pr += average_precision_score(sample, candidate[index]) < reference_pr
        if relative_ece_tolerance is not None:
            reference_ece = relative_ece(sample, reference[index])
            candidate_ece = relative_ece(sample, candidate[index])
            worse_ece += candidate_ece > reference_ece + relative_ece_tolerance
    shares = {"auc_pr": worse_pr / valid if valid else 0.0}
    if relative_ece_tolerance is not None:
        shares["ece_relative"] = worse_ece / valid if valid else 0.0
    return shares


def classification_report(y: np.ndarray, probabilities: np.ndarray) -> dict:
    """AUC-ROC, AUC-PR, precision/recall at inspection rates, ECE (absolute and relative to
    the base rate), observed / expected findings with its interval, Brier, log loss."""
    y = np.asarray(y, dtype=int)
    p = np.clip(finite(probabilities, "probabilities"), 0.0, 1.0)
    both = 0 < y.sum() < len(y)
    report = {
        "rows": len(y),
        "positives": int(y.sum()),
        "prevalence": float(y.mean()) if len(y) else float("nan"),
        "auc_roc": float(roc_auc_score(y, p)) if both else float("nan"),
        "auc_pr": float(average_precision_score(y, p)) if both else float("nan"),
        "ece": expected_calibration_error(y, p),
        "ece_relative": relative_ece(y, p),
        **observed_expected(y, p),
        "brier": float(brier_score_loss(y, p)) if len(y) else float("nan"),
        "log_loss": float(log_loss(y, p, labels=[0, 1])) if len(y) else float("nan"),
        "precision_at": {},
        "recall_at": {},
    }
    for rate in INSPECTION_RATES:
        precision, recall = precision_recall_at(y, p, rate)
        report["precision_at"][str(rate)] = precision
        report["recall_at"][str(rate)] = recall
    return report


def flatten(report: dict, prefix: str) -> dict[str, float]:
    """Nested report → flat metrics: ``precision_at: {"5": x}`` → ``<prefix>.precision_at_5``."""
    flat = {}
    for key, value in report.items():
        if isinstance(value, dict) and all(isinstance(v, int | float) for v in value.values()):
            for sub, v in value.items():
                flat[f"{prefix}.{key}_{sub}"] = float(v)
        elif isinstance(value, dict):  # a nested report, e.g. the random-sample subset
            flat.update(flatten(value, f"{prefix}.{key}"))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[f"{prefix}.{key}"] = float(value)
    return flat


def format_metric(value, digits: int = 3, small_as_exponent: bool = False) -> str:
    """A metric for people: "—" when missing (None or NaN), else ``digits`` decimals;
    ``small_as_exponent`` writes non-zero values below 10^-digits as 1.2e-05."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if not isinstance(value, float):
        return str(value)
    if small_as_exponent and value != 0 and abs(value) < 10 ** (-digits):
        return f"{value:.1e}"
    return f"{value:.{digits}f}"


def format_share(value) -> str:
    """A share as a percentage with one decimal, "—" when missing."""
    return "—" if value is None or value != value else f"{value:.1%}"

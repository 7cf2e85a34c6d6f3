"""How far two samples of one input differ: the statistics behind every drift measure.

Pure functions on arrays (numpy / scipy only). Definitions, stated once:

- **PSI** (population stability index) = Σ (a − e) · ln(a / e) over bins, where e and a
  are the reference and window shares of a bin; an empty bin's share is raised to
  ``PSI_EPSILON`` so that the logarithm stays finite. Numeric features: bins cut at the
  reference deciles (ties collapse, so a mostly-zero count gets fewer bins), plus one bin
  for missing values. Categorical features: one bin per reference level expected at least
  ``MIN_EXPECTED_COUNT`` times in the window, and one "(other)" bin for the rarer ones and
  the levels the reference never saw (these are also listed, with their share).
- **p-values**: two-sample Kolmogorov-Smirnov for numeric features (non-missing values),
  chi-squared on the bin counts for categorical ones (``scipy.stats``), computed in
  ``reassessment.drift_measures``.
- **Shift** of a numeric feature: the Wasserstein-1 distance between the reference and
  window values, in reference standard deviations — how far values moved, in the
  feature's own units. PSI and KS are blind to that: a dominant importer's findings rate
  moving from 1.2 % to 1.45 % across a decile edge scored PSI 0.53 (KS p ≈ 3e-49) for a
  move of 0.05 sd.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

PSI_EPSILON = 1e-4
NUMERIC_BINS = 10
OTHER_LEVEL = "(other)"
MIN_EXPECTED_COUNT = 5.0
MISSING = "(missing)"


def psi(reference_counts: np.ndarray, window_counts: np.ndarray) -> float:
    """PSI of two count vectors over the same bins (see module docstring)."""
    return float(np.sum(psi_terms(reference_counts, window_counts)))


def psi_terms(reference_counts: np.ndarray, window_counts: np.ndarray) -> np.ndarray:
    """Each bin's contribution to the PSI (NaN when either side is empty)."""
    e = np.asarray(reference_counts, dtype=float)
    a = np.asarray(window_counts, dtype=float)
    if e.sum() == 0 or a.sum() == 0:
        return np.full(len(e), np.nan)
    e = np.maximum(e / e.sum(), PSI_EPSILON)
    a = np.maximum(a / a.sum(), PSI_EPSILON)
    return (a - e) * np.log(a / e)


def quantile_edges(reference: np.ndarray, bins: int = NUMERIC_BINS) -> np.ndarray:
    """Interior bin edges at the reference quantiles (unique, so ties collapse)."""
    values = np.asarray(reference, dtype=float)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return np.zeros(0)
    return np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)[1:-1]))


def numeric_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts per bin: ``len(edges) + 1`` value bins (right-open), then the missing bin."""
    values = np.asarray(values, dtype=float)
    missing = np.isnan(values)
    index = np.searchsorted(edges, values[~missing], side="right")
    counts = np.bincount(index, minlength=len(edges) + 1).astype(float)
    return np.append(counts, missing.sum())


def categorical_counts(
    reference: np.ndarray, window: np.ndarray, min_expected: float = MIN_EXPECTED_COUNT
) -> tuple[list[str], np.ndarray, np.ndarray, dict[str, int]]:
    """Bins of a categorical comparison, the counts of each side, and the unseen levels.

    One bin per reference level expected at least ``min_expected`` times in the window
    (reference share × window rows); every other level — rarer reference levels and
    levels the reference never saw — shares the tail bin "(other)". Many near-empty bins
    would make PSI and chi-squared measure sampling noise, and a level unseen in a few
    weeks of reference is usually just a rare one: it counts by its share, through the
    tail, not as an infinitely surprising bin of its own.
    """
    ref = pd.Series(_labels(reference)).value_counts()
    cur = pd.Series(_labels(window)).value_counts()
    n_window = max(int(cur.sum()), 1)
    expected = ref / max(ref.sum(), 1) * n_window
    levels = sorted(ref.index[expected >= min_expected])
    new = {str(k): int(v) for k, v in cur.items() if k not in ref.index}
    ref_counts = [*ref.reindex(levels).to_numpy(dtype=float)]
    cur_counts = [*cur.reindex(levels, fill_value=0).to_numpy(dtype=float)]
    ref_counts.append(float(ref.sum() - sum(ref_counts)))
    cur_counts.append(float(cur.sum() - sum(cur_counts)))
    return [*levels, OTHER_LEVEL], np.array(ref_counts), np.array(cur_counts), new


def _labels(values) -> np.ndarray:
    """Categorical values as strings, missing (None, NaN, '') as ``MISSING``."""
    out = pd.Series(np.asarray(values, dtype=object)).astype(object)
    out = out.where(out.notna() & (out.astype(str) != ""), MISSING)
    return out.astype(str).to_numpy()


def shift_in_sd(reference: np.ndarray, window: np.ndarray) -> float | None:
    """Wasserstein-1 distance of two samples in reference standard deviations (None when
    a side is empty; infinite when a constant reference is left)."""
    if len(reference) == 0 or len(window) == 0:
        return None
    distance = float(stats.wasserstein_distance(reference, window))
    sd = float(np.std(reference))
    if sd == 0:
        return 0.0 if distance == 0 else float("inf")
    return distance / sd


def level_changes(
    levels: list[str], reference_counts: np.ndarray, window_counts: np.ndarray, top: int = 5
) -> list[dict]:
    """The bins contributing most to a categorical PSI: share before and after."""
    terms = psi_terms(reference_counts, window_counts)
    order = np.argsort(-terms)[:top]
    return [
        {
            "level": levels[i],
            "reference_share": float(reference_counts[i] / max(reference_counts.sum(), 1)),
            "window_share": float(window_counts[i] / max(window_counts.sum(), 1)),
            "psi_term": float(terms[i]),
        }
        for i in order
        if terms[i] > 0
    ]


def null_rate(values) -> float:
    """Share of missing values (NaN when there are none at all)."""
    if len(values) == 0:
        return float("nan")
    arr = np.asarray(values, dtype=object)
    return float(pd.isna(pd.Series(arr)).mean())

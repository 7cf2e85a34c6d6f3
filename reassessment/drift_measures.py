"""What monitoring measures on a window against its reference: inputs, scores, data
quality, outcomes, and the reconciliation of earlier pending estimates.

Each measure is a frozen dataclass with its ``to_dict`` (the window report's JSON rows);
the statistics they use are defined in ``reassessment.drift_statistics``. **Outcome
performance** uses only labels that had matured (were known) by the end of the window;
pending labels are counted and estimated from the calibrated probabilities.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from models.metrics import expected_calibration_error, observed_expected, relative_ece
from reassessment.drift_statistics import (
    categorical_counts,
    level_changes,
    null_rate,
    numeric_counts,
    psi,
    quantile_edges,
    shift_in_sd,
)


@dataclass(frozen=True)
class FeatureDrift:
    """Drift of one input between the reference and the window."""

    feature: str
    kind: str  # numeric | categorical
    psi: float
    p_value: float
    test: str  # ks | chi2
    null_rate_reference: float
    null_rate_window: float
    new_levels: dict[str, int] = field(default_factory=dict)  # categorical only
    new_level_share: float = 0.0
    top_changes: list[dict] = field(default_factory=list)  # categorical: largest PSI terms
    shift_sd: float | None = None  # numeric: Wasserstein-1 distance / reference sd

    def to_dict(self) -> dict:
        return asdict(self)


def numeric_drift(name: str, reference: np.ndarray, window: np.ndarray) -> FeatureDrift:
    """PSI on reference-decile bins (+ missing bin) and the KS p-value of non-missing values."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(window, dtype=float)
    edges = quantile_edges(ref)
    value = psi(numeric_counts(ref, edges), numeric_counts(cur, edges))
    ref_ok, cur_ok = ref[~np.isnan(ref)], cur[~np.isnan(cur)]
    p = float(stats.ks_2samp(ref_ok, cur_ok).pvalue) if len(ref_ok) and len(cur_ok) else 1.0
    return FeatureDrift(
        name,
        "numeric",
        value,
        p,
        "ks",
        null_rate(ref),
        null_rate(cur),
        shift_sd=shift_in_sd(ref_ok, cur_ok),
    )


def categorical_drift(name: str, reference: np.ndarray, window: np.ndarray) -> FeatureDrift:
    """PSI over the reference's frequent levels plus the "(other)" tail, and the
    chi-squared p-value of the counts."""
    levels, ref_counts, cur_counts, new = categorical_counts(reference, window)
    value = psi(ref_counts, cur_counts)
    table = np.vstack([ref_counts, cur_counts])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or table.sum(axis=1).min() == 0:
        p = 1.0
    else:
        p = float(stats.chi2_contingency(table).pvalue)
    n = max(len(window), 1)
    return FeatureDrift(
        name,
        "categorical",
        value,
        p,
        "chi2",
        null_rate(reference),
        null_rate(window),
        dict(sorted(new.items(), key=lambda kv: -kv[1])[:20]),
        float(sum(new.values()) / n),
        level_changes(levels, ref_counts, cur_counts),
    )


def input_drift(
    reference: pd.DataFrame,
    window: pd.DataFrame,
    numeric: Iterable[str],
    categorical: Iterable[str],
) -> list[FeatureDrift]:
    """Drift of every listed feature, numeric and categorical."""
    out = [
        numeric_drift(n, reference[n].to_numpy(float), window[n].to_numpy(float)) for n in numeric
    ]
    out += [
        categorical_drift(n, reference[n].to_numpy(object), window[n].to_numpy(object))
        for n in categorical
    ]
    return out


# --- scores ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreDrift:
    """Drift of one category's calibrated probability, and of its flag rate."""

    category: str
    psi: float
    p_value: float  # KS
    mean_reference: float
    mean_window: float
    cutoff: float  # probability at the operating inspection rate, on the reference
    flag_rate_reference: float
    flag_rate_window: float

    def to_dict(self) -> dict:
        return asdict(self)


def operating_cutoff(reference_scores: np.ndarray, rate: float) -> float:
    """Probability above which the top ``rate`` share of reference declarations lies."""
    return float(np.quantile(np.asarray(reference_scores, dtype=float), 1.0 - rate))


def score_drift(
    category: str, reference: np.ndarray, window: np.ndarray, rate: float
) -> ScoreDrift:
    """PSI (reference deciles) and KS of calibrated probabilities; flag rates at ``rate``."""
    ref = np.asarray(reference, dtype=float)
    cur = np.asarray(window, dtype=float)
    edges = quantile_edges(ref)
    cutoff = operating_cutoff(ref, rate)
    return ScoreDrift(
        category,
        psi(numeric_counts(ref, edges), numeric_counts(cur, edges)),
        float(stats.ks_2samp(ref, cur).pvalue),
        float(ref.mean()),
        float(cur.mean()),
        cutoff,
        float((ref >= cutoff).mean()),
        float((cur >= cutoff).mean()),
    )


# --- data quality ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QualityDrift:
    """Null rate and out-of-contract share of one column."""

    column: str
    null_rate_reference: float
    null_rate_window: float
    out_of_contract_reference: float
    out_of_contract_window: float

    @property
    def null_rate_change(self) -> float:
        return self.null_rate_window - self.null_rate_reference

    def to_dict(self) -> dict:
        return {**asdict(self), "null_rate_change": self.null_rate_change}


def out_of_contract(frame: pd.DataFrame, contract) -> dict[str, np.ndarray]:
    """Per contract column, which rows break its nullability, allowed values, pattern or bounds.

    A vectorised subset of the expectation suites (``sources.validation``): cheap enough to
    run on every window, and it needs no Great Expectations context.
    """
    out = {}
    for col in contract.columns:
        if col.name not in frame.columns:
            out[col.name] = np.ones(len(frame), dtype=bool)
            continue
        series = frame[col.name]
        missing = series.isna().to_numpy()
        bad = missing.copy() if not col.nullable else np.zeros(len(frame), dtype=bool)
        present = ~missing
        if col.allowed is not None:
            bad |= present & ~series.astype(object).isin(col.allowed).to_numpy()
        if col.pattern is not None:
            text = series.astype("string")
            matched = text.str.fullmatch(col.pattern).fillna(True).astype(bool)
            bad |= present & ~matched.to_numpy()
        if col.min_value is not None or col.max_value is not None:
            numbers = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
            low = col.min_value if col.min_value is not None else -np.inf
            high = col.max_value if col.max_value is not None else np.inf
            bad |= present & ~((numbers >= low) & (numbers <= high))
        out[col.name] = bad
    return out


def quality_drift(reference: pd.DataFrame, window: pd.DataFrame, contract) -> list[QualityDrift]:
    """Null rates and out-of-contract shares of every contract column, reference vs window."""
    ref_bad, cur_bad = out_of_contract(reference, contract), out_of_contract(window, contract)
    rows = []
    for col in contract.columns:
        present = col.name in reference.columns and col.name in window.columns
        rows.append(
            QualityDrift(
                col.name,
                float(reference[col.name].isna().mean()) if present else float("nan"),
                float(window[col.name].isna().mean()) if present else float("nan"),
                float(ref_bad[col.name].mean()) if len(reference) else 0.0,
                float(cur_bad[col.name].mean()) if len(window) else 0.0,
            )
        )
    return rows


# --- outcomes -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomePerformance:
    """Performance of one category on the window's inspected items.

    ``matured``: outcome known by the window's end; ``pending``: inspected, not yet known.
    Flagged = calibrated probability at or above the operating cut-off.
    """

    category: str
    matured: int
    pending: int
    positives: int
    expected_positives: float  # Σ probability over matured labels
    observed_to_expected: float  # O/E, as ``models.metrics.observed_expected`` defines it
    observed_to_expected_low: float  # its 95 % Poisson interval
    observed_to_expected_high: float
    calibration_z: float  # (observed − expected) / sd of a sum of Bernoullis
    ece: float
    ece_relative: float  # ECE / the matured labels' base rate
    flagged_matured: int
    flagged_hits: int
    precision_at_rate: float  # among flagged, matured labels only
    flagged_pending: int
    pending_expected_precision: float  # mean probability of flagged pending items
    precision_with_pending_estimate: float  # matured hits + Σ p of pending, over all flagged

    def to_dict(self) -> dict:
        return asdict(self)


def outcome_performance(
    category: str,
    probability: np.ndarray,
    finding: np.ndarray,
    matured: np.ndarray,
    cutoff: float,
) -> OutcomePerformance:
    """Matured-label performance and the pending estimate for one category.

    ``probability``, ``finding`` and ``matured`` are aligned over the window's inspected
    items; ``finding`` is ignored where ``matured`` is False (it is not known yet).
    """
    p = np.asarray(probability, dtype=float)
    y = np.asarray(finding, dtype=float)
    known = np.asarray(matured, dtype=bool)
    flagged = p >= cutoff
    pk, yk = p[known], y[known]
    ratio = observed_expected(yk, pk)
    expected, observed = ratio["expected"], ratio["observed"]
    sd = float(np.sqrt(np.sum(pk * (1 - pk))))
    hits = int(yk[flagged[known]].sum())
    n_flag_known = int((flagged & known).sum())
    pending_p = p[flagged & ~known]
    combined_n = n_flag_known + len(pending_p)
    return OutcomePerformance(
        category=category,
        matured=int(known.sum()),
        pending=int((~known).sum()),
        positives=int(observed),
        expected_positives=expected,
        observed_to_expected=ratio["observed_to_expected"],
        observed_to_expected_low=ratio["observed_to_expected_low"],
        observed_to_expected_high=ratio["observed_to_expected_high"],
        calibration_z=(observed - expected) / sd if sd > 0 else 0.0,
        ece=expected_calibration_error(yk, pk) if len(yk) else float("nan"),
        ece_relative=relative_ece(yk, pk) if len(yk) else float("nan"),
        flagged_matured=n_flag_known,
        flagged_hits=hits,
        precision_at_rate=hits / n_flag_known if n_flag_known else float("nan"),
        flagged_pending=len(pending_p),
        pending_expected_precision=float(pending_p.mean()) if len(pending_p) else float("nan"),
        precision_with_pending_estimate=(hits + float(pending_p.sum())) / combined_n
        if combined_n
        else float("nan"),
    )


@dataclass(frozen=True)
class Reconciliation:
    """An earlier window's pending estimate against the labels that have arrived since."""

    category: str
    window_start: str
    window_end: str
    pending_then: int
    estimated_precision: float  # mean probability of the flagged items pending then
    flagged_pending_then: int
    matured_since: int  # of the flagged items pending then
    realised_precision: float  # among those that matured since
    still_pending: int

    def to_dict(self) -> dict:
        return asdict(self)


def reconcile(
    category: str,
    window: tuple[str, str],
    probability: np.ndarray,
    finding: np.ndarray,
    known_then: np.ndarray,
    known_now: np.ndarray,
    cutoff: float,
) -> Reconciliation:
    """Compare the estimate made at an earlier window's end with the labels known now."""
    p = np.asarray(probability, dtype=float)
    y = np.asarray(finding, dtype=float)
    then = np.asarray(known_then, dtype=bool)
    now = np.asarray(known_now, dtype=bool)
    flagged_pending = (p >= cutoff) & ~then
    arrived = flagged_pending & now
    return Reconciliation(
        category,
        window[0],
        window[1],
        int((~then).sum()),
        float(p[flagged_pending].mean()) if flagged_pending.any() else float("nan"),
        int(flagged_pending.sum()),
        int(arrived.sum()),
        float(y[arrived].mean()) if arrived.any() else float("nan"),
        int((flagged_pending & ~now).sum()),
    )

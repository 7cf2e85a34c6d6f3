"""Drift of inputs, scores, data quality and outcomes between a reference and a window.

Pure functions on frames and arrays (numpy / scipy only), used by the monitoring flow
(``pipelines.monitoring``) and the drift scenario. Definitions, stated once:

- **PSI** (population stability index) = Σ (a − e) · ln(a / e) over bins, where e and a
  are the reference and window shares of a bin; an empty bin's share is raised to
  ``PSI_EPSILON`` so that the logarithm stays finite. Numeric features: bins cut at the
  reference deciles (ties collapse, so a mostly-zero count gets fewer bins), plus one bin
  for missing values. Categorical features: one bin per reference level expected at least
  ``MIN_EXPECTED_COUNT`` times in the window, and one "(other)" bin for the rarer ones and
  the levels the reference never saw (these are also listed, with their share).
- **p-values**: two-sample Kolmogorov-Smirnov for numeric features (non-missing values),
  chi-squared on the bin counts for categorical ones (``scipy.stats``).
- **Shift** of a numeric feature: the Wasserstein-1 distance between the reference and
  window values, in reference standard deviations — how far values moved, in the
  feature's own units. PSI and KS are blind to that: a dominant importer's findings rate
  moving from 1.2 % to 1.45 % across a decile edge scored PSI 0.53 (KS p ≈ 3e-49) for a
  move of 0.05 sd.
- **Outcome performance** uses only labels that had matured (were known) by the end of the
  window; pending labels are counted and estimated from the calibrated probabilities.

How these become an alert is :func:`assess` (documented in ``docs/monitoring.md``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from models.metrics import expected_calibration_error

PSI_EPSILON = 1e-4
NUMERIC_BINS = 10
OTHER_LEVEL = "(other)"
MIN_EXPECTED_COUNT = 5.0
MISSING = "(missing)"


# --- PSI ------------------------------------------------------------------------------------


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
        _null_rate(ref),
        _null_rate(cur),
        shift_sd=shift_in_sd(ref_ok, cur_ok),
    )


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
        _null_rate(reference),
        _null_rate(window),
        dict(sorted(new.items(), key=lambda kv: -kv[1])[:20]),
        float(sum(new.values()) / n),
        level_changes(levels, ref_counts, cur_counts),
    )


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


def _null_rate(values) -> float:
    if len(values) == 0:
        return float("nan")
    arr = np.asarray(values, dtype=object)
    return float(pd.isna(pd.Series(arr)).mean())


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
    observed_to_expected: float
    calibration_z: float  # (observed − expected) / sd of a sum of Bernoullis
    ece: float
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
    expected = float(pk.sum())
    observed = float(yk.sum())
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
        observed_to_expected=observed / expected if expected > 0 else float("nan"),
        calibration_z=(observed - expected) / sd if sd > 0 else 0.0,
        ece=expected_calibration_error(yk, pk) if len(yk) else float("nan"),
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


# --- which inputs, and how they count ----------------------------------------------------------

SEGMENT = "route"  # HS chapter × origin: derived for monitoring, always assessed as key


def is_trending(feature) -> bool:
    """Ages and all-history counts: they grow with the calendar, so they always drift.

    E.g. "days since the consignee's first declaration" moves by seven days every week
    for every established consignee; comparing it with last month's distribution would
    alert for ever. They are reported, not assessed.
    """
    return (
        feature.kind == "numeric"
        and feature.entity.name != "goods_item"
        and feature.window_days is None
        and (feature.unit == "days" or feature.name.endswith(("_total", "_known")))
    )


def monitoring_inputs(frame: pd.DataFrame) -> pd.DataFrame:
    """Feature rows plus the derived segment (route = HS chapter × origin)."""
    out = frame.copy()
    if "hs_chapter" in out.columns and "origin_country" in out.columns:
        out[SEGMENT] = out["hs_chapter"].astype(str) + "×" + out["origin_country"].astype(str)
    return out


def key_inputs(model, count: int) -> list[str]:
    """The model's ``count`` most important inputs: gain share per category, summed.

    Each category's gains are normalised first, so a category with many trees does not
    dominate the ranking.
    """
    totals: dict[str, float] = {}
    for category in model.categories.values():
        gain = np.asarray(category.booster.feature_importance("gain"), dtype=float)
        if gain.sum() <= 0:
            continue
        for name, share in zip(model.spec.names, gain / gain.sum(), strict=True):
            totals[name] = totals.get(name, 0.0) + float(share)
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    return [name for name, value in ranked[:count] if value > 0]


# --- the decision ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """When a difference becomes a signal, and which signals make an alert.

    Defaults and their reasons are in ``docs/monitoring.md``; every value is a setting.
    """

    psi_warn: float = 0.1
    psi_alert: float = 0.25
    score_psi_alert: float = 0.1
    alpha: float = 0.01  # family-wise, split across the tests of a kind (Bonferroni)
    key_features: int = 10
    min_drifted_features: int = 3
    null_rate_alert: float = 0.05
    out_of_contract_alert: float = 0.01
    calibration_z_alert: float = 4.0
    calibration_ratio_alert: float = 1.5
    min_window_rows: int = 200
    min_shift_sd: float = 0.1


@dataclass(frozen=True)
class Signal:
    """One reason for concern, in a reviewer's words."""

    kind: str  # input | score | quality | outcome | window
    name: str
    level: str  # warn | alert
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)

    def label(self) -> str:
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class Assessment:
    """The signals of one window and the decision: ok, warn, alert (or insufficient)."""

    status: str
    alert: bool
    signals: list[Signal]
    rule: str

    @property
    def alert_signals(self) -> list[str]:
        return [s.label() for s in self.signals if s.level == "alert"]

    def to_dict(self) -> dict:
        return {
            "status": self.status,
            "alert": self.alert,
            "rule": self.rule,
            "alert_signals": self.alert_signals,
            "signals": [s.to_dict() for s in self.signals],
        }


ALERT_RULE = (
    "alert when: a key input (the route mix, or one of the champion's top {key_features} "
    "inputs by gain) drifted — PSI ≥ {psi_alert} and p < {alpha}/inputs (numeric inputs: "
    "also moved ≥ {min_shift_sd} reference sd); or at least "
    "{min_drifted_features} inputs drifted; or a category's score distribution drifted — "
    "PSI ≥ {score_psi_alert} and KS p < {alpha}/categories; or a column's null rate moved by "
    "≥ {null_rate_alert} or ≥ {out_of_contract_alert} of its rows broke the contract; or "
    "matured outcomes left the calibration band — |z| ≥ {calibration_z_alert} and "
    "observed/expected beyond ×{calibration_ratio_alert}. Ages and all-history counts are "
    "reported, not assessed."
)


def assess(
    inputs: list[FeatureDrift],
    scores: list[ScoreDrift],
    quality: list[QualityDrift],
    outcomes: list[OutcomePerformance],
    key: Iterable[str],
    thresholds: Thresholds,
    window_rows: int,
) -> Assessment:
    """Turn one window's measurements into signals and an ok / warn / alert decision.

    Many inputs are tested every window, so an input counts as drifted only when the
    shift is large (PSI) *and* unlikely to be chance after a Bonferroni correction *and*,
    for a numeric input, material in its own units (``min_shift_sd``); one drifted input
    alone alerts only if it is key. ``inputs`` must hold only assessed
    inputs (not the trending ones).
    """
    t = thresholds
    rule = ALERT_RULE.format(**asdict(t))
    if window_rows < t.min_window_rows:
        signal = Signal("window", "rows", "warn", f"only {window_rows} declarations: not assessed")
        return Assessment("insufficient", False, [signal], rule)
    signals: list[Signal] = []
    key = set(key) | {SEGMENT}
    input_alpha = t.alpha / max(len(inputs), 1)
    drifted = []
    for f in inputs:
        if f.psi != f.psi:
            continue
        detail = f"PSI {f.psi:.3f}, {f.test} p={f.p_value:.1e}"
        if f.shift_sd is not None:
            detail += f", moved {f.shift_sd:.3f} sd"
        if f.new_level_share > 0:
            detail += f", unseen levels {f.new_level_share:.1%} of rows"
        # Material: values moved in the feature's own units, or its missing share moved.
        material = (
            f.shift_sd is None
            or f.shift_sd >= t.min_shift_sd
            or abs(f.null_rate_window - f.null_rate_reference) >= t.null_rate_alert
        )
        if f.psi >= t.psi_alert and f.p_value < input_alpha and material:
            drifted.append(f.feature)
            is_key = f.feature in key
            signals.append(
                Signal(
                    "input",
                    f.feature,
                    "alert" if is_key else "warn",
                    detail + (" — key input" if is_key else ""),
                )
            )
        elif f.psi >= t.psi_warn:
            signals.append(Signal("input", f.feature, "warn", detail))
    if len(drifted) >= t.min_drifted_features:
        signals.append(
            Signal("input", "many", "alert", f"{len(drifted)} inputs drifted: {', '.join(drifted)}")
        )
    score_alpha = t.alpha / max(len(scores), 1)
    for s in scores:
        detail = (
            f"PSI {s.psi:.3f}, KS p={s.p_value:.1e}, mean {s.mean_reference:.4f} → "
            f"{s.mean_window:.4f}, flagged {s.flag_rate_reference:.1%} → {s.flag_rate_window:.1%}"
        )
        if s.psi >= t.score_psi_alert and s.p_value < score_alpha:
            signals.append(Signal("score", s.category, "alert", detail))
        elif s.psi >= t.score_psi_alert / 2:
            signals.append(Signal("score", s.category, "warn", detail))
    for q in quality:
        if abs(q.null_rate_change) >= t.null_rate_alert:
            detail = f"null rate {q.null_rate_reference:.1%} → {q.null_rate_window:.1%}"
            signals.append(Signal("quality", f"{q.column}.nulls", "alert", detail))
        if q.out_of_contract_window >= t.out_of_contract_alert:
            detail = f"{q.out_of_contract_window:.1%} of rows break the contract"
            signals.append(Signal("quality", f"{q.column}.contract", "alert", detail))
    for o in outcomes:
        ratio = o.observed_to_expected
        outside = ratio == ratio and (
            ratio >= t.calibration_ratio_alert or ratio <= 1 / t.calibration_ratio_alert
        )
        if abs(o.calibration_z) >= t.calibration_z_alert and outside:
            detail = (
                f"{o.positives} findings vs {o.expected_positives:.1f} expected on "
                f"{o.matured} matured labels (z={o.calibration_z:+.1f}); {o.pending} pending"
            )
            signals.append(Signal("outcome", o.category, "alert", detail))
    alert = any(s.level == "alert" for s in signals)
    status = "alert" if alert else ("warn" if signals else "ok")
    return Assessment(status, alert, signals, rule)


# --- one window, end to end ----------------------------------------------------------------------


def _between(frame: pd.DataFrame, column: str, start, end) -> pd.DataFrame:
    values = frame[column]
    return frame[(values >= start) & (values < end)]


def monitor_window(
    model,
    features: pd.DataFrame,
    declarations: pd.DataFrame,
    outcomes: pd.DataFrame,
    window: tuple[pd.Timestamp, pd.Timestamp],
    reference: tuple[pd.Timestamp, pd.Timestamp],
    thresholds: Thresholds,
    inspection_rate: float,
    contract,
    reconcile_weeks: int = 4,
) -> dict:
    """Everything monitoring measures for one window against the model's reference period.

    ``features``/``declarations`` are the lake tables (at least the reference and window
    periods); ``outcomes`` the inspection outcomes, of which only those known before the
    window's end count as matured. Returns a JSON-ready report with the decision.
    """
    from features.definitions import FEATURES_BY_NAME  # the catalogue, read when needed

    start, end = (pd.Timestamp(x) for x in window)
    ref_start, ref_end = (pd.Timestamp(x) for x in reference)
    ref_rows = monitoring_inputs(_between(features, "declared_at", ref_start, ref_end))
    win_rows = monitoring_inputs(_between(features, "declared_at", start, end))

    names = [n for n in model.spec.names if n in FEATURES_BY_NAME and n in win_rows.columns]
    trending = [n for n in names if is_trending(FEATURES_BY_NAME[n])]
    numeric = [n for n in names if n not in trending and FEATURES_BY_NAME[n].kind == "numeric"]
    categorical = [n for n in names if FEATURES_BY_NAME[n].kind == "categorical"]
    if SEGMENT in win_rows.columns:
        categorical.append(SEGMENT)
    assessed = input_drift(ref_rows, win_rows, numeric, categorical)
    reported = input_drift(ref_rows, win_rows, trending, [])
    key = key_inputs(model, thresholds.key_features)

    ref_scores = model.predict_proba(model.spec.encode(ref_rows)) if len(ref_rows) else {}
    win_scores = model.predict_proba(model.spec.encode(win_rows)) if len(win_rows) else {}
    scores = [
        score_drift(c, ref_scores[c], win_scores[c], inspection_rate)
        for c in model.categories
        if len(ref_rows) and len(win_rows)
    ]
    cutoffs = {s.category: s.cutoff for s in scores}

    quality = quality_drift(
        _between(declarations, "declared_at", ref_start, ref_end),
        _between(declarations, "declared_at", start, end),
        contract,
    )

    keys = ["declaration_id", "item_no"]
    labels = outcomes[[*keys, "outcome_known_at", *(f"finding_{c}" for c in model.categories)]]
    # The window's inspected items, with their positions in ``win_rows`` (already scored).
    inspected = win_rows[keys].assign(_row=np.arange(len(win_rows))).merge(labels, on=keys)
    outcome_rows = []
    if len(inspected) and cutoffs:
        rows = inspected["_row"].to_numpy()
        probability = {c: win_scores[c][rows] for c in model.categories}
        matured = (inspected["outcome_known_at"] < end).to_numpy()
        outcome_rows = [
            outcome_performance(
                c,
                probability[c],
                inspected[f"finding_{c}"].to_numpy(dtype=float),
                matured,
                cutoffs[c],
            )
            for c in model.categories
        ]

    reconciliations = []
    for k in range(1, reconcile_weeks + 1):
        lo, hi = start - pd.Timedelta(days=7 * k), start - pd.Timedelta(days=7 * (k - 1))
        earlier = _between(features, "declared_at", lo, hi).merge(labels, on=keys, how="inner")
        if earlier.empty or not cutoffs:
            continue
        probability = model.predict_proba(model.spec.encode(earlier))
        known_then = (earlier["outcome_known_at"] < hi).to_numpy()
        known_now = (earlier["outcome_known_at"] < end).to_numpy()
        for c in model.categories:
            reconciliations.append(
                reconcile(
                    c,
                    (str(lo), str(hi)),
                    probability[c],
                    earlier[f"finding_{c}"].to_numpy(dtype=float),
                    known_then,
                    known_now,
                    cutoffs[c],
                )
            )

    assessment = assess(assessed, scores, quality, outcome_rows, key, thresholds, len(win_rows))
    return {
        "window": {"start": str(start), "end": str(end), "rows": len(win_rows)},
        "reference": {"start": str(ref_start), "end": str(ref_end), "rows": len(ref_rows)},
        "inspection_rate": inspection_rate,
        "key_inputs": sorted({*key, SEGMENT}),
        **assessment.to_dict(),
        "thresholds": asdict(thresholds),
        "inputs": [f.to_dict() for f in assessed],
        "trending_inputs": [f.to_dict() for f in reported],
        "scores": [s.to_dict() for s in scores],
        "quality": [q.to_dict() for q in quality],
        "outcomes": [o.to_dict() for o in outcome_rows],
        "reconciliation": [r.to_dict() for r in reconciliations],
    }

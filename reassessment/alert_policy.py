"""When measurements become signals, and signals an alert (documented in
``docs/monitoring.md``): the thresholds, which inputs are assessed, and the decision."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

from config.settings import Settings
from features.entities import GOODS_ITEM
from reassessment.drift_measures import (
    FeatureDrift,
    OutcomePerformance,
    QualityDrift,
    ScoreDrift,
)

SEGMENT = "route"  # HS chapter × origin: derived for monitoring, always assessed as key


def is_trending(feature) -> bool:
    """Ages and all-history counts: they grow with the calendar, so they always drift.

    E.g. "days since the consignee's first declaration" moves by seven days every week
    for every established consignee; comparing it with last month's distribution would
    alert for ever. They are reported, not assessed.
    """
    return (
        feature.kind == "numeric"
        and feature.entity is not GOODS_ITEM
        and feature.window_days is None
        and (feature.unit == "days" or feature.name.endswith(("_total", "_known")))
    )


@dataclass(frozen=True)
class Thresholds:
    """When a difference becomes a signal, and which signals make an alert.

    Every value is a setting (``CUSTOMS_RISK_DRIFT_*``), whose default and reason are in
    ``docs/monitoring.md``: build it with :meth:`for_settings`. The field names are those
    of the window report's ``thresholds`` and of :data:`ALERT_RULE`.
    """

    psi_warn: float
    psi_alert: float
    score_psi_alert: float
    alpha: float  # family-wise, split across the tests of a kind (Bonferroni)
    key_features: int
    min_drifted_features: int
    null_rate_alert: float
    out_of_contract_alert: float
    calibration_z_alert: float
    calibration_ratio_alert: float
    min_window_rows: int
    min_shift_sd: float

    @classmethod
    def for_settings(cls, settings: Settings) -> Thresholds:
        """The drift thresholds in force (settings ``CUSTOMS_RISK_DRIFT_*``)."""
        return cls(
            psi_warn=settings.drift_psi_warn,
            psi_alert=settings.drift_psi_alert,
            score_psi_alert=settings.drift_score_psi_alert,
            alpha=settings.drift_alpha,
            key_features=settings.drift_key_inputs,
            min_drifted_features=settings.drift_min_drifted_inputs,
            null_rate_alert=settings.drift_null_rate_alert,
            out_of_contract_alert=settings.drift_out_of_contract_alert,
            calibration_z_alert=settings.drift_calibration_z_alert,
            calibration_ratio_alert=settings.drift_calibration_ratio_alert,
            min_window_rows=settings.drift_min_window_rows,
            min_shift_sd=settings.drift_min_shift_sd,
        )


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
    "observed / expected findings (O/E) beyond ×{calibration_ratio_alert}. Ages and "
    "all-history counts are "
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
    signals = [
        *input_signals(inputs, set(key) | {SEGMENT}, t),
        *score_signals(scores, t),
        *quality_signals(quality, t),
        *outcome_signals(outcomes, t),
    ]
    alert = any(s.level == "alert" for s in signals)
    status = "alert" if alert else ("warn" if signals else "ok")
    return Assessment(status, alert, signals, rule)


def _input_detail(f: FeatureDrift) -> str:
    detail = f"PSI {f.psi:.3f}, {f.test} p={f.p_value:.1e}"
    if f.shift_sd is not None:
        detail += f", moved {f.shift_sd:.3f} sd"
    if f.new_level_share > 0:
        detail += f", unseen levels {f.new_level_share:.1%} of rows"
    return detail


def is_drifted(f: FeatureDrift, t: Thresholds, alpha: float) -> bool:
    """Large (PSI), unlikely to be chance (p below the corrected ``alpha``) and material."""
    # Material: values moved in the feature's own units, or its missing share moved.
    material = (
        f.shift_sd is None
        or f.shift_sd >= t.min_shift_sd
        or abs(f.null_rate_window - f.null_rate_reference) >= t.null_rate_alert
    )
    return f.psi >= t.psi_alert and f.p_value < alpha and material


def input_signals(inputs: list[FeatureDrift], key: set[str], t: Thresholds) -> list[Signal]:
    """A drifted key input alerts, any other warns; so many drifted inputs alert together."""
    signals: list[Signal] = []
    input_alpha = t.alpha / max(len(inputs), 1)
    drifted = []
    for f in inputs:
        if f.psi != f.psi:
            continue
        detail = _input_detail(f)
        if is_drifted(f, t, input_alpha):
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
    return signals


def score_signals(scores: list[ScoreDrift], t: Thresholds) -> list[Signal]:
    """A category's score distribution drifted (alert), or half-way there (warn)."""
    signals = []
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
    return signals


def quality_signals(quality: list[QualityDrift], t: Thresholds) -> list[Signal]:
    """A column's null rate moved, or too many of its rows break the contract."""
    signals = []
    for q in quality:
        if abs(q.null_rate_change) >= t.null_rate_alert:
            detail = f"null rate {q.null_rate_reference:.1%} → {q.null_rate_window:.1%}"
            signals.append(Signal("quality", f"{q.column}.nulls", "alert", detail))
        if q.out_of_contract_window >= t.out_of_contract_alert:
            detail = f"{q.out_of_contract_window:.1%} of rows break the contract"
            signals.append(Signal("quality", f"{q.column}.contract", "alert", detail))
    return signals


def outcome_signals(outcomes: list[OutcomePerformance], t: Thresholds) -> list[Signal]:
    """Matured outcomes outside the calibration band: significant *and* large."""
    signals = []
    for o in outcomes:
        ratio = o.observed_to_expected
        outside = ratio == ratio and (
            ratio >= t.calibration_ratio_alert or ratio <= 1 / t.calibration_ratio_alert
        )
        if abs(o.calibration_z) >= t.calibration_z_alert and outside:
            detail = (
                f"O/E {ratio:.2f} (95 % {o.observed_to_expected_low:.2f}–"
                f"{o.observed_to_expected_high:.2f}): {o.positives} findings vs "
                f"{o.expected_positives:.1f} expected on {o.matured} matured labels "
                f"(z={o.calibration_z:+.1f}); {o.pending} pending"
            )
            signals.append(Signal("outcome", o.category, "alert", detail))
    return signals

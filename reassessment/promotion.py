"""Re-evaluation (Art. 18): a challenger trained on recent data, compared with the champion.

The evaluation window is the most recent period whose labels have matured and that
neither model trained on; when drift was detected it starts no earlier than the drifted
window, so the comparison is made on the changed situation. The challenger trains on
every labelled row declared before the evaluation window: older rows all go to its
training window, and the most recent ``holdout_days`` are split at random between
training, early stopping and calibration, so the newest pattern is learnt and calibrated
on without waiting for three consecutive time windows to fill (as the first training's
time-ordered split would).

:func:`decide` is the promotion gate, documented in ``docs/monitoring.md``: a challenger
is promoted only if it scores every category the champion scores, is better on the mean
AUC-PR of the categories with enough positives in the window, is not significantly worse
on any of them in ranking (AUC-PR) or calibration relative to the base rate (ECE / base
rate) — paired bootstrap —, and keeps observed / expected findings inside the band wherever
the champion does. The first training's champion gate (:func:`promote_if_better`) applies
it too, on the new version's test window.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score

from config.settings import Settings
from features.definitions import GOODS_LINE_COLUMNS
from models import registry, tracking
from models.bundle import RiskModel
from models.metrics import classification_report, paired_bootstrap_worse
from models.registry import CHALLENGER, CHAMPION
from models.training import (
    FITTED_WINDOWS,
    MIN_EVAL_POSITIVES,
    TrainingConfig,
    TrainingResult,
    fit_windows,
    labelled_rows,
)
from sources.contracts import RISK_CATEGORIES

GATE_METRIC = "auc_pr"
PROMOTED_CHALLENGER = "promoted challenger"  # the outcome of a re-evaluation that promoted


@dataclass(frozen=True)
class EvaluationWindow:
    """Declarations in ``[start, end)`` with outcomes known by ``end``."""

    start: pd.Timestamp
    end: pd.Timestamp

    def to_dict(self) -> dict:
        return {"start": str(self.start), "end": str(self.end)}


def evaluation_window(
    as_of: pd.Timestamp, days: int, since: pd.Timestamp | None = None
) -> EvaluationWindow:
    """The last ``days`` before ``as_of``, starting no earlier than ``since`` (drift start)."""
    start = as_of - pd.Timedelta(days=days)
    if since is not None and pd.Timestamp(since) > start:
        start = pd.Timestamp(since)
    return EvaluationWindow(start, as_of)


def reason_to_wait(
    as_of: pd.Timestamp,
    last_kept: pd.Timestamp | None,
    cooldown: pd.Timedelta,
    window_positives: dict[str, int],
    min_positives: int,
) -> tuple[str, list[str]] | None:
    """Why a re-evaluation should not train a challenger now (outcome, reasons), or None.

    A champion kept less than ``cooldown`` ago is not challenged again: the same drift
    would re-train on nearly the same data. A window in which no category has
    ``min_positives`` matured findings cannot tell the two models apart yet.
    """
    if last_kept is not None and as_of - last_kept < cooldown:
        return "skipped: cool-down", [
            f"a re-evaluation on {last_kept} kept the champion; next after {cooldown}"
        ]
    if max(window_positives.values(), default=0) < min_positives:
        return "skipped: labels still maturing", [
            f"positives in the window {window_positives}: none reaches {min_positives}"
        ]
    return None


def challenger_windows(
    before: pd.DataFrame, window_start: pd.Timestamp, holdout_days: int, seed: int
) -> dict[str, pd.DataFrame]:
    """Training, early-stopping and calibration rows from labelled rows before the window.

    Rows older than ``holdout_days`` before the evaluation window all train; the recent
    ones are split at random, half to training and a quarter each to early stopping and
    calibration — by goods line, not by row: repeat consignments of one line go to one
    part, since trees that memorise a line seen in training would make early stopping and
    calibration on its repeats optimistic.
    """
    recent = (before["declared_at"] >= window_start - pd.Timedelta(days=holdout_days)).to_numpy()
    line = before.groupby(list(GOODS_LINE_COLUMNS), sort=False, dropna=False).ngroup()
    line = line.to_numpy()
    u = np.random.default_rng(seed).random(int(line.max()) + 1 if len(line) else 0)[line]
    part = np.where(
        ~recent | (u < 0.5), "train", np.where(u < 0.75, "early_stopping", "calibration")
    )
    return {name: before[part == name] for name in FITTED_WINDOWS}


def train_challenger(
    features: pd.DataFrame,
    outcomes: pd.DataFrame,
    window: EvaluationWindow,
    config: TrainingConfig,
    holdout_days: int,
) -> TrainingResult:
    """Train and calibrate a challenger on labels known by ``window.end``, declared before
    ``window.start``; its test metrics are those of the evaluation window."""
    as_of = window.end
    known = features[features["declared_at"] < as_of]
    labelled = labelled_rows(known, outcomes, as_of)
    labelled = labelled[labelled["declared_at"] < as_of]
    evaluation = labelled[labelled["declared_at"] >= window.start]
    before = labelled[labelled["declared_at"] < window.start]
    if before.empty:
        raise ValueError(f"no labelled rows before {window.start}: nothing to train on")
    windows = challenger_windows(before, window.start, holdout_days, config.seed)
    recent = known[known["declared_at"] >= window.start]
    if recent.empty:
        recent = windows["calibration"]
    result = fit_windows(windows, recent, as_of, config)
    # The evaluation window is reported as the test window (the registry and the model card
    # read it there); it was not used for fitting, stopping or calibrating.
    report = dict(result.report)
    matrix = result.model.spec.encode(evaluation)
    for category, model in result.model.categories.items():
        y = evaluation[f"finding_{category}"].to_numpy(dtype=int)
        metrics = classification_report(y, model.probability(matrix))
        model.metrics.update(metrics)
        report[category] = {**report[category], **metrics}
    windows_bounds = dict(result.windows)
    windows_bounds["test"] = (str(window.start), str(window.end))
    result.model.metadata["windows"] = windows_bounds
    result.model.metadata["rows"] = {**result.model.metadata["rows"], "test": len(evaluation)}
    result.model.metadata["training_scheme"] = (
        f"re-evaluation: evaluation window {window.start} → {window.end}; rows of the "
        f"{holdout_days} days before it split at random by goods line train 1/2, early "
        "stopping 1/4, calibration 1/4; older rows train"
    )
    return TrainingResult(
        result.model, report, windows_bounds, evaluation, result.calibration_choice
    )


@dataclass(frozen=True)
class GateConfig:
    """The promotion gate's parameters: settings ``CUSTOMS_RISK_GATE_*`` and the seed,
    through :meth:`for_settings`; only the bootstrap size is not a setting."""

    min_gain: float  # the challenger's mean AUC-PR must exceed the champion's by more
    min_positives: int  # positives a category needs in the window to be compared
    worse_confidence: float  # a category is "significantly worse" at this confidence
    relative_ece_tolerance: float  # rise of ECE / base rate that matters
    observed_expected_band: tuple[float, float]  # O/E a well-calibrated model stays within
    seed: int
    bootstrap: int = 200  # paired resamples for the per-category guardrail

    @classmethod
    def for_settings(cls, settings: Settings) -> GateConfig:
        """The gate in force (settings ``CUSTOMS_RISK_GATE_*`` and the seed)."""
        return cls(
            min_gain=settings.gate_min_gain,
            min_positives=settings.gate_min_positives,
            worse_confidence=settings.gate_worse_confidence,
            relative_ece_tolerance=settings.gate_relative_ece_tolerance,
            observed_expected_band=(
                settings.gate_observed_expected_min,
                settings.gate_observed_expected_max,
            ),
            seed=settings.seed,
        )


@dataclass
class GateDecision:
    """The gate's verdict, its scores and every check with its reason."""

    promote: bool
    metric: str
    champion_score: float
    challenger_score: float
    categories: list[str]
    checks: list[dict] = field(default_factory=list)
    per_category: dict[str, dict] = field(default_factory=dict)

    @property
    def reasons(self) -> list[str]:
        return [f"{'pass' if c['passed'] else 'FAIL'}: {c['reason']}" for c in self.checks]

    def to_dict(self) -> dict:
        return {**asdict(self), "reasons": self.reasons}


def decide(
    champion: RiskModel, challenger: RiskModel, rows: pd.DataFrame, gate: GateConfig
) -> GateDecision:
    """Compare both models side by side on ``rows`` (labelled) and apply the gate."""
    champion_p = champion.predict_proba(champion.spec.encode(rows))
    challenger_p = challenger.predict_proba(challenger.spec.encode(rows))
    per_category = side_by_side(rows, champion_p, challenger_p, gate)
    gated = [c for c, entry in per_category.items() if entry["gated"]]
    checks = [coverage_check(champion, challenger)]
    if not gated:
        checks.append(
            {
                "check": "evidence",
                "passed": False,
                "reason": f"no category has {gate.min_positives} positives in the window "
                "(labels still maturing): nothing to compare",
            }
        )
        return GateDecision(
            False, GATE_METRIC, float("nan"), float("nan"), [], checks, per_category
        )

    def mean(name: str) -> float:
        return float(np.mean([per_category[c][name][GATE_METRIC] for c in gated]))

    champion_score, challenger_score = mean("champion"), mean("challenger")
    better = challenger_score > champion_score + gate.min_gain
    checks.append(
        {
            "check": "better",
            "passed": better,
            "reason": f"mean {GATE_METRIC} over {', '.join(gated)}: challenger "
            f"{challenger_score:.4f} vs champion {champion_score:.4f} (needs > champion + "
            f"{gate.min_gain})",
        }
    )
    checks += no_category_worse_checks(per_category, gated, gate)
    checks.append(observed_expected_check(per_category, gated, gate))
    promote = all(c["passed"] for c in checks)
    return GateDecision(
        promote, GATE_METRIC, champion_score, challenger_score, gated, checks, per_category
    )


def side_by_side(
    rows: pd.DataFrame,
    champion_p: dict[str, np.ndarray],
    challenger_p: dict[str, np.ndarray],
    gate: GateConfig,
) -> dict[str, dict]:
    """Per category either model scores: both models' metrics on the same rows, whether it
    is gated (both score it, enough positives) and, if so, the paired bootstrap."""
    per_category = {}
    for category in RISK_CATEGORIES:
        if category not in champion_p and category not in challenger_p:
            continue
        y = rows[f"finding_{category}"].to_numpy(dtype=int)
        entry = {"positives": int(y.sum()), "rows": len(y)}
        for name, probabilities in (("champion", champion_p), ("challenger", challenger_p)):
            if category in probabilities:
                report = classification_report(y, probabilities[category])
                entry[name] = {
                    k: report[k]
                    for k in (
                        "auc_pr",
                        "auc_roc",
                        "ece",
                        "ece_relative",
                        "observed_to_expected",
                        "brier",
                    )
                }
                entry[name]["precision_at_5"] = report["precision_at"]["5"]
        entry["random_picks"] = on_random_picks(rows, y, category, champion_p, challenger_p)
        both = category in champion_p and category in challenger_p
        enough = gate.min_positives <= y.sum() < len(y)
        entry["gated"] = both and enough
        if entry["gated"]:
            entry["p_challenger_worse"] = paired_bootstrap_worse(
                y,
                champion_p[category],
                challenger_p[category],
                gate.bootstrap,
                gate.seed,
                gate.relative_ece_tolerance,
            )
        per_category[category] = entry
    return per_category


def on_random_picks(
    rows: pd.DataFrame,
    y: np.ndarray,
    category: str,
    champion_p: dict[str, np.ndarray],
    challenger_p: dict[str, np.ndarray],
) -> dict:
    """Both models' AUC-PR on the window's random picks alone, each weighted by the inverse
    of its selection probability: the one comparison that no policy's targeting biases,
    since a random pick stands for every goods item like it (Art. 7). NaN without both
    classes among the picks."""
    reason = rows["selection_reason"] if "selection_reason" in rows else pd.Series("", rows.index)
    random = (reason == "random").to_numpy()
    if "selection_probability" in rows:
        probability = rows["selection_probability"].to_numpy(dtype=float)
        random = random & (probability > 0)
    else:
        probability = np.ones(len(rows))
    entry: dict = {"rows": int(random.sum()), "positives": int(y[random].sum())}
    both_classes = 0 < entry["positives"] < entry["rows"]
    for name, probabilities in (("champion", champion_p), ("challenger", challenger_p)):
        if category in probabilities:
            entry[name] = (
                float(
                    average_precision_score(
                        y[random],
                        probabilities[category][random],
                        sample_weight=1.0 / probability[random],
                    )
                )
                if both_classes
                else float("nan")
            )
    return entry


def coverage_check(champion: RiskModel, challenger: RiskModel) -> dict:
    """The challenger scores every category the champion scores."""
    dropped = sorted(set(champion.categories) - set(challenger.categories))
    return {
        "check": "coverage",
        "passed": not dropped,
        "reason": "the challenger scores every category the champion scores"
        if not dropped
        else f"the challenger does not score {', '.join(dropped)}",
    }


def no_category_worse_checks(
    per_category: dict[str, dict], gated: list[str], gate: GateConfig
) -> list[dict]:
    """No gated category significantly worse in ranking (AUC-PR) or in calibration relative
    to the base rate (ECE / base rate, beyond the tolerance)."""
    confidence = gate.worse_confidence
    checks = []
    for metric, words in (
        ("auc_pr", "ranking (AUC-PR)"),
        ("ece_relative", f"calibration (ECE / base rate + {gate.relative_ece_tolerance})"),
    ):
        worse = [c for c in gated if per_category[c]["p_challenger_worse"][metric] >= confidence]
        checks.append(
            {
                "check": f"no category worse: {metric}",
                "passed": not worse,
                "reason": f"no category's {words} significantly worse (paired bootstrap, "
                f"{confidence:.0%})"
                if not worse
                else f"{words} significantly worse on {', '.join(worse)}",
            }
        )
    return checks


def observed_expected_check(
    per_category: dict[str, dict], gated: list[str], gate: GateConfig
) -> dict:
    """No gated category whose observed / expected findings leave the band under the
    challenger while they are inside it under the champion. Both models meet the same
    findings, so the ratios differ only by what each model expected."""
    low, high = gate.observed_expected_band

    def inside(ratio: float) -> bool:
        return low <= ratio <= high

    left = [
        c
        for c in gated
        if inside(per_category[c]["champion"]["observed_to_expected"])
        and not inside(per_category[c]["challenger"]["observed_to_expected"])
    ]
    detail = ", ".join(
        f"{c} {per_category[c]['challenger']['observed_to_expected']:.2f} (champion "
        f"{per_category[c]['champion']['observed_to_expected']:.2f})"
        for c in left
    )
    return {
        "check": "observed / expected",
        "passed": not left,
        "reason": f"no category's observed / expected findings leave {low}–{high} where the "
        "champion's are inside"
        if not left
        else f"observed / expected outside {low}–{high} where the champion's are inside: " + detail,
    }


@dataclass(frozen=True)
class RegisteredModel:
    """A registered version and the champion decision taken on it."""

    run_id: str
    version: str
    promoted: bool
    decision: dict


def register(
    result: TrainingResult,
    settings: Settings,
    validation: dict | None = None,
    lineage: dict | None = None,
    training_features: pd.DataFrame | None = None,
    gate: bool = True,
) -> RegisteredModel:
    """Log and register a trained model, then apply the champion gate on its test window.

    ``gate=False`` registers the version as ``challenger`` only: the caller decides
    (re-evaluation applies the same gate, :func:`decide`, on its own window).
    """
    registered = tracking.log_and_register(result, settings, validation, lineage, training_features)
    version = registered.version
    if gate:
        decision = promote_if_better(settings, version, result.model, result.test_features)
    else:
        registry.set_alias(settings, CHALLENGER, version)
        decision = {
            "candidate_version": version,
            "promoted": False,
            "outcome": "registered as challenger (decided by re-evaluation)",
            "champion_version_after": registry.resolve_alias(settings, CHAMPION),
        }
    tracking.record_decision(settings, registered.run_id, decision)
    return RegisteredModel(registered.run_id, version, decision["promoted"], decision)


def promote_if_better(
    settings: Settings, version: str, candidate: RiskModel, test_features: pd.DataFrame
) -> dict:
    """Move ``champion`` to ``version`` if it passes the promotion gate on its test window.

    The first version becomes champion. Otherwise the gate of re-evaluation decides
    (:func:`decide`, settings ``CUSTOMS_RISK_GATE_*`` but the evidence bar):
    the candidate must score every category the champion scores, beat it on mean AUC-PR
    over the categories both score, and be significantly worse on none. A refused
    candidate gets ``challenger``; a promotion moves the aliases as
    :func:`models.registry.promote` does.
    """
    current = registry.resolve_alias(settings, CHAMPION)
    decision = {
        "candidate_version": version,
        "champion_version_before": current,
        "evaluated_on": candidate.metadata["windows"]["test"],
    }
    if current is None:
        registry.set_alias(settings, CHAMPION, version)
        return {
            **decision,
            "candidate_score": None,
            "champion_score": None,
            "promoted": True,
            "outcome": "first version: champion",
            "champion_version_after": version,
        }
    champion = registry.load_version(settings, current)
    # Every category the candidate scores has MIN_EVAL_POSITIVES positives in its test window
    # (training's bar for an honest evaluation); GATE_MIN_POSITIVES is re-evaluation's bar
    # for a window whose labels may still be maturing.
    config = replace(GateConfig.for_settings(settings), min_positives=MIN_EVAL_POSITIVES)
    gate = decide(champion, candidate, test_features, config)
    if gate.promote:
        registry.promote(settings, version)
    else:
        registry.set_alias(settings, CHALLENGER, version)
    failed = [c["reason"] for c in gate.checks if not c["passed"]]
    return {
        **decision,
        "metric": f"mean {gate.metric} over {', '.join(gate.categories) or 'no category'}",
        "candidate_score": gate.challenger_score,
        "champion_score": gate.champion_score,
        "promoted": gate.promote,
        "outcome": "promoted" if gate.promote else f"kept champion ({'; '.join(failed)})",
        "reasons": gate.reasons,
        "per_category": gate.per_category,
        "champion_version_after": version if gate.promote else current,
    }

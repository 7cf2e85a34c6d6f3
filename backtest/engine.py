"""The weekly loop: each policy scores, disposes, inspects and learns on the same world.

A warm-up period gives every policy the same champion, trained on the legacy labels (the
generator's own inspections) known by its end (``default_weighted`` its importance-weighted
twin). Then, week by week and per policy: the
week's items are scored with the policy's current model by ``models.scoring.Scorer`` (the
API's scoring core), the policy picks within the week's capacity, the truth reveals the
outcome of the picked items only (finding = what that inspection finds, known after the
item's label delay), and every ``retrain_every`` weeks the policy's model is re-evaluated
as the re-evaluation flow does it: a challenger trained by ``models.training`` on the
policy's own labels, promoted through the gate (``reassessment.promotion.decide``). The
truth is read only here, to reveal picked outcomes, and in ``backtest.metrics`` to score
the weeks.

Simplification, stated: the features' history of past findings (the entity state) holds
the legacy outcomes known at the warm-up's end for every policy; a policy's own findings
reach its model through its labels, not through those history features.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from backtest.metrics import json_safe, period_figures
from backtest.policies import DEFAULT_POLICY, POLICIES, POLICY_NAMES, WEIGHTED, Picks, Week
from config.settings import Settings
from disposal.decisions import DisposalRules
from features.compute import build_entity_state, feature_frame
from features.state import EntityState
from models.bundle import RiskModel
from models.scoring import Scorer
from models.training import TrainingConfig, fit_windows, labelled_rows
from reassessment.promotion import GateConfig, challenger_windows, decide, evaluation_window
from sources.contracts import RISK_CATEGORIES
from sources.generator import GeneratedData, GeneratorConfig

KEYS = ["declaration_id", "item_no"]
WEEK = pd.Timedelta(days=7)
LEGACY_INSPECTION_RATE = GeneratorConfig.__dataclass_fields__["inspection_rate"].default


@dataclass(frozen=True)
class BacktestConfig:
    """The run: weeks simulated (the data's last ones), capacity as a share of each week's
    goods items (the legacy world's inspection rate unless given), the random share of
    ``top_score_random``, weeks between retrainings (0: the warm-up champion throughout),
    the policies compared and the seed of their random draws."""

    weeks: int = 26
    capacity: float = LEGACY_INSPECTION_RATE
    random_share: float = 0.1
    retrain_every: int = 4
    # Recent weeks whose labels are split for early stopping and calibration: longer than
    # the re-evaluation's 8, since the backtest's small worlds need the findings.
    holdout_weeks: int = 12
    # Largest importance weight of a random pick in ``default_weighted``'s training: 1 / π
    # reaches 100 for a 1 % share, and a handful of rows would then outweigh the rest.
    weight_cap: int = 10
    # Retrained models pass the re-evaluation's promotion gate on the policy's own recent
    # labels before they replace the policy's model (False: they always replace it).
    gate: bool = True
    policies: tuple[str, ...] = POLICY_NAMES
    seed: int = 0

    def __post_init__(self) -> None:
        if self.weeks < 1:
            raise ValueError("weeks must be at least 1")
        if not 0 < self.capacity < 1:
            raise ValueError("capacity must be a share between 0 and 1")
        unknown = sorted(set(self.policies) - set(POLICIES))
        if unknown:
            raise ValueError(f"unknown policies {unknown}; known: {sorted(POLICIES)}")


def fast_training(settings: Settings) -> TrainingConfig:
    """The platform's training with fewer, larger boosting steps and fewer resamples: the
    loop trains each policy's model every few weeks, and 26 weeks × 5 policies must run in
    minutes on two cores. One feature view: the comparison of views is skipped."""
    base = TrainingConfig.for_settings(settings)
    params = {**base.lgbm_params, "n_estimators": 300, "learning_rate": 0.1}
    return dataclasses.replace(
        base,
        lgbm_params=params,
        early_stopping_rounds=20,
        feature_views=base.feature_views[:1],
        interval_resamples=20,
        reference_rows=5_000,
    )


@dataclass
class World:
    """The generated sources, cut into a warm-up and the simulated weeks. ``truth`` is the
    generator's; ``legacy`` the legacy outcomes known at the warm-up's end."""

    declarations: pd.DataFrame
    truth: pd.DataFrame
    legacy: pd.DataFrame
    state: EntityState
    features: pd.DataFrame
    warmup_end: pd.Timestamp
    weeks: int

    @classmethod
    def of(cls, data: GeneratedData, weeks: int, warmup_end: pd.Timestamp | None = None) -> World:
        """The data's last ``weeks`` weeks simulated, or those from ``warmup_end``."""
        if data.truth.empty:
            raise ValueError("the backtest needs the generator's truth")
        declarations = data.declarations
        if warmup_end is None:
            last_day = declarations["declared_at"].max().normalize() + pd.Timedelta(days=1)
            warmup_end = last_day - weeks * WEEK
        if warmup_end <= declarations["declared_at"].min() + 8 * WEEK:
            raise ValueError(f"{weeks} weeks leave less than 8 weeks of warm-up")
        outcomes = data.inspection_outcomes
        legacy = outcomes[outcomes["outcome_known_at"] <= warmup_end].reset_index(drop=True)
        state = build_entity_state(declarations, data.credit_history, data.monitoring, legacy)
        features = feature_frame(declarations, state)
        return cls(declarations, data.truth, legacy, state, features, warmup_end, weeks)

    def week(self, k: int) -> tuple[pd.Timestamp, pd.Timestamp]:
        start = self.warmup_end + k * WEEK
        return start, start + WEEK

    def items_of_week(self, k: int) -> pd.DataFrame:
        start, end = self.week(k)
        at = self.declarations["declared_at"]
        return self.declarations[(at >= start) & (at < end)].reset_index(drop=True)


@dataclass
class PolicyRun:
    """One policy's state through the loop: its model, its labels, its judged weeks."""

    name: str
    model: RiskModel
    version: str
    outcomes: pd.DataFrame
    weekly: list[dict] = field(default_factory=list)
    judged: list[pd.DataFrame] = field(default_factory=list)
    retrained: list[dict] = field(default_factory=list)


def importance_weighted(outcomes: pd.DataFrame, cap: int) -> pd.DataFrame:
    """Outcomes with each random pick repeated round(1 / π) times (at most ``cap``): the
    equivalent, for training and calibration, of weighting it by its inverse probability
    of selection, so that the goods nobody targets count as often as they are declared.
    Repeats share their goods line, so they stay in one training window together."""
    probability = outcomes["selection_probability"].to_numpy(dtype=float)
    random = (outcomes["selection_reason"] == "random").to_numpy() & (probability > 0)
    repeats = np.ones(len(outcomes), dtype=int)
    repeats[random] = np.clip(np.round(1.0 / probability[random]), 1, cap).astype(int)
    return outcomes.loc[outcomes.index.repeat(repeats)].reset_index(drop=True)


def train(
    world: World,
    outcomes: pd.DataFrame,
    as_of: pd.Timestamp,
    settings: Settings,
    config: BacktestConfig,
    weighted: bool = False,
    declared_before: pd.Timestamp | None = None,
):
    """A model trained on ``outcomes`` known by ``as_of`` (of items declared before
    ``declared_before``, if given) as the re-evaluation flow trains a challenger
    (``reassessment.promotion.challenger_windows``: the last ``config.holdout_weeks``'
    labelled rows split at random by goods line into training, early stopping and
    calibration, older ones all train): every label is used to fit, none is spent on a
    test window. Level cut-offs and the reference scores come from the last four weeks'
    declarations, the ones most like those it will score. ``weighted``: random picks
    weighted by their inverse probability (:func:`importance_weighted`)."""
    if weighted:
        outcomes = importance_weighted(outcomes, config.weight_cap)
    training = fast_training(settings)
    known = world.features[world.features["declared_at"] < as_of]
    labelled = labelled_rows(known, outcomes, as_of)
    if declared_before is not None:
        labelled = labelled[labelled["declared_at"] < declared_before]
    if labelled.empty:
        raise ValueError(f"no inspection outcomes known by {as_of}: nothing to train on")
    windows = challenger_windows(labelled, as_of, 7 * config.holdout_weeks, training.seed)
    recent = known[known["declared_at"] >= as_of - 4 * WEEK]
    model = fit_windows(windows, recent, as_of, training, history=known).model
    if not model.categories:
        raise ValueError(f"no category had enough findings by {as_of}: {model.not_scored}")
    return model


def revealed(week_items: pd.DataFrame, truth: pd.DataFrame, picks: Picks) -> pd.DataFrame:
    """Inspection outcomes of the picked items, as the outcomes source holds them: what an
    inspection finds (the truth's detectable violations), known after the item's delay."""
    picked = np.flatnonzero(picks.inspected)
    rows = week_items.iloc[picked][[*KEYS, "declared_at"]].reset_index(drop=True)
    rows = rows.merge(truth.drop(columns="declared_at"), on=KEYS, how="left", validate="1:1")
    return pd.DataFrame(
        {
            "declaration_id": rows["declaration_id"],
            "item_no": rows["item_no"],
            "selection_reason": picks.reason[picked],
            # The day it was declared: the delay to a known outcome counts from then.
            "inspected_at": rows["declared_at"],
            "outcome_known_at": rows["declared_at"] + pd.to_timedelta(rows["outcome_delay_s"], "s"),
            **{f"finding_{c}": rows[f"detectable_{c}"].to_numpy() for c in RISK_CATEGORIES},
            "duty_recovered_cny": rows["duty_at_stake_cny"],
            "selection_probability": picks.probability[picked],
        }
    )


@dataclass
class Scored:
    """One model's scores and disposal rules for the current week, shared by the policies
    whose model it is (before their first retraining, all of them)."""

    scores: pd.DataFrame
    rules: DisposalRules


def _score_week(runs, week_items: pd.DataFrame, world: World, settings: Settings) -> dict:
    scored: dict[str, Scored] = {}
    for run in runs:
        if run.version not in scored:
            scorer = Scorer(run.model, world.state, run.version, settings.top_reasons)
            rules = DisposalRules.for_model(settings, run.model, run.version)
            scored[run.version] = Scored(scorer.score_frame(week_items), rules)
    return scored


def _judged(week_items: pd.DataFrame, world: World, scores: pd.DataFrame, picks: Picks):
    """The week's items with their truth, the policy's picks and the model's score."""
    judged = week_items[KEYS].merge(world.truth, on=KEYS, how="left", validate="1:1")
    return judged.assign(
        inspected=picks.inspected,
        random=picks.random,
        random_probability=picks.probability,
        overall_probability=scores["overall_probability"].to_numpy(dtype=float),
    )


def _simulate_week(k: int, runs, world: World, config: BacktestConfig, settings: Settings):
    week_items = world.items_of_week(k)
    capacity = round(config.capacity * len(week_items))
    scored = _score_week(runs, week_items, world, settings)
    for run in runs:
        own = scored[run.version]
        # One stream per policy and week: a policy's draws do not depend on the others'.
        rng = np.random.default_rng([config.seed, k, POLICY_NAMES.index(run.name)])
        week = Week(own.scores, capacity, rng, own.rules, config.random_share)
        picks = POLICIES[run.name](week)
        judged = _judged(week_items, world, own.scores, picks)
        figures = period_figures(judged, capacity)
        start, _ = world.week(k)
        run.weekly.append({"week": k + 1, "start": str(start.date()), **figures})
        run.judged.append(judged)
        run.outcomes = pd.concat(
            [run.outcomes, revealed(week_items, world.truth, picks)], ignore_index=True
        )


def _retrain(k: int, runs, world: World, config: BacktestConfig, settings: Settings) -> None:
    """Each policy's re-evaluation at the week's end, as ``customs-risk reevaluate`` runs it:
    a challenger trained on the policy's labels of items declared before the evaluation
    window (the last ``reevaluation_window_days``), compared with the policy's model on the
    window's matured labels by the promotion gate (``reassessment.promotion.decide``), and
    promoted only if the gate says so (``config.gate``; without it, always). A training
    that fails (too few findings) keeps the model in force."""
    _, as_of = world.week(k)
    window = evaluation_window(as_of, settings.reevaluation_window_days)
    gate = GateConfig.for_settings(settings)
    for run in runs:
        weighted = run.name == WEIGHTED
        start = window.start if config.gate else None
        try:
            challenger = train(world, run.outcomes, as_of, settings, config, weighted, start)
        except ValueError as error:
            run.retrained.append({"week": k + 1, "promoted": False, "error": str(error)})
            continue
        entry = {"week": k + 1, "promoted": True}
        if config.gate:
            known = world.features[world.features["declared_at"] < as_of]
            rows = labelled_rows(known, run.outcomes, as_of)
            rows = rows[rows["declared_at"] >= window.start]
            decision = decide(run.model, challenger, rows, gate)
            entry = {**entry, "promoted": decision.promote, "gate": decision.reasons}
        if entry["promoted"]:
            run.model, run.version = challenger, f"{run.name}-w{k + 1}"
        run.retrained.append({**entry, "version": run.version})


def _total(run: PolicyRun) -> dict:
    """Figures over all weeks: revenue normalised by the sum of the weekly oracles (the
    capacity is a week's), AUC-PR the mean of the weeks'."""
    everything = pd.concat(run.judged, ignore_index=True)
    total = period_figures(everything, sum(w["capacity"] for w in run.weekly))
    recovered = sum(w["revenue_recovered"] for w in run.weekly)
    oracle = sum(w["oracle_revenue"] for w in run.weekly)
    aucs = [w["auc_pr"] for w in run.weekly if not math.isnan(w["auc_pr"])]
    return {
        **total,
        "revenue_recovered": round(recovered, 2),
        "oracle_revenue": round(oracle, 2),
        "normalised_revenue": recovered / oracle if oracle > 0 else math.nan,
        "auc_pr": float(np.mean(aucs)) if aucs else math.nan,
    }


def run_backtest(
    data: GeneratedData,
    config: BacktestConfig,
    settings: Settings,
    progress: Callable[[str], None] = lambda message: None,
    warmup_end: pd.Timestamp | None = None,
) -> dict:
    """Simulate ``config.weeks`` weeks of every policy on ``data``'s world; the report
    (JSON-safe): per policy ``total`` and ``weekly`` figures, and ``default_policy``.
    ``progress`` hears of each step (a flow's logger)."""
    world = World.of(data, config.weeks, warmup_end)
    progress(f"world: {len(world.features):,} goods items, warm-up until {world.warmup_end}")
    champions = {
        weighted: train(world, world.legacy, world.warmup_end, settings, config, weighted)
        for weighted in sorted({name == WEIGHTED for name in config.policies})
    }
    progress(f"warm-up champion trained on {len(world.legacy):,} legacy outcomes")
    runs = [
        PolicyRun(
            name,
            champions[name == WEIGHTED],
            "warm-up-weighted" if name == WEIGHTED else "warm-up",
            world.legacy,
        )
        for name in config.policies
    ]
    for k in range(config.weeks):
        _simulate_week(k, runs, world, config, settings)
        progress(f"week {k + 1}/{config.weeks} simulated")
        last = k == config.weeks - 1
        if config.retrain_every and (k + 1) % config.retrain_every == 0 and not last:
            _retrain(k, runs, world, config, settings)
    report = {
        "weeks": config.weeks,
        "warmup_end": str(world.warmup_end),
        "capacity": config.capacity,
        "config": dataclasses.asdict(config),
        "default_policy": DEFAULT_POLICY,
        "legacy_labels": len(world.legacy),
        "policies": {
            run.name: {"total": _total(run), "weekly": run.weekly, "retrained": run.retrained}
            for run in runs
        },
    }
    return json_safe(report)

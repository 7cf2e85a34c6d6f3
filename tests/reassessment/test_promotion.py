"""The promotion gate never promotes a worse model; aliases promote and roll back."""

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from mlflow.exceptions import MlflowException
from mlflow.tracking import MlflowClient

from config.settings import Settings
from models import registry
from models.training import FITTED_WINDOWS, TrainingConfig, labelled_rows
from reassessment import promotion


class FixedModel:
    """A model whose calibrated probabilities are given, row by row (a test double of
    ``RiskModel``'s scoring interface, not of any library)."""

    def __init__(self, probabilities: dict[str, np.ndarray]):
        self.categories = dict.fromkeys(probabilities)
        self.spec = SimpleNamespace(encode=lambda rows: rows.index.to_numpy())
        self._probabilities = probabilities

    def predict_proba(self, index: np.ndarray) -> dict[str, np.ndarray]:
        return {c: p[index] for c, p in self._probabilities.items()}


def _world(seed: int, n: int = 2000):
    """Rows with known risk: ``p`` is each row's true, calibrated probability."""
    rng = np.random.default_rng(seed)
    p = {c: 1 / (1 + np.exp(-rng.normal(-2.5, 1.2, n))) for c in ("revenue", "ipr")}
    y = {c: (rng.random(n) < v).astype(int) for c, v in p.items()}
    return pd.DataFrame({f"finding_{c}": v for c, v in y.items()}), p, rng


def _weaker(p: np.ndarray, rng, noise: float = 2.0) -> np.ndarray:
    """A calibrated but weaker model: the mean true risk within deciles of a noisy view."""
    view = np.log(p / (1 - p)) + rng.normal(0, noise, len(p))
    bins = np.searchsorted(np.quantile(view, np.linspace(0, 1, 11)[1:-1]), view)
    means = pd.Series(p).groupby(bins).transform("mean").to_numpy()
    return means


def _constant(p: np.ndarray) -> np.ndarray:
    return np.full(len(p), p.mean())


SETTINGS_GATE = promotion.GateConfig.for_settings(Settings())
GATE = replace(SETTINGS_GATE, bootstrap=100)


def test_a_better_challenger_is_promoted():
    rows, p, rng = _world(0)
    champion = FixedModel({c: _weaker(v, rng) for c, v in p.items()})
    challenger = FixedModel(p)
    decision = promotion.decide(champion, challenger, rows, GATE)
    assert decision.promote, decision.reasons
    assert decision.challenger_score > decision.champion_score
    assert sorted(decision.categories) == ["ipr", "revenue"]
    assert all(r.startswith("pass") for r in decision.reasons)


def test_an_equal_or_worse_challenger_is_never_promoted():
    rows, p, rng = _world(1)
    champion = FixedModel(p)
    same = promotion.decide(champion, champion, rows, GATE)
    assert not same.promote  # equal is not better
    assert same.challenger_score == pytest.approx(same.champion_score)
    worse = FixedModel({c: _weaker(v, rng) for c, v in p.items()})
    decision = promotion.decide(champion, worse, rows, GATE)
    assert not decision.promote
    assert decision.challenger_score < decision.champion_score
    assert any(r.startswith("FAIL") and "auc_pr" in r for r in decision.reasons)


def test_better_on_average_but_significantly_worse_on_a_category_is_refused():
    rows, p, rng = _world(2)
    champion = FixedModel({"revenue": _constant(p["revenue"]), "ipr": p["ipr"]})
    challenger = FixedModel({"revenue": p["revenue"], "ipr": _weaker(p["ipr"], rng, 3.0)})
    decision = promotion.decide(champion, challenger, rows, GATE)
    assert decision.challenger_score > decision.champion_score
    assert not decision.promote
    assert any("significantly worse on ipr" in r for r in decision.reasons)


def test_better_ranking_with_worse_calibration_is_refused():
    rows, p, rng = _world(3)
    champion = FixedModel({c: _weaker(v, rng) for c, v in p.items()})
    overconfident = FixedModel({c: np.minimum(v * 3, 1.0) for c, v in p.items()})
    decision = promotion.decide(champion, overconfident, rows, GATE)
    assert decision.challenger_score > decision.champion_score
    assert not decision.promote
    assert any(
        "calibration (ECE / base rate + 0.5) significantly worse on revenue, ipr" in r
        for r in decision.reasons
    )
    assert any(r.startswith("FAIL: observed / expected outside") for r in decision.reasons)


def test_a_challenger_leaving_the_observed_expected_band_is_refused():
    # Ranks perfectly but expects 35 % too many findings: O/E about 0.74 where the weaker
    # champion's is about 1. ECE / base rate rises less than the tolerance, so only the
    # band refuses it; a band wide enough to hold 0.74 lets it through.
    rows, p, rng = _world(6)
    champion = FixedModel({c: _weaker(v, rng) for c, v in p.items()})
    challenger = FixedModel({c: np.minimum(v * 1.35, 1.0) for c, v in p.items()})
    decision = promotion.decide(champion, challenger, rows, GATE)
    assert decision.challenger_score > decision.champion_score
    failed = [r for r in decision.reasons if r.startswith("FAIL")]
    assert len(failed) == 1 and "observed / expected outside 0.8–1.25" in failed[0]
    assert "revenue 0.74 (champion 1.00)" in failed[0]
    for category, entry in decision.per_category.items():
        y = rows[f"finding_{category}"].to_numpy()
        expected = challenger.predict_proba(rows.index.to_numpy())[category].sum()
        assert entry["challenger"]["observed_to_expected"] == pytest.approx(y.sum() / expected)
    wide = replace(GATE, observed_expected_band=(0.5, 2.0))
    assert promotion.decide(champion, challenger, rows, wide).promote


def test_a_calibration_change_below_the_tolerance_does_not_block_a_better_ranking():
    # Slightly over-predicting (×1.1) raises ECE by about 0.015 on ipr: significant on 2,000
    # rows, yet not material; the strict gate would keep a clearly weaker champion.
    rows, p, rng = _world(5)
    champion = FixedModel({c: _weaker(v, rng) for c, v in p.items()})
    challenger = FixedModel({c: np.minimum(v * 1.1, 1.0) for c, v in p.items()})
    strict = replace(GATE, relative_ece_tolerance=0.0)
    assert not promotion.decide(champion, challenger, rows, strict).promote
    decision = promotion.decide(champion, challenger, rows, GATE)
    assert decision.promote, decision.reasons


def test_dropping_a_category_or_lacking_evidence_is_refused():
    rows, p, rng = _world(4)
    champion = FixedModel({c: _weaker(v, rng) for c, v in p.items()})
    narrower = FixedModel({"revenue": p["revenue"]})
    decision = promotion.decide(champion, narrower, rows, GATE)
    assert not decision.promote and "does not score ipr" in decision.reasons[0]
    few = rows.head(40)  # a handful of positives: nothing to compare
    decision = promotion.decide(
        champion, FixedModel(p), few, replace(SETTINGS_GATE, min_positives=10)
    )
    assert not decision.promote and decision.categories == []


def test_evaluation_window_starts_at_the_drift_but_keeps_its_length_cap():
    as_of = pd.Timestamp("2025-08-01")
    assert promotion.evaluation_window(as_of, 21).start == pd.Timestamp("2025-07-11")
    since = pd.Timestamp("2025-07-25")
    assert promotion.evaluation_window(as_of, 21, since).start == since
    early = pd.Timestamp("2025-06-01")
    assert promotion.evaluation_window(as_of, 21, early).start == pd.Timestamp("2025-07-11")


def _lines(n: int, distinct: int) -> dict[str, np.ndarray]:
    """Goods-line columns of ``n`` rows drawn from ``distinct`` lines."""
    line = np.arange(n) % distinct
    return {
        "hs6_number": 850000.0 + line % 7,
        "origin_country": np.array(["DE", "VN", "US"])[line % 3],
        "log_net_weight_kg": np.log1p(line.astype(float)),
        "log_value_cny": np.log1p(10.0 * line),
    }


def test_challenger_windows_keep_old_rows_in_training_and_split_recent_ones():
    times = pd.date_range("2025-01-01", periods=400, freq="D")
    before = pd.DataFrame({"declared_at": times, **_lines(400, 400)})
    windows = promotion.challenger_windows(before, pd.Timestamp("2026-02-05"), 56, seed=1)
    recent_start = pd.Timestamp("2026-02-05") - pd.Timedelta(days=56)
    assert sum(len(w) for w in windows.values()) == len(before)
    for name in ("early_stopping", "calibration"):
        assert (windows[name]["declared_at"] >= recent_start).all() and len(windows[name]) > 5
    train = windows["train"]
    old = before["declared_at"] < recent_start
    assert (train["declared_at"] < recent_start).sum() == old.sum()
    assert (train["declared_at"] >= recent_start).any()  # the newest rows are learnt from


def test_challenger_windows_keep_each_goods_line_on_one_side():
    """Repeat consignments of one goods line all go to training, or all to early stopping,
    or all to calibration: none is judged by trees that memorised its twin."""
    times = pd.date_range("2025-12-01", periods=600, freq="2h")
    before = pd.DataFrame({"declared_at": times, **_lines(600, 40)})
    windows = promotion.challenger_windows(before, pd.Timestamp("2026-02-05"), 90, seed=1)
    sides = {
        name: set(map(tuple, w[list(promotion.GOODS_LINE_COLUMNS)].to_numpy().tolist()))
        for name, w in windows.items()
    }
    assert all(sides.values())  # every part has lines
    assert not sides["train"] & sides["early_stopping"]
    assert not sides["train"] & sides["calibration"]
    assert not sides["early_stopping"] & sides["calibration"]


@pytest.fixture
def store(tmp_path, settings_for):
    """A real MLflow registry with three versions of the model, version 1 champion."""
    settings = settings_for(tmp_path)
    client = registry.use_store(settings)
    client.create_registered_model(settings.model_name)
    for _ in range(3):
        client.create_model_version(settings.model_name, source=tmp_path.as_uri())
    registry.set_alias(settings, registry.CHAMPION, "1")
    return settings


def test_a_missing_alias_is_none_but_an_unreachable_store_is_an_error(store, monkeypatch):
    assert registry.resolve_alias(store, "challenger") is None
    assert registry.resolve_alias(store.model_copy(update={"model_name": "other"}), "x") is None
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    unreachable = store.model_copy(update={"tracking_uri": "http://127.0.0.1:9"})
    with pytest.raises(MlflowException, match=r"127\.0\.0\.1:9"):
        registry.resolve_alias(unreachable, "champion")


def test_promote_and_rollback_move_the_aliases(store):
    settings = store
    assert registry.promote(settings, "2") == {
        "champion_version_before": "1",
        "champion_version_after": "2",
    }
    aliases = {a: registry.resolve_alias(settings, a) for a in ("champion", "previous")}
    assert aliases == {"champion": "2", "previous": "1"}
    registry.set_alias(settings, registry.CHALLENGER, "3")
    registry.promote(settings, "3")
    assert registry.resolve_alias(settings, "champion") == "3"
    assert registry.resolve_alias(settings, "previous") == "2"
    assert registry.resolve_alias(settings, "challenger") is None

    restored = registry.rollback(settings)
    assert restored == {"champion_version_before": "3", "champion_version_after": "2"}
    assert registry.resolve_alias(settings, "champion") == "2"
    assert registry.resolve_alias(settings, "challenger") == "3"
    assert registry.resolve_alias(settings, "previous") is None
    with pytest.raises(LookupError):
        registry.rollback(settings)  # one step only: no flip-flop


def test_version_tags_record_the_decision(store):
    settings = store
    registry.tag_version(settings, "2", {"reevaluation.outcome": "kept champion"})
    client = MlflowClient(tracking_uri=settings.resolved_tracking_uri)
    version = client.get_model_version(settings.model_name, "2")
    assert version.tags["reevaluation.outcome"] == "kept champion"


def _train_gate(store, monkeypatch, champion, candidate, rows, version):
    """Apply the champion gate of ``train`` to ``candidate`` registered as ``version``."""
    monkeypatch.setattr(registry, "load_version", lambda settings, v: champion)
    candidate.metadata = {"windows": {"test": ("2025-10-01", "2025-12-31")}}
    return promotion.promote_if_better(store, version, candidate, rows)


def test_train_gate_refuses_a_candidate_that_drops_a_category_the_champion_scores(
    store, monkeypatch
):
    rows, p, rng = _world(4)
    champion = FixedModel({c: _weaker(v, rng) for c, v in p.items()})
    narrower = FixedModel({"revenue": p["revenue"]})  # better on revenue, no ipr model
    decision = _train_gate(store, monkeypatch, champion, narrower, rows, "2")
    assert not decision["promoted"]
    assert "does not score ipr" in decision["outcome"]  # readable in the run's tag
    assert any(r.startswith("FAIL") and "ipr" in r for r in decision["reasons"])
    assert registry.resolve_alias(store, "champion") == "1"
    assert registry.resolve_alias(store, "challenger") == "2"


def test_train_gate_compares_on_categories_both_score_and_clears_a_stale_challenger(
    store, monkeypatch
):
    rows, p, rng = _world(6)
    champion = FixedModel({"revenue": _weaker(p["revenue"], rng, 0.5)})
    # Better on revenue; its extra ipr model ranks no better than chance. Averaged over the
    # candidate's categories (0.23 vs 0.26) it would lose; ipr is simply not comparable.
    wider = FixedModel({"revenue": p["revenue"], "ipr": _constant(p["ipr"])})
    registry.set_alias(store, registry.CHALLENGER, "2")  # refused by an earlier training
    decision = _train_gate(store, monkeypatch, champion, wider, rows, "3")
    assert decision["promoted"], decision["reasons"]
    assert decision["metric"] == "mean auc_pr over revenue"
    assert decision["candidate_score"] > decision["champion_score"]
    aliases = {a: registry.resolve_alias(store, a) for a in ("champion", "previous", "challenger")}
    assert aliases == {"champion": "3", "previous": "1", "challenger": None}


def test_reason_to_wait_cool_down_then_maturing_labels():
    """No challenger right after a kept champion, nor while no category has enough matured
    findings in the window to tell two models apart."""
    as_of = pd.Timestamp("2025-06-30")
    week = pd.Timedelta(days=7)
    enough = {"revenue": 12, "ipr": 2}
    assert promotion.reason_to_wait(as_of, None, week, enough, 10) is None
    # kept 3 days ago: cool-down, even with enough labels
    outcome, reasons = promotion.reason_to_wait(
        as_of, as_of - pd.Timedelta(days=3), week, enough, 10
    )
    assert outcome == "skipped: cool-down" and "2025-06-27" in reasons[0]
    # kept exactly a cool-down ago: challenged again
    assert promotion.reason_to_wait(as_of, as_of - week, week, enough, 10) is None
    # no category with enough matured findings
    outcome, reasons = promotion.reason_to_wait(as_of, None, week, {"revenue": 9, "ipr": 2}, 10)
    assert outcome == "skipped: labels still maturing" and "revenue" in reasons[0]
    assert promotion.reason_to_wait(as_of, None, week, {}, 1)[0] == "skipped: labels still maturing"


class _FitStopped(Exception):
    """Raised by the fitting spy: what was handed to fitting is all the test needs."""


def test_a_challenger_never_trains_stops_or_calibrates_on_its_evaluation_window(
    small_features, small_sources, monkeypatch
):
    """Every row handed to fitting (training, early stopping, calibration) was declared
    before the evaluation window, and none of the window's labelled items is among them."""
    outcomes = small_sources["inspection_outcomes"]
    window = promotion.evaluation_window(pd.Timestamp("2025-10-01"), 21)
    handed = {}

    def fitting_spy(windows, recent, as_of, config):
        handed.update(windows)
        raise _FitStopped

    monkeypatch.setattr(promotion, "fit_windows", fitting_spy)
    config = TrainingConfig.for_settings(Settings())
    with pytest.raises(_FitStopped):
        promotion.train_challenger(small_features, outcomes, window, config, 56)

    labelled = labelled_rows(small_features, outcomes, window.end)
    labelled = labelled[labelled["declared_at"] < window.end]
    in_window = labelled[labelled["declared_at"] >= window.start]
    assert len(in_window) > 50  # the window has labels that could have leaked
    window_items = set(zip(in_window["declaration_id"], in_window["item_no"], strict=True))
    assert set(handed) == set(FITTED_WINDOWS)
    for name, rows in handed.items():
        assert len(rows) > 0, name
        assert (rows["declared_at"] < window.start).all(), name
        items = set(zip(rows["declaration_id"], rows["item_no"], strict=True))
        assert not items & window_items, name
    # ... and every labelled row before the window is used, each once.
    assert sum(len(rows) for rows in handed.values()) == len(labelled) - len(in_window)


def test_the_gate_also_compares_both_models_on_random_picks_alone_weighted():
    """Random picks stand for every goods item, each for 1/π of them: the gate reports
    both models' AUC-PR there, weighted, beside the comparison on every inspected row."""
    rows, p, rng = _world(3)
    random = rng.random(len(rows)) < 0.3
    rows = rows.assign(
        selection_reason=np.where(random, "random", "model"),
        selection_probability=np.where(random, 0.05, np.nan),
    )
    champion = FixedModel({c: _constant(v) for c, v in p.items()})
    decision = promotion.decide(champion, FixedModel(p), rows, GATE)
    for category in ("revenue", "ipr"):
        picks = decision.per_category[category]["random_picks"]
        assert picks["rows"] == random.sum()
        assert picks["positives"] == rows.loc[random, f"finding_{category}"].sum()
        assert picks["challenger"] > picks["champion"]
        assert picks["champion"] == pytest.approx(picks["positives"] / picks["rows"])
    # Without random picks there is nothing unbiased to compare: no figure, not a zero.
    decision = promotion.decide(champion, FixedModel(p), rows.assign(selection_reason="rule"), GATE)
    assert decision.per_category["revenue"]["random_picks"]["rows"] == 0
    assert np.isnan(decision.per_category["revenue"]["random_picks"]["challenger"])

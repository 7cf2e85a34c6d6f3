"""Drift maths on tiny frames: PSI, bins, categorical levels, outcomes, the alert rule."""

import math

import numpy as np
import pandas as pd
import pytest

from config.settings import Settings
from features.definitions import FEATURES_BY_NAME
from models.metrics import poisson_interval
from reassessment import alert_policy, drift_measures, drift_statistics
from sources.contracts import DECLARATIONS


def test_psi_known_values():
    assert drift_statistics.psi(np.array([50, 50]), np.array([50, 50])) == 0.0
    # shares (0.5, 0.5) → (0.25, 0.75): 0.25·ln 2 + 0.25·ln 1.5
    expected = 0.25 * math.log(2) + 0.25 * math.log(1.5)
    assert drift_statistics.psi(np.array([2, 2]), np.array([1, 3])) == pytest.approx(expected)
    # symmetric in the two distributions
    assert drift_statistics.psi(np.array([1, 3]), np.array([2, 2])) == pytest.approx(expected)
    # an empty bin is raised to the epsilon instead of giving an infinite PSI
    empty = drift_statistics.psi(np.array([10, 0]), np.array([5, 5]))
    e = drift_statistics.PSI_EPSILON
    assert empty == pytest.approx((0.5 - 1) * math.log(0.5) + (0.5 - e) * math.log(0.5 / e))


def test_numeric_bins_at_reference_deciles_with_a_missing_bin():
    reference = np.arange(1000, dtype=float)
    edges = drift_statistics.quantile_edges(reference)
    assert len(edges) == 9 and edges[0] == pytest.approx(99.9)
    counts = drift_statistics.numeric_counts(np.append(reference, [np.nan] * 10), edges)
    assert len(counts) == 11 and counts[:10].tolist() == [100] * 10 and counts[-1] == 10
    # ties collapse: a mostly-zero count gets few bins
    assert len(drift_statistics.quantile_edges(np.r_[np.zeros(950), np.arange(1, 51)])) < 3


def test_numeric_drift_same_shifted_and_missing():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=5000)
    same = drift_measures.numeric_drift("x", reference, rng.normal(size=2000))
    assert same.psi < 0.02 and same.p_value > 0.01
    shifted = drift_measures.numeric_drift("x", reference, rng.normal(1.0, 1.0, size=2000))
    assert shifted.psi > 0.25 and shifted.p_value < 1e-10
    assert same.shift_sd < 0.1 and shifted.shift_sd == pytest.approx(1.0, abs=0.1)
    holes = rng.normal(size=2000)
    holes[:400] = np.nan
    missing = drift_measures.numeric_drift("x", reference, holes)
    assert missing.null_rate_window == pytest.approx(0.2) and missing.null_rate_reference == 0
    assert missing.psi > 0.25  # a fifth of the rows moved to the missing bin


def test_categorical_drift_counts_new_levels_and_names_the_change():
    reference = np.array(["CN"] * 500 + ["VN"] * 100 + ["US"] * 400, dtype=object)
    window = np.array(["CN"] * 400 + ["VN"] * 350 + ["US"] * 200 + ["XX"] * 50, dtype=object)
    result = drift_measures.categorical_drift("origin", reference, window)
    assert result.new_levels == {"XX": 50}
    assert result.new_level_share == pytest.approx(0.05)
    assert result.psi > 0.25 and result.p_value < 1e-10
    assert result.top_changes[0]["level"] == "VN"
    assert result.top_changes[0]["reference_share"] == pytest.approx(0.1)
    assert result.top_changes[0]["window_share"] == pytest.approx(0.35)
    stable = drift_measures.categorical_drift("origin", reference, reference[::2])
    assert stable.psi < 1e-9 and not stable.new_levels


def test_rare_and_unseen_levels_share_the_tail_bin():
    reference = np.array(["A"] * 990 + [f"r{i}" for i in range(10)], dtype=object)
    window = np.array(["A"] * 97 + ["new1", "new2", "r1"], dtype=object)
    levels, ref_counts, cur_counts, new = drift_statistics.categorical_counts(reference, window)
    assert levels == ["A", drift_statistics.OTHER_LEVEL]
    assert ref_counts.tolist() == [990, 10] and cur_counts.tolist() == [97, 3]
    assert new == {"new1": 1, "new2": 1}
    # unseen levels at the rare levels' rate are no drift
    assert drift_statistics.psi(ref_counts, cur_counts) < 0.05


def test_missing_categorical_values_are_a_level():
    reference = np.array(["a", None, "", "b"] * 50, dtype=object)
    result = drift_measures.categorical_drift("c", reference, reference)
    assert result.psi == pytest.approx(0.0) and result.null_rate_reference == 0.25


def test_outcome_performance_separates_matured_from_pending():
    probability = np.array([0.9, 0.8, 0.6, 0.5, 0.1, 0.05])
    finding = np.array([1, 0, 1, 0, 0, 0], dtype=float)
    matured = np.array([True, True, False, False, True, True])
    result = drift_measures.outcome_performance(
        "revenue", probability, finding, matured, cutoff=0.5
    )
    assert (result.matured, result.pending) == (4, 2)
    assert result.positives == 1  # the pending finding is not known yet
    assert result.expected_positives == pytest.approx(0.9 + 0.8 + 0.1 + 0.05)
    # O/E as models.metrics defines it, with the exact Poisson interval of one finding
    assert result.observed_to_expected == pytest.approx(1 / 1.85)
    low, high = poisson_interval(1)
    assert (result.observed_to_expected_low, result.observed_to_expected_high) == (
        pytest.approx(low / 1.85),
        pytest.approx(high / 1.85),
    )
    assert (result.flagged_matured, result.flagged_hits) == (2, 1)
    assert result.precision_at_rate == pytest.approx(0.5)
    # expected precision among flagged pending items = their mean probability
    assert result.flagged_pending == 2
    assert result.pending_expected_precision == pytest.approx(0.55)
    assert result.precision_with_pending_estimate == pytest.approx((1 + 0.6 + 0.5) / 4)


def test_reconcile_compares_the_estimate_with_labels_that_arrived():
    probability = np.array([0.7, 0.5, 0.9, 0.2])
    finding = np.array([1, 0, 1, 1], dtype=float)
    then = np.array([False, False, False, True])
    now = np.array([True, True, False, True])
    result = drift_measures.reconcile(
        "ipr", ("a", "b"), probability, finding, then, now, cutoff=0.5
    )
    assert result.flagged_pending_then == 3
    assert result.estimated_precision == pytest.approx(0.7)
    assert (result.matured_since, result.still_pending) == (2, 1)
    assert result.realised_precision == pytest.approx(0.5)


def test_ages_and_all_history_counts_are_trending_rates_are_not():
    trending = {n for n, f in FEATURES_BY_NAME.items() if alert_policy.is_trending(f)}
    assert {"consignee_days_active", "consignee_declarations_total"} <= trending
    assert "consignee_inspections_known" in trending
    assert not trending & {"log_value_cny", "consignee_declarations_90d", "hs_chapter"}
    assert not any("rate" in n for n in trending)


def _feature(name, psi, p=1e-12, kind="numeric"):
    return drift_measures.FeatureDrift(name, kind, psi, p, "ks", 0.0, 0.0)


def test_alert_rule_key_inputs_many_inputs_and_significance():
    t = alert_policy.Thresholds.for_settings(Settings())
    quiet = alert_policy.assess([_feature("a", 0.02)], [], [], [], ["a"], t, 1000)
    assert quiet.status == "ok" and not quiet.alert
    # one large, significant drift on an input the model barely uses: reported, no alert
    one = alert_policy.assess([_feature("minor", 0.6)], [], [], [], ["a"], t, 1000)
    assert one.status == "warn" and not one.alert
    # the same on a key input alerts, and so does the route mix (always key)
    assert alert_policy.assess([_feature("a", 0.6)], [], [], [], ["a"], t, 1000).alert
    route = _feature(alert_policy.SEGMENT, 0.4, kind="categorical")
    assert alert_policy.assess([route], [], [], [], [], t, 1000).alert_signals == ["input:route"]
    # several drifted inputs together alert
    many = [_feature(n, 0.3) for n in ("x", "y", "z")]
    assert "input:many" in alert_policy.assess(many, [], [], [], [], t, 1000).alert_signals
    # a large PSI that is not significant after Bonferroni is not a drift
    noisy = [_feature("a", 0.6, p=0.008), _feature("b", 0.0)]  # 0.008 > 0.01 / 2
    assert not alert_policy.assess(noisy, [], [], [], ["a"], t, 1000).alert
    # too few declarations: not assessed at all
    assert (
        alert_policy.assess([_feature("a", 5.0)], [], [], [], ["a"], t, 50).status == "insufficient"
    )


def _rates(rng, n: int, dominant_rate: float) -> np.ndarray:
    """Findings rates of a window: most importers at 0, a spread of others, and one
    dominant importer (a fifth of the rows) at ``dominant_rate``."""
    values = np.zeros(n)
    values[: n // 5] = dominant_rate + rng.normal(0, 0.0002, n // 5)
    values[n // 5 : 2 * n // 5] = rng.exponential(0.05, n // 5)
    return values


def test_a_small_move_of_a_point_mass_is_not_a_drift():
    """A dominant importer's rate moving from 1.2 % to 1.45 % crosses a decile edge: PSI
    and KS call it a large, significant change, but values moved a few hundredths of a
    standard deviation — not a drift. A real move of the same input still is."""
    rng = np.random.default_rng(3)
    reference = _rates(rng, 20_000, 0.012)
    nudged = drift_measures.numeric_drift("rate", reference, _rates(rng, 5_000, 0.0145))
    assert nudged.psi > 0.25 and nudged.p_value < 1e-10 and nudged.shift_sd < 0.1
    moved = drift_measures.numeric_drift("rate", reference, _rates(rng, 5_000, 0.06))
    assert moved.psi > 0.25 and moved.shift_sd > 0.1
    t = alert_policy.Thresholds.for_settings(Settings())
    assert not alert_policy.assess([nudged], [], [], [], ["rate"], t, 5_000).alert
    assert alert_policy.assess([moved], [], [], [], ["rate"], t, 5_000).alert_signals == [
        "input:rate"
    ]


def test_alert_rule_scores_quality_and_outcomes():
    t = alert_policy.Thresholds.for_settings(Settings())
    score = drift_measures.ScoreDrift("revenue", 0.2, 1e-9, 0.03, 0.05, 0.1, 0.05, 0.12)
    assert alert_policy.assess([], [score], [], [], [], t, 1000).alert_signals == ["score:revenue"]
    nulls = drift_measures.QualityDrift("hs_code", 0.0, 0.08, 0.0, 0.0)
    assert alert_policy.assess([], [], [nulls], [], [], t, 1000).alert_signals == [
        "quality:hs_code.nulls"
    ]
    # category, matured, pending, findings, expected, O/E and its interval, z, ECE, ECE / base
    # rate, then the flagged counts and precisions
    under = drift_measures.OutcomePerformance(
        "ipr", 300, 50, 20, 6.0, 20 / 6, 2.0, 5.1, 5.7, 0.02, 0.3, 10, 4, 0.4, 3, 0.3, 0.4
    )
    outcome = alert_policy.assess([], [], [], [under], [], t, 1000)
    assert outcome.alert_signals == ["outcome:ipr"]
    assert "O/E 3.33 (95 % 2.00–5.10): 20 findings vs 6.0 expected" in str(outcome.to_dict())
    close = drift_measures.OutcomePerformance(
        "ipr", 300, 50, 8, 6.0, 8 / 6, 0.6, 2.6, 0.8, 0.02, 0.3, 10, 4, 0.4, 3, 0.3, 0.4
    )
    assert not alert_policy.assess([], [], [], [close], [], t, 1000).alert


def test_out_of_contract_flags_each_kind_of_breach():
    frame = pd.DataFrame(
        {
            "hs_code": ["8471300000", "12AB", None],
            "transport_mode": ["sea", "teleport", "air"],
            "value_cny": [10.0, -1.0, 5.0],
        }
    )
    bad = drift_measures.out_of_contract(frame, DECLARATIONS)
    assert bad["hs_code"].tolist() == [False, True, True]  # pattern, and not nullable
    assert bad["transport_mode"].tolist() == [False, True, False]
    assert bad["value_cny"].tolist() == [False, True, False]
    assert bad["declared_at"].all()  # a missing column breaks every row

"""The metric definitions the reports promise, pinned on hand-made examples."""

import numpy as np
import pytest

from models.metrics import (
    classification_report,
    expected_calibration_error,
    interval_coverage,
    observed_expected,
    precision_recall_at,
    relative_ece,
    value_captured_at,
)


def test_precision_and_recall_at_keep_ties_in_input_order():
    # 20 rows, 1 positive; scores tie at the top: file order decides which row is first.
    y = np.zeros(20)
    y[1] = 1
    scores = np.full(20, 0.5)
    scores[5:] = 0.1
    # 5 % of 20 rows = 1 row: row 0 (tied with row 1, earlier in file order) — a miss
    assert precision_recall_at(y, scores, 5) == (0.0, 0.0)
    # 10 % = 2 rows: rows 0 and 1
    assert precision_recall_at(y, scores, 10) == (0.5, 1.0)


def test_precision_at_rounds_the_number_of_rows():
    y = np.array(
        [1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    )
    scores = np.linspace(1, 0, 30)
    # round(5 % × 30) = round(1.5) = 2 rows → rows 0 and 1 → one positive of two
    assert precision_recall_at(y, scores, 5) == (0.5, 0.5)


def test_expected_calibration_error_by_hand():
    p = np.array([0.05, 0.05, 0.95, 0.95, 1.0])
    y = np.array([0, 1, 1, 1, 1])
    # bin 0: mean p 0.05, observed 0.5 → |0.45| × 2; bin 9: mean p 0.9667, observed 1 → × 3
    expected = (2 * 0.45 + 3 * abs(1 - (0.95 + 0.95 + 1.0) / 3)) / 5
    assert expected_calibration_error(y, p) == pytest.approx(expected)


def test_relative_ece_shows_what_a_small_absolute_ece_hides():
    # base rate 1 %, every probability 5 %: a five-fold over-prediction
    y = np.zeros(1000)
    y[:10] = 1
    p = np.full(1000, 0.05)
    assert expected_calibration_error(y, p) == pytest.approx(0.04)  # looks small
    assert relative_ece(y, p) == pytest.approx(4.0)
    assert np.isnan(relative_ece(np.zeros(10), np.full(10, 0.1)))  # no base rate


def test_observed_expected_with_its_poisson_interval():
    y = np.zeros(1000)
    y[:10] = 1
    report = observed_expected(y, np.full(1000, 0.05))
    assert (report["observed"], report["expected"]) == (10.0, pytest.approx(50.0))
    assert report["observed_to_expected"] == pytest.approx(0.2)
    # exact (Garwood) 95 % interval of a Poisson mean given 10 events: 4.795 to 18.39
    assert report["observed_to_expected_low"] == pytest.approx(4.7954 / 50, abs=1e-5)
    assert report["observed_to_expected_high"] == pytest.approx(18.390 / 50, abs=1e-5)
    none = observed_expected(np.zeros(5), np.full(5, 0.2))
    assert none["observed_to_expected"] == 0.0 and none["observed_to_expected_low"] == 0.0
    assert np.isnan(observed_expected(np.zeros(3), np.zeros(3))["observed_to_expected"])
    report = classification_report(y, np.full(1000, 0.05))
    assert report["observed_to_expected"] == pytest.approx(0.2)
    assert report["ece_relative"] == pytest.approx(4.0)


def test_interval_coverage_counts_groups_whose_findings_the_intervals_allow():
    p = np.repeat([0.1, 0.2], 100)
    y = np.zeros(200)
    y[:10] = 1  # group of p = 0.1: 10 findings
    y[100:130] = 1  # group of p = 0.2: 30 findings
    low, high = p - 0.05, p + 0.05
    # allowed counts: 5-15 (10 found: covered), 15-25 (30 found: not covered, and its 90 %
    # Poisson interval, 21.6-40.7, overlaps 15-25: consistent)
    coverage = interval_coverage(y, p, low, high, groups=2)
    assert coverage["interval_groups"] == 2.0
    assert coverage["interval_coverage"] == 0.5 and coverage["interval_consistency"] == 1.0
    # findings drawn from p itself: Binomial(100, 0.1) within 5-15 about 95 % of the time,
    # Binomial(100, 0.2) within 15-25 about 85 %
    assert coverage["interval_coverage_if_exact"] == pytest.approx(0.90, abs=0.04)
    # a point "interval" at a wrong probability is neither covered nor consistent
    far = interval_coverage(y, p, p * 4, p * 4, groups=2)
    assert far["interval_coverage"] == far["interval_consistency"] == 0.0


def test_value_captured_at():
    values = np.array([0.0, 100.0, 0.0, 300.0])
    scores = np.array([0.1, 0.9, 0.2, 0.3])
    assert value_captured_at(values, scores, 25) == pytest.approx(0.25)
    assert value_captured_at(values, scores, 50) == pytest.approx(1.0)


def test_classification_report_shape():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(y * 0.6 + rng.random(200) * 0.4, 0, 1)
    report = classification_report(y, p)
    assert report["auc_roc"] > 0.9
    assert set(report["precision_at"]) == {"1", "2", "5", "10"}
    assert report["rows"] == 200 and report["positives"] == int(y.sum())


def test_flatten_keeps_numbers_at_any_depth():
    from models.metrics import flatten

    report = {
        "auc_pr": 0.5,
        "calibration": "sigmoid",
        "precision_at": {"5": 0.2},
        "random_sample": {"auc_roc": 0.7, "recall_at": {"1": 0.1}},
    }
    assert flatten(report, "revenue") == {
        "revenue.auc_pr": 0.5,
        "revenue.precision_at_5": 0.2,
        "revenue.random_sample.auc_roc": 0.7,
        "revenue.random_sample.recall_at_1": 0.1,
    }


def test_precision_at_an_exact_half_rounds_half_to_even():
    scores = np.linspace(1, 0, 50)
    y = np.zeros(50)
    y[2] = 1  # the third-ranked row
    # 5 % of 50 rows = 2.5 → round half to even → 2 rows: the positive is not among them
    assert precision_recall_at(y, scores, 5) == (0.0, 0.0)
    # 5 % of 70 rows = 3.5 → 4 rows: it is
    y70 = np.zeros(70)
    y70[2] = 1
    assert precision_recall_at(y70, np.linspace(1, 0, 70), 5) == (0.25, 1.0)


def test_precision_and_recall_at_are_nan_exactly_when_undefined():
    scores = np.linspace(1, 0, 40)
    none, one = np.zeros(40), np.zeros(40)
    one[0] = 1
    # 1 % of 40 rows rounds to 0 rows: no precision; recall is 0 of 1 positive, or undefined
    assert np.isnan(precision_recall_at(one, scores, 1)[0])
    assert precision_recall_at(one, scores, 1)[1] == 0.0
    assert all(np.isnan(precision_recall_at(none, scores, 1)))
    # 5 % = 2 rows, no positive at all: precision 0, recall undefined (as with 0 rows)
    precision, recall = precision_recall_at(none, scores, 5)
    assert precision == 0.0 and np.isnan(recall)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_probabilities_or_scores_raise(bad):
    y = np.array([0, 1, 0, 1])
    p = np.array([0.1, bad, 0.1, 0.9])
    with pytest.raises(ValueError, match="non-finite"):
        expected_calibration_error(y, p)
    with pytest.raises(ValueError, match="non-finite"):
        classification_report(y, p)
    with pytest.raises(ValueError, match="non-finite"):
        precision_recall_at(y, p, 25)
    with pytest.raises(ValueError, match="non-finite"):
        value_captured_at(np.array([1.0, 2.0, 3.0, 4.0]), p, 25)

"""The metric definitions the reports promise, pinned on hand-made examples."""

import numpy as np
import pytest

from models.metrics import (
    classification_report,
    expected_calibration_error,
    precision_recall_at,
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

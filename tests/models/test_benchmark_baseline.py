"""The reimplemented public baseline encodes columns as the dataset authors' notebook does;
the report splits the ranking by repeated and new goods lines."""

import numpy as np
import pandas as pd

from models.benchmark import (
    BASELINE_ENCODED,
    BASELINE_SCALED,
    _baseline_matrix,
    ranking_by_goods_line,
    repeated_goods_lines,
)


def _rows(**overrides) -> pd.DataFrame:
    base = {c: ["a", "b", "a"] for c in BASELINE_ENCODED}
    base |= {"Net Mass": ["1.9", "3.2", "5.7"], "Item Price": ["10.5", "20.0", "30.9"]}
    return pd.DataFrame(base | overrides)


def test_ids_become_presence_flags_and_codes_follow_first_appearance():
    train = _rows(**{"Seller ID": ["S1", None, "S2"], "HS6 Code": ["850440", "300490", "850440"]})
    test = _rows(**{"Seller ID": [None, "S9", "S1"], "HS6 Code": ["999999", "300490", "111111"]})
    X_train, X_test = _baseline_matrix(train, test)
    seller = BASELINE_ENCODED.index("Seller ID")
    hs6 = BASELINE_ENCODED.index("HS6 Code")
    # Seller ID: only "given or not" survives, so S9 and S1 share a code.
    np.testing.assert_array_equal(X_train[:, seller], [1, 2, 1])
    np.testing.assert_array_equal(X_test[:, seller], [2, 1, 1])
    # HS6: codes by first appearance in train; levels first seen in test get the next codes.
    np.testing.assert_array_equal(X_train[:, hs6], [1, 2, 1])
    np.testing.assert_array_equal(X_test[:, hs6], [3, 2, 4])


def test_mass_and_price_are_cut_to_integers_then_scaled_on_train():
    X_train, X_test = _baseline_matrix(_rows(), _rows(**{"Net Mass": ["9.9", "1.0", "3.0"]}))
    mass = len(BASELINE_ENCODED) + BASELINE_SCALED.index("Net Mass")
    np.testing.assert_allclose(X_train[:, mass], [0.0, 0.5, 1.0])  # 1, 3, 5
    np.testing.assert_allclose(X_test[:, mass], [2.0, 0.0, 0.5])  # 9, 1, 3


def test_goods_lines_repeat_only_on_an_exact_hs6_mass_and_price_match():
    known = pd.DataFrame(
        {"HS6 Code": ["010101", "020202"], "Net Mass": ["1.5", "2"], "Item Price": ["10", "20"]}
    )
    test = pd.DataFrame(
        {
            "HS6 Code": ["010101", "010101", "020202", "030303", "020202"],
            "Net Mass": ["1.5", "1.5", "2", "1.5", "2.1"],
            "Item Price": ["10", "11", "20", "10", "20"],
        }
    )
    repeated = repeated_goods_lines(known, test)
    assert repeated.tolist() == [True, False, True, False, False]


def test_ranking_is_reported_apart_for_repeated_and_new_goods_lines():
    repeated = np.array([True, True, True, True, False, False, False])
    y = np.array([1, 0, 1, 0, 1, 0, 0])
    scores = np.array([0.9, 0.1, 0.8, 0.2, 0.1, 0.5, 0.4])
    parts = ranking_by_goods_line(y, scores, repeated)
    assert parts["repeated"] == {"rows": 4, "positives": 2, "auc_roc": 1.0, "auc_pr": 1.0}
    assert parts["new"]["rows"] == 3 and parts["new"]["positives"] == 1
    assert parts["new"]["auc_roc"] == 0.0  # the one new positive is ranked last
    no_positive = ranking_by_goods_line(np.array([0, 0]), scores[:2], np.array([True, False]))
    assert np.isnan(no_positive["repeated"]["auc_roc"]) and np.isnan(no_positive["new"]["auc_pr"])

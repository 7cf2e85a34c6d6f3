"""The reimplemented public baseline encodes columns as the dataset authors' notebook does."""

import numpy as np
import pandas as pd

from models.benchmark import BASELINE_ENCODED, BASELINE_SCALED, _baseline_matrix


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

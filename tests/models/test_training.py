"""Tree size follows the evidence; refits see the early-stopping and calibration rows."""

import numpy as np
import pandas as pd
import pytest

from models.training import TrainingConfig, fit_classifier, num_leaves, train_risk_model


@pytest.mark.parametrize(
    ("positives", "leaves"), [(0, 7), (100, 7), (300, 15), (1000, 50), (100_000, 63)]
)
def test_leaves_grow_with_training_positives_within_bounds(positives, leaves):
    assert num_leaves(positives, TrainingConfig()) == leaves


def test_positives_per_leaf_zero_keeps_the_configured_size():
    assert num_leaves(10, TrainingConfig(positives_per_leaf=0)) == 63


# Row counts in a tree are only the rows fitted on when no negatives are sampled out.
NO_BAGGING = {"neg_bagging_fraction": 1.0}


def _rows(rng, n):
    X = rng.normal(size=(n, 3))
    y = (rng.random(n) < 1 / (1 + np.exp(-(2 * X[:, 0] - 3)))).astype(int)
    return X, y


def _rows_seen(classifier) -> int:
    trees = classifier.booster_.trees_to_dataframe()
    return int(trees.loc[(trees["tree_index"] == 0) & (trees["node_depth"] == 1), "count"].iloc[0])


def test_refit_uses_train_and_early_stopping_rows_with_scaled_trees():
    rng = np.random.default_rng(0)
    train, stopping = _rows(rng, 3000), _rows(rng, 1000)
    params = {**TrainingConfig().lgbm_params, "n_estimators": 200, **NO_BAGGING}
    classifier, info = fit_classifier(train, stopping, [], TrainingConfig(lgbm_params=params))
    assert info["refit_trees"] == max(1, round(info["best_iteration"] * 4000 / 3000))
    assert classifier.booster_.current_iteration() == info["refit_trees"]
    assert _rows_seen(classifier) == 4000  # refitted on both windows

    plain, info = fit_classifier(
        train, stopping, [], TrainingConfig(lgbm_params=params, refit=False)
    )
    assert "refit_trees" not in info and _rows_seen(plain) == 3000


def test_served_model_is_fitted_on_every_window_before_test_with_a_held_out_calibrator(
    small_features, small_sources
):
    config = TrainingConfig(lgbm_params={**TrainingConfig().lgbm_params, **NO_BAGGING})
    outcomes = small_sources["inspection_outcomes"]
    result = train_risk_model(small_features, outcomes, outcomes["outcome_known_at"].max(), config)
    assert result.model.categories
    assert result.model.metadata["served_model_fitted_on"] == [
        "train",
        "early_stopping",
        "calibration",
    ]
    rows = result.model.metadata["rows"]
    before_test = rows["train"] + rows["early_stopping"] + rows["calibration"]
    for category, model in result.model.categories.items():
        metrics = result.report[category]
        assert metrics["served_trees"] == max(
            1, round(metrics["best_iteration"] * before_test / rows["train"])
        )
        trees = model.booster.trees_to_dataframe()
        root = trees[(trees["tree_index"] == 0) & (trees["node_depth"] == 1)]
        assert int(root["count"].iloc[0]) == before_test
        # Bin support describes held-out scores: every calibration row counted once.
        assert sum(model.support["counts"]) == rows["calibration"]
    test_start = pd.Timestamp(result.windows["test"][0])
    assert pd.Timestamp(result.windows["calibration"][1]) < test_start

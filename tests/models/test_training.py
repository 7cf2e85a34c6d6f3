"""Tree size follows the evidence; refits see the early-stopping and calibration rows;
a category leaves the default feature view only for one confidently better on held-out
findings."""

import numpy as np
import pandas as pd
import pytest

from config.settings import Settings
from features.definitions import FEATURE_VIEWS
from features.spec import FeatureSpec
from models.training import (
    TrainingConfig,
    choose_view,
    fit_classifier,
    labelled_rows,
    num_leaves,
    train_risk_model,
    view_matrix,
)


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


def _rows_seen(booster) -> int:
    trees = booster.trees_to_dataframe()
    return int(trees.loc[(trees["tree_index"] == 0) & (trees["node_depth"] == 1), "count"].iloc[0])


def test_refit_uses_train_and_early_stopping_rows_with_scaled_trees():
    rng = np.random.default_rng(0)
    train, stopping = _rows(rng, 3000), _rows(rng, 1000)
    params = {**TrainingConfig().lgbm_params, "n_estimators": 200, **NO_BAGGING}
    classifier, info = fit_classifier(train, stopping, [], TrainingConfig(lgbm_params=params))
    assert info["refit_trees"] == max(1, round(info["best_iteration"] * 4000 / 3000))
    assert classifier.booster_.current_iteration() == info["refit_trees"]
    assert _rows_seen(classifier.booster_) == 4000  # refitted on both windows

    plain, info = fit_classifier(
        train, stopping, [], TrainingConfig(lgbm_params=params, refit=False)
    )
    assert "refit_trees" not in info and _rows_seen(plain.booster_) == 3000


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
        assert _rows_seen(model.booster) == before_test
        # Bin support describes held-out scores: every calibration row counted once.
        assert sum(model.support["counts"]) == rows["calibration"]
    test_start = pd.Timestamp(result.windows["test"][0])
    assert pd.Timestamp(result.windows["calibration"][1]) < test_start


def test_level_cutoffs_split_the_test_periods_declarations_at_the_capacity(
    small_features, small_sources
):
    """Cut-offs: the quantiles of every declaration of the test period (inspected or not)
    at 1 - 4c, 1 - c, 1 - c/5, per category and for the combined probability."""
    outcomes = small_sources["inspection_outcomes"]
    config = TrainingConfig.for_settings(Settings(inspection_capacity=0.04))
    result = train_risk_model(small_features, outcomes, outcomes["outcome_known_at"].max(), config)
    lo, hi = (pd.Timestamp(t) for t in result.windows["test"])
    recent = small_features[small_features["declared_at"].between(lo, hi)]
    assert len(recent) > 4 * len(result.test_features)  # not only the labelled rows
    model = result.model
    probabilities = model.predict_proba(model.spec.encode(recent))
    scored = {**probabilities, "overall": model.overall(probabilities)[0]}
    cutoffs = {name: m.level_cutoffs for name, m in model.categories.items()}
    cutoffs["overall"] = model.overall_cutoffs
    capacity = config.inspection_capacity
    shares = (4 * capacity, capacity, capacity / 5)  # levels ≥ 2, ≥ 3, 4
    assert model.categories
    for name, probability in scored.items():
        assert len(np.unique(probability)) > 100, name  # else any rows give the same cut-offs
        assert cutoffs[name] == np.quantile(probability, [1 - s for s in shares]).tolist(), name
        # Each cut-off splits the period at its share: scores tied at a cut-off take the
        # higher level, so the share at or above may exceed it by the ties, never fall short.
        n = len(probability)
        for cutoff, share in zip(cutoffs[name], shares, strict=True):
            assert (probability > cutoff).mean() - 1 / n <= share, name
            assert share <= (probability >= cutoff).mean() + 1 / n, name


def _unused(model, spec, view) -> list[str]:
    """Features outside ``view`` that the category's booster nevertheless splits on."""
    gain = model.booster.feature_importance("gain")
    return [
        n for n, g in zip(spec.names, gain, strict=True) if g > 0 and n not in FEATURE_VIEWS[view]
    ]


def test_a_view_blanks_the_features_outside_it(small_features):
    spec = FeatureSpec.fit(small_features)
    matrix = spec.encode(small_features.head(50))
    assert view_matrix(matrix, spec, "with_history") is matrix
    viewed = view_matrix(matrix, spec, "declaration_only")
    kept = [j for j, n in enumerate(spec.names) if n in FEATURE_VIEWS["declaration_only"]]
    blank = [j for j in range(len(spec.names)) if j not in kept]
    assert blank and np.isnan(viewed[:, blank]).all()
    np.testing.assert_array_equal(viewed[:, kept], matrix[:, kept])
    assert not np.isnan(matrix[:, blank]).all()  # the input is left as it was


def test_a_declaration_view_model_reads_the_full_matrix_and_ignores_history(
    small_features, small_sources
):
    outcomes = small_sources["inspection_outcomes"]
    config = TrainingConfig(feature_views=("declaration_only",))
    result = train_risk_model(small_features, outcomes, outcomes["outcome_known_at"].max(), config)
    spec = result.model.spec
    matrix = spec.encode(result.test_features)
    for category, model in result.model.categories.items():
        assert result.report[category]["feature_view"] == "declaration_only"
        assert _unused(model, spec, "declaration_only") == []
        # Serving passes the full matrix: history values change nothing, explain nothing.
        np.testing.assert_array_equal(
            model.probability(matrix),
            model.probability(view_matrix(matrix, spec, "declaration_only")),
        )
        history = [
            j for j, n in enumerate(spec.names) if n not in FEATURE_VIEWS["declaration_only"]
        ]
        assert not model.contributions(matrix)[:, history].any()


def test_a_category_leaves_the_default_view_only_on_confident_held_out_evidence(
    small_features, small_sources
):
    outcomes = small_sources["inspection_outcomes"].copy()
    # Plant a finding that only history can see: earlier revenue findings of the consignee.
    keys = ["declaration_id", "item_no"]
    history = small_features[[*keys, "consignee_findings_rate_revenue"]]
    rate = outcomes[keys].merge(history, on=keys, how="left")["consignee_findings_rate_revenue"]
    outcomes["finding_revenue"] = (rate > 0.05).to_numpy()
    config = TrainingConfig.for_settings(Settings())
    result = train_risk_model(small_features, outcomes, outcomes["outcome_known_at"].max(), config)
    assert result.model.metadata["feature_views_compared"] == list(config.feature_views)
    for category, model in result.model.categories.items():
        entry = result.report[category]
        shares = entry["calibration_window_share_better_than_default"]
        switched = entry["feature_view"] != "with_history"
        assert switched == (shares["declaration_only"] >= config.view_confidence)
        assert _unused(model, result.model.spec, entry["feature_view"]) == []
    revenue = result.report["revenue"]
    assert revenue["feature_view"] == "with_history"
    by_view = revenue["calibration_window_auc_pr_by_view"]
    assert by_view["with_history"] > by_view["declaration_only"] + 0.1


def test_another_view_replaces_the_default_only_when_it_is_confidently_better():
    rng = np.random.default_rng(1)
    y = (rng.random(4000) < 0.05).astype(int)
    noise = rng.normal(size=len(y))
    scores = {"with_history": noise, "declaration_only": noise + 3 * y}
    view, evidence = choose_view(scores, y, TrainingConfig())
    assert view == "declaration_only"
    assert evidence["calibration_window_share_better_than_default"]["declaration_only"] == 1.0
    # Better on one of a handful of findings and worse on another is not enough.
    few = np.zeros(200, dtype=int)
    few[:4] = 1
    base = rng.normal(size=200)
    mixed = base.copy()
    mixed[0], mixed[1] = 5.0, -3.0
    view, evidence = choose_view(
        {"with_history": base, "declaration_only": mixed}, few, TrainingConfig()
    )
    by_view = evidence["calibration_window_auc_pr_by_view"]
    assert by_view["declaration_only"] > by_view["with_history"]
    assert view == "with_history"
    only = TrainingConfig(feature_views=("declaration_only",))
    assert choose_view({"declaration_only": base}, few, only)[0] == "declaration_only"


def test_training_config_for_settings_carries_the_inspection_capacity(settings_for, tmp_path):
    settings = settings_for(tmp_path).model_copy(update={"inspection_capacity": 0.02})
    config = TrainingConfig.for_settings(settings)
    assert config.inspection_capacity == 0.02
    assert (config.min_positives, config.seed) == (settings.min_positives, settings.seed)


def test_training_uses_only_outcomes_known_by_as_of(small_features, small_sources):
    outcomes = small_sources["inspection_outcomes"]
    as_of = outcomes["outcome_known_at"].quantile(0.5)
    rows = labelled_rows(small_features, outcomes, as_of)
    keys = ["declaration_id", "item_no"]
    known = outcomes[outcomes["outcome_known_at"] <= as_of]
    # Items declared by as_of but inspected with an outcome only later: not yet labels.
    declared_at = outcomes[keys].merge(small_features[[*keys, "declared_at"]], on=keys)
    pending = outcomes[
        (declared_at["declared_at"] <= as_of).to_numpy() & (outcomes["outcome_known_at"] > as_of)
    ]
    assert len(pending) > 0 and len(known) < len(outcomes)
    labelled = set(map(tuple, rows[keys].to_numpy()))
    assert labelled == set(map(tuple, known[keys].to_numpy()))
    assert labelled.isdisjoint(map(tuple, pending[keys].to_numpy()))
    assert (rows["outcome_known_at"] <= as_of).all()
    assert rows["declared_at"].is_monotonic_increasing


def test_training_without_matured_labels_names_the_date_instead_of_failing_in_lightgbm(
    small_features, small_sources
):
    outcomes = small_sources["inspection_outcomes"]
    before_any = outcomes["outcome_known_at"].min() - pd.Timedelta(seconds=1)
    config = TrainingConfig.for_settings(Settings())
    with pytest.raises(ValueError, match=f"no inspection outcomes known by {before_any}"):
        train_risk_model(small_features, outcomes, before_any, config)

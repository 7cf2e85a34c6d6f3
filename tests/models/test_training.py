"""Tree size follows the evidence; the served trees are those their calibrator was fitted
on; a category leaves the default feature view only for one confidently better on held-out
findings; cut-offs and reference scores come from the test period's declarations."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from raw_score import RawScore

from config.settings import Settings
from features.definitions import FEATURE_VIEWS
from features.spec import FeatureSpec
from models.bundle import REFERENCE_SCORES_FILE, RiskModel
from models.calibration import extract, fit_sklearn
from models.training import (
    TrainingConfig,
    choose_view,
    fit_classifier,
    labelled_rows,
    num_leaves,
    reference_scores,
    split_windows,
    train_risk_model,
    view_matrix,
)
from sources.contracts import CREDIT_LEVELS


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


@pytest.fixture(scope="module")
def trained(small_features, small_sources):
    """One training on the small data, at a capacity that is not the default."""
    config = TrainingConfig.for_settings(Settings(inspection_capacity=0.04))
    outcomes = small_sources["inspection_outcomes"]
    as_of = outcomes["outcome_known_at"].max()
    return train_risk_model(small_features, outcomes, as_of, config), config


def test_the_served_booster_is_the_one_its_calibrator_was_fitted_on(
    trained, small_features, small_sources
):
    result, config = trained
    model = result.model
    assert model.categories
    assert model.metadata["served_model_fitted_on"] == ["train", "early_stopping"]
    rows = model.metadata["rows"]
    as_of = pd.Timestamp(model.metadata["as_of"])
    labelled = labelled_rows(small_features, small_sources["inspection_outcomes"], as_of)
    calibration_rows = split_windows(labelled, config.window_shares)["calibration"]
    assert len(calibration_rows) == rows["calibration"]
    lo, hi = (pd.Timestamp(t) for t in result.windows["calibration"])
    matrix = model.spec.encode(calibration_rows)
    for category, category_model in model.categories.items():
        metrics = result.report[category]
        fitted_rows = rows["train"] + rows["early_stopping"]
        assert metrics["refit_trees"] == max(
            1, round(metrics["best_iteration"] * fitted_rows / rows["train"])
        )
        # served: the train + early-stopping refit, not one refitted again on more rows
        assert category_model.booster.current_iteration() == metrics["refit_trees"]
        # The calibrator is the chosen method fitted on the served booster's own scores of
        # the calibration window (which it never saw): refitting it there gives it back.
        raw = category_model.booster.predict(matrix, raw_score=True)
        y = calibration_rows[f"finding_{category}"].to_numpy(dtype=int)
        refitted = extract(
            fit_sklearn(RawScore().fit(raw, y), raw[:, None], y, category_model.calibrator.method)
        )
        grid = np.linspace(raw.min() - 1, raw.max() + 1, 50)
        np.testing.assert_allclose(
            category_model.calibrator.apply(grid), refitted.apply(grid), rtol=1e-6, atol=1e-9
        )
        # Bin support describes held-out scores: every calibration row counted once.
        assert sum(category_model.support["counts"]) == rows["calibration"]
        assert category_model.band.resamples == config.interval_resamples
        for key in ("observed_to_expected", "ece_relative", "interval_coverage"):
            assert key in metrics, key
    test_start = pd.Timestamp(result.windows["test"][0])
    assert hi < test_start and lo < hi


def test_level_cutoffs_split_the_test_periods_declarations_at_the_capacity(trained, small_features):
    """Cut-offs: per category and for the combined probability, the lowest score of the
    test period's declarations (inspected or not) with at most 4c, c and c/5 of them
    strictly above it; ties at a cut-off stay below."""
    result, config = trained
    lo, hi = (pd.Timestamp(t) for t in result.windows["test"])
    recent = small_features[small_features["declared_at"].between(lo, hi)]
    assert len(recent) > 4 * len(result.test_features)  # not only the labelled rows
    model = result.model
    probabilities = model.predict_proba(model.spec.encode(recent))
    scored = {**probabilities, "overall": model.combined_probability(probabilities)}
    cutoffs = {name: m.level_cutoffs for name, m in model.categories.items()}
    cutoffs["overall"] = model.overall_cutoffs
    capacity = config.inspection_capacity
    shares = (4 * capacity, capacity, capacity / 5)  # levels ≥ 2, ≥ 3, 4
    for name, probability in scored.items():
        assert len(np.unique(probability)) > 100, name  # else any rows give the same cut-offs
        assert cutoffs[name] == sorted(cutoffs[name]) and min(cutoffs[name]) >= 0, name
        for cutoff, share in zip(cutoffs[name], shares, strict=True):
            assert cutoff in probability or cutoff == 0.0, name  # an observed score
            assert (probability > cutoff).mean() <= share, name  # never past the share
            # and no lower cut-off would do: one more declaration would pass the share
            assert cutoff == 0.0 or (probability >= cutoff).mean() > share, name
    for name, m in model.categories.items():
        levels = m.level(probabilities[name])
        assert m.indistinct_levels == [k for k in (2, 3, 4) if not (levels == k).any()]


def test_reference_scores_are_the_recent_declarations_as_scored(trained, small_features):
    result, config = trained
    model = result.model
    table = model.reference_scores
    lo, hi = (pd.Timestamp(t) for t in result.windows["test"])
    recent = small_features[small_features["declared_at"].between(lo, hi)]
    assert len(table) == len(recent) <= config.reference_rows
    assert list(table.columns) == [
        "declaration_id",
        "item_no",
        "declared_at",
        "hs_code",
        "consignee_credit_level",
        "declared_duty_cny",
        *(f"probability_{c}" for c in model.categories),
        "low_support",
    ]
    rows = recent.merge(table[["declaration_id", "item_no"]], on=["declaration_id", "item_no"])
    probabilities = model.predict_proba(model.spec.encode(rows))
    for category, probability in probabilities.items():
        np.testing.assert_allclose(table[f"probability_{category}"], probability)
    # The revenue rules' stake: the declared duty the feature log_duty_at_stake is built on.
    np.testing.assert_allclose(np.log1p(table["declared_duty_cny"]), rows["log_duty_at_stake"])
    assert set(table["consignee_credit_level"].dropna()) <= set(CREDIT_LEVELS)
    ordinal = rows["consignee_credit_level"]
    named = table["consignee_credit_level"]
    assert (named.isna() == ordinal.isna()).all()
    assert (named[ordinal == 0] == "advanced_certified").all()
    assert (named[ordinal == 4] == "seriously_dishonest").all()
    assert table["low_support"].dtype == bool
    new_consignee = (rows["consignee_declarations_total"] == 0).to_numpy()
    assert table["low_support"][new_consignee].all() and not table["low_support"].all()
    assert table["hs_code"].str.fullmatch(r"\d{6,10}").all()


def test_reference_scores_are_capped_by_a_reproducible_sample(trained, small_features):
    result, config = trained
    model = result.model
    lo, hi = (pd.Timestamp(t) for t in result.windows["test"])
    recent = small_features[small_features["declared_at"].between(lo, hi)]
    probabilities = model.predict_proba(model.spec.encode(recent))
    capped = replace(config, reference_rows=100)
    first = reference_scores(model, recent, probabilities, small_features, capped)
    again = reference_scores(model, recent, probabilities, small_features, capped)
    assert len(first) == 100 and first["declared_at"].is_monotonic_increasing
    pd.testing.assert_frame_equal(first, again)


def test_the_bundle_round_trips_with_band_levels_and_reference_scores(trained, tmp_path):
    model = trained[0].model
    loaded = RiskModel.load(model.save(tmp_path / "bundle"))
    pd.testing.assert_frame_equal(loaded.reference_scores, model.reference_scores)
    assert loaded.overall_cutoffs == model.overall_cutoffs
    matrix = model.spec.encode(trained[0].test_features)
    for category, original in model.categories.items():
        copy = loaded.categories[category]
        assert copy.band == original.band and copy.level_cutoffs == original.level_cutoffs
        assert copy.indistinct_levels == original.indistinct_levels
        raw = original.booster.predict(matrix, raw_score=True)
        p = original.calibrator.apply(raw)
        for a, b in zip(copy.uncertainty(raw, p), original.uncertainty(raw, p), strict=True):
            np.testing.assert_array_equal(a, b)
    # a bundle saved before reference scores existed still loads, with an empty table
    (tmp_path / "bundle" / REFERENCE_SCORES_FILE).unlink()
    older = RiskModel.load(tmp_path / "bundle")
    assert isinstance(older.reference_scores, pd.DataFrame) and older.reference_scores.empty


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

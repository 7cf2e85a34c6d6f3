"""Feature code: catalogue agreement, online/offline parity, and no leakage from the future."""

import numpy as np
import pandas as pd
import pytest

from features.compute import (
    build_entity_state,
    columns_from_records,
    compute_features,
    feature_frame,
)
from features.definitions import FEATURE_NAMES, FEATURES
from features.spec import FeatureSpec
from features.state import EntityState
from serving.schemas import Declaration


def test_compute_returns_exactly_the_catalogue(small_features):
    assert list(small_features.columns[3:]) == list(FEATURE_NAMES)
    assert len({f.name for f in FEATURES}) == len(FEATURES)
    assert all(f.label and f.description for f in FEATURES)


def test_online_vector_equals_offline_row(small_sources, small_features, small_state, tmp_path):
    """A declaration sent as API JSON, scored against the saved state, encodes like training."""
    small_state.save(tmp_path / "state")
    online_state = EntityState.load(tmp_path / "state")
    spec = FeatureSpec.fit(small_features)
    declarations = small_sources["declarations"]
    sample = declarations.sample(300, random_state=3).sort_index()
    bodies = [
        Declaration.model_validate_json(row.to_json(date_format="iso", date_unit="us")).model_dump()
        for _, row in sample.iterrows()
    ]
    online = spec.encode(compute_features(columns_from_records(bodies), online_state))
    offline = spec.encode(small_features.loc[sample.index])
    np.testing.assert_array_equal(online, offline)
    assert np.isfinite(offline).mean() > 0.8  # the comparison is not between empty vectors


def _truncate(sources: dict[str, pd.DataFrame], cutoff: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The world as it was known just before ``cutoff``."""
    credit = sources["credit_history"]
    credit = credit[credit["valid_from"] < cutoff].copy()
    credit.loc[credit["valid_to"] >= cutoff, "valid_to"] = pd.NaT
    outcomes = sources["inspection_outcomes"]
    return {
        "declarations": sources["declarations"].query("declared_at < @cutoff"),
        "credit_history": credit,
        "monitoring": sources["monitoring"].query("observed_at < @cutoff"),
        "inspection_outcomes": outcomes[outcomes["outcome_known_at"] < cutoff],
    }


def test_later_events_and_outcomes_change_no_feature(small_sources, small_features):
    """Features of declarations before a cut-off are the same whether or not anything
    after it (declarations, matured outcomes, monitoring, credit changes) exists."""
    declarations = small_sources["declarations"]
    cutoff = declarations["declared_at"].quantile(0.6)
    past = _truncate(small_sources, cutoff)
    state = build_entity_state(
        past["declarations"],
        past["credit_history"],
        past["monitoring"],
        past["inspection_outcomes"],
    )
    before = past["declarations"]
    recomputed = feature_frame(before, state)
    spec = FeatureSpec.fit(small_features)
    np.testing.assert_array_equal(
        spec.encode(recomputed), spec.encode(small_features.loc[before.index])
    )
    # The future does exist and does matter for later declarations: the check has teeth.
    later = declarations[declarations["declared_at"] >= cutoff].head(2000)
    with_future = spec.encode(small_features.loc[later.index])
    without_future = spec.encode(feature_frame(later, state))
    assert not np.array_equal(with_future, without_future, equal_nan=True)


def test_an_outcome_counts_only_once_known(small_sources):
    """A finding for a consignee is invisible to its declarations before outcome_known_at."""
    s = small_sources
    outcomes = s["inspection_outcomes"]
    labelled = outcomes.merge(s["declarations"], on=["declaration_id", "item_no"])
    row = labelled[labelled["finding_revenue"]].iloc[0]
    known_at = row["outcome_known_at"]
    probe = s["declarations"][s["declarations"]["consignee_id"] == row["consignee_id"]].head(1)
    probe = pd.concat([probe, probe], ignore_index=True)
    probe["declared_at"] = [known_at - pd.Timedelta(seconds=1), known_at + pd.Timedelta(seconds=1)]
    only = outcomes[
        (outcomes["declaration_id"] == row["declaration_id"])
        & (outcomes["item_no"] == row["item_no"])
    ]
    state = build_entity_state(s["declarations"], s["credit_history"], s["monitoring"], only)
    features = feature_frame(probe, state)
    assert features["consignee_inspections_known"].tolist() == [0.0, 1.0]
    assert features["consignee_findings_rate_revenue"].iloc[0] == 0.0
    assert features["consignee_findings_rate_revenue"].iloc[1] == pytest.approx(1 / 4)

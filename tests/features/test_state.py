"""Point-in-time aggregates: strictly-before semantics, windows, persistence."""

import numpy as np
import pandas as pd

from features.state import AsOfLookup, EntityState, EventAggregate, to_seconds


def _s(*times: str) -> np.ndarray:
    return to_seconds(pd.to_datetime(list(times)).to_numpy())


def _aggregate() -> EventAggregate:
    keys = np.array(["a", "a", "a", "b"], dtype=object)
    times = _s("2025-01-01", "2025-01-05", "2025-02-01", "2025-01-03")
    return EventAggregate.from_events("x", keys, times, {"n": np.ones(4), "v": np.arange(1.0, 5)})


def test_sums_only_events_strictly_before_the_query_time():
    agg = _aggregate()
    keys = np.array(["a", "a", "a", "b", "unseen"], dtype=object)
    sums = agg.window_sums(
        keys, _s("2025-01-05", "2025-01-06", "2025-03-01", "2025-01-03", "2025-03-01"), None
    )
    # an event at exactly the query time is not yet known
    assert sums[:, 0].tolist() == [1, 2, 3, 0, 0]
    assert sums[:, 1].tolist() == [1, 3, 6, 0, 0]


def test_window_excludes_events_older_than_the_window():
    agg = _aggregate()
    sums = agg.window_sums(np.array(["a"], dtype=object), _s("2025-03-01"), 30)
    assert sums[0].tolist() == [1, 3]  # only 2025-02-01 is within 30 days


def test_first_seen_is_missing_without_prior_events():
    agg = _aggregate()
    first = agg.first_seen(
        np.array(["a", "a", "b"], dtype=object), _s("2025-01-01", "2025-01-02", "2025-01-04")
    )
    assert np.isnan(first[0])
    assert first[1] == _s("2025-01-01")[0]
    assert first[2] == _s("2025-01-03")[0]


def test_as_of_lookup_respects_validity_intervals():
    lookup = AsOfLookup.from_intervals(
        "credit",
        np.array(["e1", "e1", "e2"], dtype=object),
        _s("2025-01-01", "2025-03-01", "2025-01-01"),
        np.array([_s("2025-03-01")[0], np.nan, _s("2025-02-01")[0]], dtype=float),
        np.array([2.0, 3.0, 0.0]),
    )
    keys = np.array(["e1", "e1", "e1", "e2", "e2", "zz"], dtype=object)
    values = lookup.value_at(
        keys, _s("2024-12-31", "2025-02-15", "2025-03-02", "2025-01-15", "2025-02-15", "2025-02-15")
    )
    assert np.isnan(values[0])
    assert values[1:4].tolist() == [2.0, 3.0, 0.0]
    assert np.isnan(values[4]) and np.isnan(values[5])  # expired, unknown


def test_state_round_trips_through_files(tmp_path):
    agg = _aggregate()
    lookup = AsOfLookup.from_intervals(
        "credit",
        np.array(["e"], dtype=object),
        _s("2025-01-01"),
        np.array([np.nan]),
        np.array([1.0]),
    )
    EntityState({"x": agg}, {"credit": lookup}, "2025-02-01T00:00:00").save(tmp_path)
    loaded = EntityState.load(tmp_path)
    keys = np.array(["a", "b"], dtype=object)
    t = _s("2025-03-01", "2025-03-01")
    np.testing.assert_array_equal(
        loaded.aggregates["x"].window_sums(keys, t, 40), agg.window_sums(keys, t, 40)
    )
    assert loaded.lookups["credit"].value_at(np.array(["e"], dtype=object), t[:1])[0] == 1.0
    assert loaded.built_through == "2025-02-01T00:00:00"


def test_credit_level_at_the_instant_of_a_change_is_the_previous_one():
    """Valid "just before t": at the change itself the old level still holds."""
    change = _s("2025-03-01")[0]
    lookup = AsOfLookup.from_intervals(
        "credit",
        np.array(["e", "e"], dtype=object),
        _s("2024-01-01", "2025-03-01"),
        np.array([change, np.nan], dtype=float),
        np.array([2.0, 3.0]),
    )
    values = lookup.value_at(np.array(["e"] * 3, dtype=object), change + np.array([-1, 0, 1]))
    assert values.tolist() == [2.0, 2.0, 3.0]

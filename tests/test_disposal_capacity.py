"""Capacity and random-selection reports: target vs actual per day and kind, configured vs
observed random share per credit level."""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest
from disposal_samples import KEY, catalogue, policy, synthetic_scores, thresholds_for

from disposal.capacity import binomial_interval, capacity_report, random_selection_report
from disposal.disposition import dispose_frame, items_of

CAT = catalogue()
POLICY = policy(CAT)


@cache
def disposed() -> pd.DataFrame:
    thresholds = thresholds_for(POLICY, CAT, synthetic_scores(40_000, seed=31))
    return dispose_frame(
        synthetic_scores(40_000, seed=32),
        instructions=[],
        policy=POLICY,
        thresholds=thresholds,
        catalogue=CAT,
        selection_key=KEY,
    )


def test_capacity_counts_items_per_day_and_kind():
    report = capacity_report(disposed(), POLICY, CAT)
    items = items_of(disposed())
    per_day = items.groupby(pd.to_datetime(items["declared_at"]).dt.floor("D")).size()
    assert report.groupby("day")["items"].first().to_dict() == per_day.to_dict()
    day, kind = report["day"].iloc[0], "physical_inspection_manual"
    rows = disposed()[
        (pd.to_datetime(disposed()["declared_at"]).dt.floor("D") == day)
        & (disposed()["kind"] == kind)
    ]
    line = report[(report["day"] == day) & (report["kind"] == kind)].iloc[0]
    assert line["count"] == len(rows.drop_duplicates(["declaration_id", "item_no"]))
    assert line["model_count"] == len(
        rows[rows["source"] == "model"].drop_duplicates(["declaration_id", "item_no"])
    )
    assert line["target_share"] == pytest.approx(0.008 + 0.003)  # its two rules' targets


def test_targets_of_rules_inactive_for_the_model_are_left_out():
    """A model without the categories of a rule cannot meet its target: with the
    thresholds, the report does not count it."""
    unscored = ("prohibited_restricted", "public_health")
    scores = synthetic_scores(5_000, seed=33)
    scores = scores.drop(columns=[c for c in scores if c.endswith(unscored)])
    thresholds = thresholds_for(POLICY, CAT, scores)
    inactive = {r.rule for r in thresholds.rules if not r.active}
    assert "prohibited-manual" in inactive
    disposed_here = dispose_frame(
        scores,
        instructions=[],
        policy=POLICY,
        thresholds=thresholds,
        catalogue=CAT,
        selection_key=KEY,
    )
    manual = capacity_report(disposed_here, POLICY, CAT, thresholds)
    manual = manual[manual["kind"] == "physical_inspection_manual"]
    assert manual["target_share"].iloc[0] == pytest.approx(0.003)  # ipr-manual only


def test_model_shares_meet_the_targets_within_sampling_error():
    report = capacity_report(disposed(), POLICY, CAT)
    total = report.groupby("kind").agg(
        items=("items", "sum"), model=("model_count", "sum"), target=("target_share", "first")
    )
    for kind, row in total[total["target"] > 0].iterrows():
        low, high = binomial_interval(int(row["model"]), int(row["items"]), confidence=0.999)
        assert low <= row["target"] <= high, kind


def test_random_selection_is_within_sampling_error_of_its_configuration():
    report = random_selection_report(disposed(), POLICY)
    assert list(report["credit_level"]) == list(POLICY.credit)
    assert report["within"].all(), report
    assert (report["probability"] == [t.random_share for t in POLICY.credit.values()]).all()


def test_a_wrong_configuration_shows():
    # The report must be able to fail: against a doubled regular share it does.
    doubled = POLICY.model_copy(
        update={
            "credit": POLICY.credit
            | {"regular": POLICY.credit["regular"].model_copy(update={"random_share": 0.06})}
        }
    )
    report = random_selection_report(disposed(), doubled).set_index("credit_level")
    assert not report.loc["regular", "within"]


def test_binomial_interval_edges():
    assert binomial_interval(0, 10) == (0.0, pytest.approx(0.3085, abs=1e-4))
    low, high = binomial_interval(10, 10)
    assert high == 1.0 and low == pytest.approx(0.6915, abs=1e-4)
    low, high = binomial_interval(50, 100)
    assert low < 0.5 < high

"""Effectiveness maths on a tiny, hand-countable month."""

import numpy as np
import pandas as pd
import pytest

from reassessment.effectiveness import effectiveness, summary_rows
from sources.contracts import FINDING_COLUMNS


def _month():
    """20 goods items in March; 6 inspected (rule 3, random 2, planned 1); one pending."""
    declarations = pd.DataFrame(
        {
            "declaration_id": [f"D{i:02d}" for i in range(20)],
            "item_no": 1,
            "declared_at": pd.date_range("2025-03-01", periods=20, freq="D"),
            # 10 regular (2.0), 5 certified (1.0), 4 dishonest (3.0), 1 unrated
            "consignee_credit_level": [2.0] * 10 + [1.0] * 5 + [3.0] * 4 + [np.nan],
        }
    )
    inspected = [0, 1, 15, 16, 5, 10]
    outcomes = pd.DataFrame(
        {
            "declaration_id": [f"D{i:02d}" for i in inspected],
            "item_no": 1,
            "selection_reason": ["rule", "rule", "rule", "random", "random", "planned_sampling"],
            "inspected_at": pd.to_datetime(["2025-03-02"] * 6),
            "outcome_known_at": pd.to_datetime(["2025-03-10"] * 5 + ["2025-05-01"]),
            "duty_recovered_cny": [100.0, 0.0, 50.0, 0.0, 0.0, 999.0],
        }
    )
    for column in FINDING_COLUMNS:
        outcomes[column] = False
    outcomes.loc[[0, 2], "finding_revenue"] = True  # two rule hits
    outcomes.loc[3, "finding_ipr"] = True  # one random hit
    outcomes.loc[5, "finding_revenue"] = True  # planned hit, still pending at the as-of
    return declarations, outcomes


def test_rates_hits_and_duty_per_window():
    declarations, outcomes = _month()
    [march] = effectiveness(declarations, outcomes, pd.Timestamp("2025-04-01"), "M")
    assert march["window"] == "2025-03"
    assert (march["declared"], march["inspected"]) == (20, 6)
    assert march["inspection_rate"] == pytest.approx(0.3)
    assert (march["matured"], march["pending"]) == (5, 1)
    assert march["hits"] == 3 and march["hit_rate"] == pytest.approx(3 / 5)
    assert march["duty_recovered_cny"] == pytest.approx(150.0)  # the pending 999 not yet


def test_hit_rate_by_selection_reason_and_lift_over_random():
    declarations, outcomes = _month()
    [march] = effectiveness(declarations, outcomes, pd.Timestamp("2025-04-01"), "M")
    by_reason = march["by_reason"]
    assert set(by_reason) == {"model", "rule", "random", "planned_sampling", "exploration"}
    assert by_reason["model"]["inspected"] == 0
    assert by_reason["rule"]["hit_rate"] == pytest.approx(2 / 3)
    assert by_reason["random"]["hit_rate"] == pytest.approx(1 / 2)
    assert by_reason["rule"]["lift_over_random"] == pytest.approx((2 / 3) / (1 / 2))
    assert by_reason["planned_sampling"]["matured"] == 0
    # once its outcome is known, the planned inspection counts
    [later] = effectiveness(declarations, outcomes, pd.Timestamp("2025-06-01"), "M")
    assert later["by_reason"]["planned_sampling"]["hit_rate"] == 1.0
    assert later["duty_recovered_cny"] == pytest.approx(1149.0)


def test_inspection_rate_by_credit_level():
    declarations, outcomes = _month()
    [march] = effectiveness(declarations, outcomes, pd.Timestamp("2025-04-01"), "M")
    credit = march["by_credit_level"]
    assert credit["regular"]["declared"] == 10 and credit["regular"]["inspected"] == 3
    assert credit["dishonest"]["inspection_rate"] == pytest.approx(2 / 4)
    assert credit["certified"]["inspection_rate"] == pytest.approx(1 / 5)
    assert credit["unrated"]["declared"] == 1 and credit["unrated"]["inspected"] == 0
    assert credit["dishonest"]["rate_vs_regular"] == pytest.approx(0.5 / 0.3)
    assert credit["dishonest"]["hit_rate"] == 1.0  # D15 (rule) and D16 (random) both hit


def test_calibration_against_given_probabilities():
    declarations, outcomes = _month()
    probabilities = declarations[["declaration_id", "item_no"]].assign(
        probability_revenue=0.25, probability_ipr=0.1
    )
    [march] = effectiveness(
        declarations,
        outcomes,
        pd.Timestamp("2025-04-01"),
        "M",
        probabilities,
        model_as_of=pd.Timestamp("2025-02-01"),
    )
    assert march["out_of_sample"]
    revenue = march["calibration"]["revenue"]
    assert (revenue["labels"], revenue["observed"]) == (5, 2)
    assert revenue["expected"] == pytest.approx(1.25)
    assert revenue["ece"] == pytest.approx(abs(2 / 5 - 0.25))
    assert revenue["ece_relative"] == pytest.approx(abs(2 / 5 - 0.25) / (2 / 5))
    assert revenue["observed_to_expected"] == pytest.approx(2 / 1.25)
    assert revenue["observed_to_expected_low"] < 1 < revenue["observed_to_expected_high"]
    row = summary_rows([march])[0]
    assert row["hit_rate_rule"] == pytest.approx(2 / 3) and row["observed_revenue"] == 2
    assert row["observed_to_expected_revenue"] == pytest.approx(1.6)


def test_weekly_windows_and_declarations_after_the_as_of_are_ignored():
    declarations, outcomes = _month()
    weeks = effectiveness(declarations, outcomes, pd.Timestamp("2025-03-15"), "W")
    assert sum(w["declared"] for w in weeks) == 14
    assert all(w["window"].count("/") == 1 for w in weeks)

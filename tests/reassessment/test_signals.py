"""Route signals on planted data: a route whose finding rate triples is found, stable
routes and small ones are not, and an outcome known after ``until`` is not read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from history_samples import AFTER, BASELINE, RECENT, UNTIL, Lake, stable_lake

from disposal.instructions import InstructionScope
from reassessment.signals import route_signals


def test_a_route_whose_finding_rate_triples_is_found_and_stable_routes_are_not():
    lake = stable_lake()
    lake.plant("99", "CN", BASELINE, 400, 20).plant("99", "CN", RECENT, 120, 18)  # 5 % → 15 %
    scan = route_signals(*lake.frames(), until=UNTIL)
    assert scan.tested == 41  # one category has findings; every route has enough inspections
    assert [(s.hs_chapter, s.origin_country, s.category) for s in scan.signals] == [
        ("99", "CN", "food_safety")
    ]
    signal = scan.signals[0]
    assert (signal.recent_findings, signal.recent_inspected) == (18, 120)
    assert (signal.baseline_findings, signal.baseline_inspected) == (20, 400)
    assert signal.recent_rate == pytest.approx(0.15) and signal.baseline_rate == 0.05
    assert signal.rate_increase == pytest.approx(0.10)
    assert signal.p_value < 0.001 and signal.p_value <= signal.q_value <= 0.10
    assert signal.recent_low > signal.baseline_rate
    assert InstructionScope.model_validate(signal.suggested_scope) == InstructionScope(
        hs_prefixes=("99",), origin_countries=("CN",)
    )
    assert signal.suggested_categories == ["food_safety"]
    assert scan.recent_start == UNTIL - timedelta(days=28)
    assert scan.baseline_start == UNTIL - timedelta(days=28 + 182)


def test_an_outcome_known_after_until_is_not_read():
    lake = stable_lake()
    lake.plant("99", "CN", BASELINE, 400, 20).plant("99", "CN", RECENT, 120, 18)
    # inspected before UNTIL, known after it: 40 more findings on a stable route and on
    # the rising one would make the first a signal and change the second's counts
    lake.plant("02", "BR", AFTER, 40, 40).plant("99", "CN", AFTER, 40, 40)
    scan = route_signals(*lake.frames(), until=UNTIL)
    assert [(s.hs_chapter, s.origin_country) for s in scan.signals] == [("99", "CN")]
    assert (scan.signals[0].recent_findings, scan.signals[0].recent_inspected) == (18, 120)
    later = route_signals(*lake.frames(), until=UNTIL + timedelta(days=3))
    assert {(s.hs_chapter, s.origin_country) for s in later.signals} >= {("02", "BR")}


def test_a_route_with_few_inspections_is_not_tested_and_signals_are_ranked():
    lake = stable_lake()
    lake.plant("97", "FR", BASELINE, 400, 20).plant("97", "FR", RECENT, 10, 10)  # too few
    lake.plant("99", "CN", BASELINE, 400, 20).plant("99", "CN", RECENT, 120, 18)
    lake.plant("98", "IN", BASELINE, 400, 20).plant("98", "IN", RECENT, 120, 30, "revenue")
    scan = route_signals(*lake.frames(), until=UNTIL)
    found = [(s.hs_chapter, s.origin_country, s.category) for s in scan.signals]
    # 98/IN: 30 revenue findings where none were before (and its food safety fell to 0)
    assert found == [("98", "IN", "revenue"), ("99", "CN", "food_safety")]
    assert [s.q_value for s in scan.signals] == sorted(s.q_value for s in scan.signals)
    assert ("97", "FR", "food_safety") not in found
    fewer = route_signals(*lake.frames(), until=UNTIL, min_inspected=10)
    assert ("97", "FR", "food_safety") in [
        (s.hs_chapter, s.origin_country, s.category) for s in fewer.signals
    ]
    assert fewer.tested == scan.tested + 1


def test_no_history_no_signal():
    declarations, outcomes = Lake().plant("02", "BR", BASELINE, 1, 0).frames()
    scan = route_signals(declarations[:0], outcomes[:0], until=UNTIL)
    assert (scan.tested, scan.signals) == (0, ())
    assert route_signals(declarations, outcomes, until=UNTIL).signals == ()

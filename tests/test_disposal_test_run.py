"""Test run of an instruction's scope on a few hand-made goods items: what it hits, what
inspecting those found, and nothing known only after the end of the window."""

from __future__ import annotations

import pandas as pd
import pytest
from disposal_samples import at, catalogue

from disposal.instructions import InstructionScope, draft
from disposal.test_run import UntilBasis, scope_test_run, wilson_interval
from sources.contracts import RISK_CATEGORIES

# (declaration, item, HS code, origin, declared day, inspected day, known day, findings)
ITEMS = (
    ("D0000001", 1, "0207120000", "BR", -20, -19, -18, ("food_safety",)),
    ("D0000001", 2, "0207140000", "BR", -20, -19, -18, ()),
    ("D0000002", 1, "0207120000", "AR", -25, -24, -23, ("revenue",)),  # other origin
    ("D0000003", 1, "0303890000", "BR", -15, None, None, ()),
    ("D0000004", 1, "0207990000", "BR", -2, -1, 3, ("food_safety",)),  # known after day 0
    ("D0000005", 1, "0207120000", "BR", -40, -39, -38, ("food_safety",)),  # before window
    ("D0000006", 1, "0207120000", "BR", -10, -9, -8, ("ipr",)),  # another category
    ("D0000008", 1, "0207120000", "BR", 5, None, None, ()),  # the lake's last item
)


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    declarations = pd.DataFrame(
        {
            "declaration_id": [i[0] for i in ITEMS],
            "item_no": [i[1] for i in ITEMS],
            "declared_at": [at(i[4]).replace(tzinfo=None) for i in ITEMS],
            "hs_code": [i[2] for i in ITEMS],
            "origin_country": [i[3] for i in ITEMS],
            "consignee_id": "91310000MA1FL0001X",
            "declarant_id": "3101980001",
            "port_code": "2200",
            "trade_mode": "0110",
            "value_cny": 10_000.0,
        }
    )
    inspected = [i for i in ITEMS if i[5] is not None]
    outcomes = pd.DataFrame(
        {
            "declaration_id": [i[0] for i in inspected],
            "item_no": [i[1] for i in inspected],
            "inspected_at": [at(i[5]).replace(tzinfo=None) for i in inspected],
            "outcome_known_at": [at(i[6]).replace(tzinfo=None) for i in inspected],
            **{f"finding_{c}": [c in i[7] for i in inspected] for c in RISK_CATEGORIES},
        }
    )
    return declarations, outcomes


def poultry_from_brazil():
    return draft(
        instruction_id="INS-TEST-RUN",
        scope={"hs_prefixes": ["0207"], "origin_countries": ["BR"]},
        measures=["LAB"],
        categories=["food_safety"],
        reason="Frozen poultry: sample for salmonella.",
        valid_from=at(1),
        valid_to=at(31),
        drafted_by="analyst-li",
        at=at(0),
        catalogue=catalogue(),
    )


def test_counts_hits_and_the_finding_rate_among_the_inspected_hits():
    declarations, outcomes = frames()
    run = scope_test_run(poultry_from_brazil(), declarations, outcomes, until=at(0))
    assert (run.until, run.until_basis, run.window_start) == (at(0), UntilBasis.REQUESTED, at(-28))
    assert (run.instruction_id, run.version, run.categories) == (
        "INS-TEST-RUN",
        1,
        ("food_safety",),
    )
    assert (run.items, run.items_hit, run.declarations_hit) == (6, 4, 3)
    assert run.share_hit == pytest.approx(4 / 6)
    # D1/1 found food safety; D1/2 nothing; D6 only IPR, not a category of the instruction
    assert (run.hit.inspected, run.hit.with_finding, run.hit.rate) == (3, 1, pytest.approx(1 / 3))
    assert run.hit.low < 1 / 3 < run.hit.high
    # D2 (Argentina) was inspected too, and its revenue finding is not food safety
    assert (run.all_inspected.inspected, run.all_inspected.with_finding) == (4, 1)
    assert [w.items for w in run.per_week] == [1, 3, 1, 1]
    assert [w.items_hit for w in run.per_week] == [0, 2, 1, 1]
    assert [w.inspected_hit for w in run.per_week] == [0, 2, 1, 0]
    assert run.per_week[0].start == at(-28) and run.per_week[-1].end == at(0)


def test_an_outcome_known_after_the_end_of_the_window_is_not_counted():
    declarations, outcomes = frames()
    run = scope_test_run(poultry_from_brazil(), declarations, outcomes, until=at(0))
    # D4 was inspected on day -1 but its finding became known on day 3
    assert run.pending_hit == 1
    assert run.hit.with_finding == 1 and run.per_week[-1].with_finding_hit == 0
    later = scope_test_run(poultry_from_brazil(), declarations, outcomes, until=at(4))
    assert later.pending_hit == 0
    assert (later.hit.inspected, later.hit.with_finding) == (4, 2)  # D1/1 and D4 found


def test_a_lake_that_ends_earlier_ends_the_window():
    declarations, outcomes = frames()
    run = scope_test_run(poultry_from_brazil(), declarations, outcomes, until=at(60))
    assert (run.requested_until, run.until, run.until_basis) == (at(60), at(5), UntilBasis.LAKE_END)
    assert (run.items, run.items_hit) == (6, 5)  # D2 before the window; D3 is not poultry
    assert (run.hit.inspected, run.hit.with_finding) == (4, 2)


def test_a_bare_scope_counts_every_category_and_nothing_hit_has_no_rate():
    declarations, outcomes = frames()
    scope = InstructionScope(hs_prefixes=("0207",), origin_countries=("BR",))
    run = scope_test_run(scope, declarations, outcomes, until=at(0))
    assert run.instruction_id is None and run.categories == RISK_CATEGORIES
    assert (run.hit.inspected, run.hit.with_finding) == (3, 2)  # the IPR finding counts now
    nothing = InstructionScope(origin_countries=("NZ",))
    empty = scope_test_run(nothing, declarations, outcomes, until=at(0))
    assert (empty.items_hit, empty.hit.rate, empty.hit.low, empty.hit.high) == (0, None, None, None)
    assert empty.all_inspected.rate == pytest.approx(3 / 4)  # D1/1, D2, D6
    with pytest.raises(ValueError, match="unknown risk categories"):
        scope_test_run(scope, declarations, outcomes, until=at(0), categories=["weather"])


def test_an_empty_lake_gives_an_empty_run():
    declarations, outcomes = frames()
    run = scope_test_run(poultry_from_brazil(), declarations[:0], outcomes[:0], until=at(0))
    assert (run.items, run.share_hit, run.until_basis) == (0, None, UntilBasis.REQUESTED)
    assert [w.items for w in run.per_week] == [0, 0, 0, 0]


def test_wilson_interval():
    low, high = wilson_interval(5, 10)  # 90 %: z = 1.645
    assert (float(low), float(high)) == (
        pytest.approx(0.2693, abs=1e-4),
        pytest.approx(0.7307, abs=1e-4),
    )
    low, high = wilson_interval(0, 10)
    assert float(low) == 0.0 and 0.1 < float(high) < 0.25  # not empty at no finding

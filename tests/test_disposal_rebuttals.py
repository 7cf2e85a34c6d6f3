"""Rebuttals (Art. 15) in the decision path: a declaration decided again with accepted
evidence loses the model's measure for the rebutted categories on the items covered, and
keeps what does not rest on the model: instructions, random selection, other categories."""

from __future__ import annotations

from functools import cache

import pytest
from disposal_samples import KEY, at, catalogue, item, policy, synthetic_scores, thresholds_for

from disposal.decisions import DisposalRules, decide
from disposal.instructions import draft, publish
from disposal.rebuttals import Rebuttal, highest_level, rebutted_categories, set_aside
from models.decision import CategoryRisk, Decision, Severity, Trend, Uncertainty
from sources.contracts import RISK_CATEGORIES

CAT = catalogue()
DECLARATION = "220020260000000001"
FOOD_SAFETY_EVIDENCE = Rebuttal(
    evidence_id="EVD-lab", declaration_id=DECLARATION, item_no=1, categories=("food_safety",)
)


@cache
def rules() -> DisposalRules:
    pol = policy(CAT)
    return DisposalRules(CAT, pol, thresholds_for(pol, CAT, synthetic_scores(20_000, 11)), KEY)


class FixedScorer:
    """Scores each goods item with the probabilities (and levels) given for it: the
    assessment the disposal reads, without a model."""

    model_version = "test-model"

    def __init__(self, probabilities: dict[tuple[str, int], dict[str, float]], credit: str):
        self.probabilities, self.credit = probabilities, credit

    def score(self, declarations, explain=True) -> list[Decision]:
        return [self._decision(d) for d in declarations]

    def _decision(self, declaration) -> Decision:
        key = (declaration["declaration_id"], declaration["item_no"])
        risks = {c: _risk(p, 4 if p > 0.3 else 1) for c, p in self.probabilities[key].items()}
        return Decision.trusted(
            request_id="r",
            declaration_id=key[0],
            item_no=key[1],
            model_version=self.model_version,
            thresholds_version="t",
            input_hash="h",
            scored_at=at(2).isoformat(),
            overall_probability=max(r.probability for r in risks.values()),
            overall_level=max(r.level for r in risks.values()),
            low_support=False,
            low_support_reasons=[],
            risks=risks,
            not_scored={},
            reasons_unit="log-odds",
            consignee_credit_level=self.credit,
        )


def _risk(p: float, level: int) -> CategoryRisk:
    return CategoryRisk.trusted(
        probability=p,
        likelihood=p,
        severity=Severity.trusted(measure="duty at risk (CNY)", value=0.0),
        trend=Trend.trusted(direction="no_data", recent_rate=None, previous_rate=None),
        uncertainty=Uncertainty.trusted(interval_90=[p, p], calibration_support=100),
        level=level,
        reasons=[],
    )


def goods(declaration_id: str = DECLARATION, items: int = 2) -> list[dict]:
    """Frozen chicken from Brazil, ``items`` goods items of one declaration."""
    fields = item().model_dump(include={"hs_code", "origin_country", "consignee_id"})
    fields |= item().model_dump(include={"declarant_id", "port_code", "trade_mode", "value_cny"})
    return [{**fields, "declaration_id": declaration_id, "item_no": n} for n in range(1, items + 1)]


def decided(declarations, rebuttals=(), instructions=(), credit="regular", risky_items=(1, 2)):
    """Each declaration's items: food safety 0.6 on ``risky_items`` (the model sends them
    to the lab), everything else negligible."""
    probabilities = {
        (d["declaration_id"], d["item_no"]): dict.fromkeys(RISK_CATEGORIES, 0.001)
        | ({"food_safety": 0.6} if d["item_no"] in risky_items else {})
        for d in declarations
    }
    scorer = FixedScorer(probabilities, credit)
    return decide(scorer, declarations, rules(), list(instructions), at(2), rebuttals=rebuttals)


def sources(item_decision) -> list[tuple[str, str]]:
    return [(m.code, m.source) for m in item_decision.measures]


def model_categories(item_decision) -> set[str]:
    return {c for m in item_decision.measures if m.source == "model" for c in m.categories}


def test_without_rebuttal_the_model_sends_the_risky_items_to_the_lab():
    (decision,) = decided(goods())
    assert [("LAB", "model") in sources(i) for i in decision.items] == [True, True]
    assert decision.rebuttals == []
    assert decision.model_dump(mode="json")["rebuttals"] == []


def test_the_rebutted_category_loses_its_model_measure_on_the_covered_item_only():
    (decision,) = decided(goods(), [FOOD_SAFETY_EVIDENCE])
    first, second = decision.items
    assert "food_safety" not in model_categories(first)
    assert sources(first) == [("REL", "model")]
    assert ("LAB", "model") in sources(second), "evidence on item 1 says nothing of item 2"
    assert decision.disposition_item_no == 2
    # the model's assessment is kept as made, and the decision says what was set aside
    assert first.risks["food_safety"].probability == 0.6
    assert decision.model_dump(mode="json")["rebuttals"] == [
        {
            "evidence_id": "EVD-lab",
            "declaration_id": DECLARATION,
            "item_no": 1,
            "categories": ["food_safety"],
        }
    ]
    assert decision.rebutted() == {1: frozenset({"food_safety"})}


def test_evidence_on_the_whole_declaration_covers_every_item():
    whole = FOOD_SAFETY_EVIDENCE.model_copy(update={"item_no": None})
    (decision,) = decided(goods(), [whole])
    assert [sources(i) for i in decision.items] == [[("REL", "model")], [("REL", "model")]]
    assert not decision.blocks_release


def test_another_category_of_the_same_item_still_counts():
    revenue_only = FOOD_SAFETY_EVIDENCE.model_copy(update={"categories": ("revenue",)})
    (decision,) = decided(goods(), [revenue_only])
    assert ("LAB", "model") in sources(decision.items[0])


def test_a_control_instruction_still_applies():
    instruction = publish(
        draft(
            instruction_id="INS-POULTRY",
            scope={"hs_prefixes": ["0207"]},
            measures=["LAB"],
            categories=["food_safety"],
            reason="Poultry: sample for salmonella.",
            valid_from=at(0),
            valid_to=at(60),
            drafted_by="analyst-li",
            at=at(0),
            catalogue=CAT,
        ),
        "publisher-wang",
        at(0),
    )
    (decision,) = decided(goods(items=1), [FOOD_SAFETY_EVIDENCE], [instruction])
    measures = decision.items[0].measures
    assert [(m.code, m.source, m.instruction_id) for m in measures] == [
        ("LAB", "instruction", "INS-POULTRY")
    ]
    assert decision.disposition.source == "instruction"


def test_a_random_selection_stays_selected():
    (before,) = decided(goods(items=1), credit="seriously_dishonest")  # random share 1
    (after,) = decided(goods(items=1), [FOOD_SAFETY_EVIDENCE], credit="seriously_dishonest")
    assert after.items[0].selection == before.items[0].selection
    assert after.items[0].selection.random
    assert ("MAN", "random") in sources(after.items[0])
    assert "food_safety" not in model_categories(after.items[0])


def test_the_random_draw_repeats_for_every_declaration():
    """The draw is keyed on the declaration number: setting categories aside changes no
    item's selection, so the random sample stays whole."""
    declarations = [d for n in range(150) for d in goods(f"2200202600{n:08d}")]
    rebuttals = [
        Rebuttal(evidence_id=f"EVD-{n}", declaration_id=d, categories=tuple(RISK_CATEGORIES))
        for n, d in enumerate(sorted({d["declaration_id"] for d in declarations}))
    ]
    before = decided(declarations)
    after = decided(declarations, rebuttals)
    selections = [[i.selection for i in d.items] for d in before]
    assert [[i.selection for i in d.items] for d in after] == selections
    drawn = sum(s.random for items in selections for s in items)
    assert 0 < drawn < len(declarations), "some items drawn at random, not all"
    for d in after:
        for i in d.items:
            assert not model_categories(i)
            assert (("MAN", "random") in sources(i)) == i.selection.random


def test_a_rebuttal_naming_a_missing_item_or_declaration_is_an_error():
    stray_item = FOOD_SAFETY_EVIDENCE.model_copy(update={"item_no": 7})
    with pytest.raises(ValueError, match="goods item 7"):
        decided(goods(), [stray_item])
    elsewhere = FOOD_SAFETY_EVIDENCE.model_copy(update={"declaration_id": "220020269999999999"})
    with pytest.raises(ValueError, match="not being decided"):
        decided(goods(), [elsewhere])


@pytest.mark.parametrize("categories", [(), ("tobacco",), ("ipr", "ipr"), ("other",)])
def test_a_rebuttal_names_scored_categories_once(categories):
    with pytest.raises(ValueError):
        Rebuttal(evidence_id="EVD-1", declaration_id=DECLARATION, categories=categories)


def test_set_aside_reads_the_categories_as_no_risk():
    risky = item(
        probabilities={"food_safety": 0.6, "revenue": 0.2}, levels={"food_safety": 4, "revenue": 3}
    )
    aside = set_aside(risky, {"food_safety", "ipr"})
    assert aside.probabilities == {"food_safety": 0.0, "revenue": 0.2}
    assert aside.levels == {"food_safety": 1, "revenue": 3}
    assert set_aside(risky, ()) is risky
    assert highest_level(risky.levels, {"food_safety"}) == 3
    assert highest_level(risky.levels, {"food_safety", "revenue"}) == 1
    assert highest_level({}, ()) is None


def test_rebutted_categories_accumulate_per_item():
    more = Rebuttal(
        evidence_id="EVD-2", declaration_id=DECLARATION, item_no=None, categories=("revenue",)
    )
    assert rebutted_categories([FOOD_SAFETY_EVIDENCE, more], DECLARATION, [1, 2]) == {
        1: frozenset({"food_safety", "revenue"}),
        2: frozenset({"revenue"}),
    }

"""Disposition: precedence, sources, the strictest measure, draws, and one implementation
for a declaration and for a batch (parity)."""

from __future__ import annotations

import copy
from functools import cache

import numpy as np
import pandas as pd
import pytest
import yaml
from disposal_samples import KEY, at, catalogue, item, policy, synthetic_scores, thresholds_for

from config.settings import declared_default
from disposal.catalogue import UnknownMeasure
from disposal.disposition import dispose, dispose_frame, items_of
from disposal.instructions import Instruction, draft, publish, publish_emergency, revoke
from disposal.items import ItemAssessment
from disposal.policy import DisposalPolicy, derive_thresholds
from disposal.selection import RANDOM_SELECTION, draw, item_subject
from sources.contracts import RISK_CATEGORIES

CAT = catalogue()
RAW = yaml.safe_load(declared_default("disposal_policy").read_text(encoding="utf-8"))


@cache
def quiet():
    """The shipped policy without random selection or exploration, and its thresholds:
    what an item gets then depends on instructions and scores only."""
    data = copy.deepcopy(RAW)
    for terms in data["credit"].values():
        terms["random_share"] = 0.0
    data["exploration"]["share"] = 0.0
    pol = DisposalPolicy.from_mapping(data, CAT)
    return pol, thresholds_for(pol, CAT, synthetic_scores(20_000, seed=11))


@cache
def shipped():
    pol = policy(CAT)
    return pol, thresholds_for(pol, CAT, synthetic_scores(20_000, seed=11))


def decide(items, instructions=(), pol_thresholds=None, key="DEC-0001", when=None):
    pol, thresholds = pol_thresholds or quiet()
    return dispose(
        items,
        instructions=list(instructions),
        policy=pol,
        thresholds=thresholds,
        catalogue=CAT,
        selection_key=KEY,
        decision_key=key,
        at=when or at(2),
    )


def risky(item_no=1, **changes):
    """Frozen chicken with a high food-safety probability: the model sends it to the lab."""
    probabilities = dict.fromkeys(RISK_CATEGORIES, 0.001) | {"food_safety": 0.6}
    return item(item_no, probabilities=probabilities, **changes)


def poultry_instruction(**changes) -> Instruction:
    fields = {
        "instruction_id": "INS-POULTRY",
        "scope": {"hs_prefixes": ["0207"]},
        "measures": ["LAB"],
        "categories": ["food_safety"],
        "reason": "Poultry: sample for salmonella.",
        "valid_from": at(0),
        "valid_to": at(60),
        "drafted_by": "analyst-li",
        "at": at(0),
        "catalogue": CAT,
    }
    return publish(draft(**(fields | changes)), "publisher-wang", at(0))


def avian_influenza(origin="BR") -> Instruction:
    e = draft(
        instruction_id="EMG-AI",
        scope={"hs_prefixes": ["0207"], "origin_countries": [origin]},
        measures=["REF"],
        categories=["biosecurity"],
        reason="Avian influenza notice: refuse entry of poultry products.",
        valid_from=at(0),
        valid_to=at(20),
        drafted_by="publisher-wang",
        at=at(0),
        catalogue=CAT,
        emergency=True,
        owner="publisher-wang",
    )
    return publish_emergency(e, "publisher-wang", at(0))


def sources(item_disposition, field="measures"):
    return [(m.code, m.source) for m in getattr(item_disposition, field)]


def test_nothing_applies_release_from_the_model():
    d = decide([item()])
    assert sources(d.items[0]) == [("REL", "model")]
    assert d.strictest.code == "REL" and not d.blocks_release
    assert (d.policy_version, d.catalogue_version) == ("2026.2", "2026.2")
    assert d.thresholds_version == quiet()[1].version


def test_model_policy_measure_names_its_rule_and_priority():
    (applied,) = decide([risky()]).items[0].measures
    assert (applied.code, applied.source, applied.rule) == (
        "LAB",
        "model",
        "animal-plant-products-lab",
    )
    assert applied.priority == pytest.approx(1 - 0.999 * 0.4)  # food safety or biosecurity
    assert applied.name_zh == "取样送检" and applied.blocks_release


def test_instruction_and_model_are_both_listed_with_their_sources():
    instruction = poultry_instruction()
    measures = decide([risky()], [instruction]).items[0].measures
    assert sources_of(measures) == [("LAB", "instruction"), ("LAB", "model")]
    assert (measures[0].instruction_id, measures[0].instruction_version) == ("INS-POULTRY", 2)
    assert measures[0].reason == "Poultry: sample for salmonella."


def sources_of(measures):
    return [(m.code, m.source) for m in measures]


def test_emergency_overrides_instruction_model_and_random_for_its_scope():
    pol_thresholds = shipped()
    doomed = risky(1, credit_level="seriously_dishonest")  # random share 1: always drawn
    d = decide([doomed], [poultry_instruction(), avian_influenza()], pol_thresholds)
    (only,) = d.items[0].measures
    assert (only.code, only.source, only.instruction_id) == ("REF", "emergency", "EMG-AI")
    overridden = sources(d.items[0], "overridden")
    assert {("LAB", "instruction"), ("LAB", "model"), ("MAN", "random")} <= set(overridden)
    assert d.items[0].selection.random and d.items[0].selection.probability == 1.0
    assert d.strictest.code == "REF" and d.blocks_release


def test_emergency_outside_its_scope_changes_nothing():
    d = decide([risky(origin_country="US")], [avian_influenza(origin="BR")])
    assert sources(d.items[0]) == [("LAB", "model")] and d.items[0].overridden == ()


def test_declaration_takes_the_strictest_measure_and_names_the_item():
    audit_only = item(
        2,
        hs_code="8471300000",
        probabilities=dict.fromkeys(RISK_CATEGORIES, 0.001) | {"revenue": 0.9},
    )
    d = decide([item(1, hs_code="8471300000"), audit_only, risky(3)])
    assert [i.strictest.code for i in d.items] == ["REL", "SCN", "LAB"]
    assert (d.strictest.code, d.strictest_item_no) == ("LAB", 3)
    assert d.blocks_release


def test_ties_go_to_the_higher_source_then_the_lower_item():
    instruction = poultry_instruction(scope={"hs_prefixes": ["0207"], "value_min_cny": 1e6})
    d = decide([risky(1), risky(2, value_cny=2e6)], [instruction])
    assert (d.strictest.source, d.strictest_item_no) == ("instruction", 2)
    d = decide([risky(1), risky(2)])
    assert (d.strictest.source, d.strictest_item_no) == ("model", 1)


def test_non_blocking_measures_release_the_declaration():
    revenue = dict.fromkeys(RISK_CATEGORIES, 0.001) | {"revenue": 0.9}
    pol, _ = quiet()
    only_audit = pol.model_copy(
        update={"rules": tuple(r for r in pol.rules if r.name == "revenue-audit")}
    )
    derived = derive_thresholds(
        only_audit, synthetic_scores(5_000, seed=4), catalogue=CAT, reference_id="audit-only"
    )
    d = decide([item(probabilities=revenue, hs_code="8471300000")], (), (only_audit, derived))
    assert d.strictest.code == "PCA" and not d.blocks_release


def test_random_selection_is_the_keyed_draw_of_declaration_and_item():
    pol, thresholds = shipped()
    items = [item(n) for n in range(1, 41)]
    d = decide(items, (), (pol, thresholds), key="ENTRY-2026-000123")
    share = pol.credit["regular"].random_share
    for i in d.items:
        expected = draw(KEY, item_subject("ENTRY-2026-000123", i.item_no), RANDOM_SELECTION)
        assert i.selection.random == (expected < share)
        assert i.selection.probability == share
        assert (("MAN", "random") in sources(i)) == i.selection.random
    again = decide(items, (), (pol, thresholds), key="ENTRY-2026-000123")
    assert again == d  # reproducible


def test_low_support_item_is_explored_with_its_probability_recorded():
    data = copy.deepcopy(RAW)
    data["exploration"].update(share=1.0, cap=1.0)
    pol = DisposalPolicy.from_mapping(data, CAT)
    thresholds = thresholds_for(pol, CAT, synthetic_scores(5_000, seed=4))
    d = decide(
        [
            item(1, low_support=True),
            item(2, credit_level="advanced_certified", low_support=True),
            item(3),
        ],
        (),
        (pol, thresholds),
    )
    first, trusted, supported = d.items
    assert first.selection.exploration and ("MAN", "exploration") in sources(first)
    assert trusted.selection.exploration_probability == pytest.approx(0.2)  # × its weight
    assert supported.selection.exploration_probability == 0.0
    assert not supported.selection.exploration


def test_instructions_not_in_force_are_not_applied():
    published = poultry_instruction()
    revoked = revoke(published, "publisher-zhao", "Lifted.", at(1))
    drafted = draft(
        instruction_id="INS-DRAFT",
        scope={"hs_prefixes": ["02"]},
        measures=["HLD"],
        categories=["food_safety"],
        reason="Draft.",
        valid_from=at(0),
        valid_to=at(9),
        drafted_by="analyst-li",
        at=at(0),
        catalogue=CAT,
    )
    for instruction in (revoked, drafted):
        assert sources(decide([item()], [instruction]).items[0]) == [("REL", "model")]
    assert sources(decide([item()], [published], when=at(61)).items[0]) == [("REL", "model")]


def test_instruction_with_a_measure_the_catalogue_lacks_is_refused():
    stray = poultry_instruction().model_copy(update={"measures": ("XRAY",)})
    with pytest.raises(UnknownMeasure, match="INS-POULTRY v2 imposes 'XRAY'"):
        decide([item()], [stray])


def test_thresholds_of_another_policy_are_refused():
    pol, _ = quiet()
    _, other = shipped()
    with pytest.raises(ValueError, match="were derived for policy"):
        decide([item()], (), (pol, other))


def test_item_numbers_are_unique_and_categories_the_thresholds_use_are_scored():
    with pytest.raises(ValueError, match="item numbers must be unique"):
        decide([item(1), item(1)])
    partial = item(probabilities={"revenue": 0.1}, levels={"revenue": 1})
    with pytest.raises(ValueError, match="which these scores lack"):
        decide([partial])


# --- one implementation for a declaration and for a batch ------------------------------------


def batch_instructions() -> list[Instruction]:
    value = poultry_instruction(
        instruction_id="INS-VALUE",
        scope={"value_min_cny": 2e5, "trade_modes": ["9610"]},
        measures=["DOC", "SCN"],
        categories=["revenue"],
        priority=5,
    )
    route = poultry_instruction(
        instruction_id="INS-ROUTE",
        scope={"routes": ["VN->5100"]},
        measures=["MAN"],
        categories=["ipr"],
    )
    return [poultry_instruction(), value, route, avian_influenza(origin="TH")]


def assessments(rows: pd.DataFrame) -> list[ItemAssessment]:
    return [
        ItemAssessment(
            item_no=int(r["item_no"]),
            hs_code=r["hs_code"],
            origin_country=r["origin_country"],
            consignee_id=r["consignee_id"],
            declarant_id=r["declarant_id"],
            port_code=r["port_code"],
            trade_mode=r["trade_mode"],
            value_cny=float(r["value_cny"]),
            probabilities={c: float(r[f"probability_{c}"]) for c in RISK_CATEGORIES},
            levels={c: int(r[f"level_{c}"]) for c in RISK_CATEGORIES},
            low_support=bool(r["low_support"]),
            credit_level=r["consignee_credit_level"],
            declared_duty_cny=float(r["declared_duty_cny"]),
        )
        for _, r in rows.iterrows()
    ]


def test_dispose_and_dispose_frame_agree():
    pol, thresholds = shipped()
    scores = synthetic_scores(6_000, seed=5)
    instructions = batch_instructions()
    disposed = dispose_frame(
        scores,
        instructions=instructions,
        policy=pol,
        thresholds=thresholds,
        catalogue=CAT,
        selection_key=KEY,
    )
    rng = np.random.default_rng(0)
    sample = rng.choice(scores["declaration_id"].unique(), size=60, replace=False)
    seen_sources = set()
    for declaration_id in sample:
        rows = scores[scores["declaration_id"] == declaration_id]
        d = decide(
            assessments(rows),
            instructions,
            (pol, thresholds),
            key=declaration_id,
            when=rows["declared_at"].iloc[0].to_pydatetime(),
        )
        batch = disposed[disposed["declaration_id"] == declaration_id]
        listed = [
            (i.item_no, m.code, m.source, m.instruction_id, m.rule, aside)
            for i in d.items
            for aside, m in [(False, m) for m in i.measures] + [(True, m) for m in i.overridden]
        ]
        columns = ["item_no", "code", "source", "instruction_id", "rule", "overridden"]
        frame = [
            tuple(None if pd.isna(v) else v for v in row)
            for row in batch[columns].itertuples(index=False)
        ]
        assert sorted(listed, key=str) == sorted(frame, key=str)
        seen_sources |= {m[2] for m in listed}
        per_item = items_of(batch).set_index("item_no")
        for i in d.items:
            row = per_item.loc[i.item_no]
            assert (i.selection.random, i.selection.probability) == (
                row["random"],
                row["random_probability"],
            )
            assert i.selection.exploration_probability == row["exploration_probability"]
            assert i.strictest.code == row["item_strictest"]
        assert (d.strictest.code, d.strictest_item_no, d.blocks_release) == (
            batch["declaration_strictest"].iloc[0],
            batch["declaration_strictest_item_no"].iloc[0],
            batch["declaration_blocks_release"].iloc[0],
        )
    # The sample exercised every source, so the agreement is not an agreement on releases.
    assert {"instruction", "model", "random"} <= seen_sources


def test_parity_sample_covers_emergencies_too():
    pol, thresholds = shipped()
    scores = synthetic_scores(6_000, seed=5)
    disposed = dispose_frame(
        scores,
        instructions=batch_instructions(),
        policy=pol,
        thresholds=thresholds,
        catalogue=CAT,
        selection_key=KEY,
    )
    emergency = disposed[disposed["source"] == "emergency"]
    assert len(emergency) and (emergency["code"] == "REF").all()
    declaration_id = emergency["declaration_id"].iloc[0]
    rows = scores[scores["declaration_id"] == declaration_id]
    d = decide(
        assessments(rows),
        batch_instructions(),
        (pol, thresholds),
        key=declaration_id,
        when=rows["declared_at"].iloc[0].to_pydatetime(),
    )
    batch = disposed[disposed["declaration_id"] == declaration_id]
    assert d.strictest.code == batch["declaration_strictest"].iloc[0] == "REF"
    assert sum(len(i.overridden) for i in d.items) == int(batch["overridden"].sum())

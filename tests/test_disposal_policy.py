"""The disposal policy: validation, thresholds that meet target shares, exploration cap."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from disposal_samples import catalogue, policy, synthetic_scores, thresholds_for

from config.settings import declared_default
from disposal.configfile import ConfigError
from disposal.items import ScoreColumns
from disposal.policy import (
    DisposalPolicy,
    PolicyThresholds,
    derive_thresholds,
    rule_eligible,
    rule_priority,
)

RAW = yaml.safe_load(declared_default("disposal_policy").read_text(encoding="utf-8"))
CAT = catalogue()


def make_policy(mutate=None, rules=None) -> DisposalPolicy:
    data = copy.deepcopy(RAW)
    if rules is not None:
        data["rules"] = rules
    if mutate:
        mutate(data)
    return DisposalPolicy.from_mapping(data, CAT, source="config/policy.yaml")


def problems(mutate) -> str:
    with pytest.raises(ConfigError) as caught:
        make_policy(mutate)
    return str(caught.value)


def reference(revenue, credit="regular", hs_code="8471300000", low_support=False, **more):
    """Hand-made reference rows: the revenue probabilities given, other columns constant."""
    n = len(revenue)
    return pd.DataFrame(
        {
            "probability_revenue": revenue,
            "consignee_credit_level": [credit] * n if isinstance(credit, str) else credit,
            "low_support": [low_support] * n if isinstance(low_support, bool) else low_support,
            "hs_code": [hs_code] * n if isinstance(hs_code, str) else hs_code,
            **more,
        }
    )


def doc_rule(**changes) -> dict:
    return {"name": "docs", "measure": "DOC", "categories": ["revenue"], "target_share": 0.3} | (
        changes
    )


def test_shipped_policy_is_valid_and_covers_every_credit_level():
    pol = policy(CAT)
    assert pol.version == RAW["version"] and pol.release_measure == CAT.release.code
    assert CAT.measure(pol.random_measure).kind.inspects
    assert len({r.name for r in pol.rules}) == len(pol.rules)


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["credit"].pop("regular"), "credit field 'regular': missing"),
        (
            lambda d: d["credit"].update(trusted={"weight": 1, "random_share": 0}),
            "credit field 'trusted': not an Order No. 282 level",
        ),
        (
            lambda d: d["credit"]["dishonest"].update(random_share=1.5),
            "credit.dishonest field 'random_share': Input should be less than or equal to 1",
        ),
        (
            lambda d: d["credit"]["regular"].update(weight=0),
            "credit.regular field 'weight': Input should be greater than 0",
        ),
        (
            lambda d: d["rules"][1].update(target_share=-0.1),
            "rules[1] (name 'animal-plant-products-lab') field 'target_share'",
        ),
        (
            lambda d: d["rules"][2].update(measure="XRAY"),
            "rules[2] (name 'biosecurity-quarantine') field 'measure': 'XRAY' is not in catalogue",
        ),
        (
            lambda d: d["rules"][0].update(measure="QUA"),
            "rules[0] (name 'prohibited-manual') field 'categories': QUA addresses only",
        ),
        (
            lambda d: d["rules"][0].update(measure="REL"),
            "field 'measure': a rule imposes a measure, not release",
        ),
        (
            lambda d: d["rules"][3].update(min_level=5),
            "(name 'food-product-lab') field 'min_level'",
        ),
        (
            lambda d: d["rules"][1].update(hs_chapters=[2]),
            "(name 'animal-plant-products-lab') field 'hs_chapters[0]'",
        ),
        (lambda d: d["rules"][4].update(categories=["pests"]), "field 'categories': unknown"),
        (
            lambda d: d["rules"][4].update(name="prohibited-manual"),
            "rules[4] (name 'prohibited-manual') field 'name': duplicate",
        ),
        (
            lambda d: d.update(random_measure="DOC"),
            "field 'random_measure': 'DOC' is not an inspection measure",
        ),
        (lambda d: d["exploration"].update(measure="WRN"), "exploration field 'measure'"),
        (lambda d: d["exploration"].update(cap=2), "exploration field 'cap'"),
        (lambda d: d.update(release_measure="MAN"), "field 'release_measure'"),
        (lambda d: d.update(unrated_credit_level="none"), "field 'unrated_credit_level'"),
    ],
)
def test_errors_name_file_entry_and_field(mutate, expected):
    message = problems(mutate)
    assert message.startswith("policy.yaml: ")
    assert expected in message


def test_threshold_meets_target_share_exactly_without_ties():
    ref = reference(np.linspace(0.01, 0.5, 100))
    pol = make_policy(rules=[doc_rule()])
    derived = thresholds_for(pol, CAT, ref).rule("docs")
    assert derived.active and derived.reference_share == pytest.approx(0.3)
    assert (ref["probability_revenue"] > derived.threshold).sum() == 30


def test_ties_at_the_threshold_go_below():
    # 10 items: one at 0.9, four tied at 0.5, five at 0.1; a 30 % target cannot split the tie.
    ref = reference([0.9, 0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1, 0.1])
    derived = thresholds_for(make_policy(rules=[doc_rule()]), CAT, ref).rule("docs")
    assert derived.threshold == 0.5
    assert derived.reference_share == pytest.approx(0.1)  # below target, never above


def test_credit_weight_enters_the_priority():
    # Same probabilities; advanced certified (weight 0.2) fall behind regular (weight 1).
    ref = reference([0.4] * 5 + [0.3] * 5, credit=["advanced_certified"] * 5 + ["regular"] * 5)
    derived = thresholds_for(make_policy(rules=[doc_rule(target_share=0.5)]), CAT, ref)
    assert derived.rule("docs").threshold == pytest.approx(0.2 * 0.4)


def test_conditions_restrict_the_eligible_items():
    p = np.linspace(0.01, 0.5, 10)
    ref = reference(
        p,
        hs_code=["0207120000"] * 5 + ["8471300000"] * 5,  # the riskiest five are computers
        level_revenue=[1] * 8 + [4] * 2,
    )
    segment = doc_rule(name="meat", hs_chapters=["02"], target_share=0.2)
    top = doc_rule(name="top", measure="PCA", min_level=4, target_share=0.5)
    derived = thresholds_for(make_policy(rules=[segment, top]), CAT, ref)
    assert derived.rule("meat").threshold == pytest.approx(p[2])  # the top two of chapter 02
    assert derived.rule("meat").reference_share == pytest.approx(0.2)
    assert derived.rule("top").reference_share == pytest.approx(0.2)  # only two reach level 4
    assert "only 2 eligible reference items for 5 wanted" in derived.rule("top").note


def test_min_level_needs_level_columns():
    with pytest.raises(ValueError, match="needs levels of \\['revenue'\\]"):
        thresholds_for(make_policy(rules=[doc_rule(min_level=3)]), CAT, reference([0.1, 0.2]))


def test_rules_of_one_kind_fill_it_in_turn():
    ref = reference(np.linspace(0.01, 0.5, 100))
    first, second = doc_rule(name="first", target_share=0.1), doc_rule(name="second")
    derived = thresholds_for(make_policy(rules=[first, second]), CAT, ref)
    # The second rule looks at the same priority: its 30 % come after the first's 10 %.
    assert derived.rule("second").reference_share == pytest.approx(0.4)
    assert derived.rule("second").added_share == pytest.approx(0.3)


def test_a_stake_ranks_by_expected_duty_and_unknown_duty_ranks_last():
    # Same probability, duties 1..10 k CNY: a 30 % target takes the three largest duties,
    # and an item of larger probability but small duty falls behind them.
    revenue = [0.2] * 10 + [0.6]
    duty = [1_000.0 * k for k in range(1, 11)] + [500.0]
    ref = reference(revenue, declared_duty_cny=duty)
    rule = doc_rule(stake="declared_duty", target_share=3 / 11)
    derived = thresholds_for(make_policy(rules=[rule]), CAT, ref).rule("docs")
    assert derived.threshold == pytest.approx(0.2 * 7_000.0)
    scores = ScoreColumns.from_frame(reference([0.9, 0.2], declared_duty_cny=[np.nan, 9_000.0]))
    priority = rule_priority(("revenue",), scores, np.ones(2), "declared_duty")
    assert list(priority > derived.threshold) == [False, True]


def test_a_stake_needs_the_declared_duty_in_the_reference():
    rule = doc_rule(stake="declared_duty")
    derived = thresholds_for(make_policy(rules=[rule]), CAT, reference([0.1, 0.2, 0.3]))
    assert not derived.rule("docs").active
    assert "no declared duty" in derived.rule("docs").note
    assert "stake" in problems(lambda d: d["rules"][0].update(stake="declared_value"))


def test_unscored_categories_make_a_rule_inactive_not_dropped():
    food = {"name": "food", "measure": "LAB", "categories": ["food_safety"], "target_share": 0.1}
    mixed = doc_rule(name="mixed", categories=["revenue", "ipr"])
    derived = thresholds_for(make_policy(rules=[food, mixed]), CAT, reference([0.1, 0.2, 0.3]))
    assert not derived.rule("food").active and derived.rule("food").threshold is None
    assert "none of ['food_safety'] is scored" in derived.rule("food").note
    assert derived.rule("mixed").active and derived.rule("mixed").unscored_categories == ("ipr",)


def test_thresholds_meet_targets_on_a_fresh_sample_within_sampling_error():
    pol = policy(CAT)
    derived = thresholds_for(pol, CAT, synthetic_scores(60_000, seed=1))
    fresh = synthetic_scores(60_000, seed=2)
    scores = ScoreColumns.from_frame(fresh)
    weights = pol.weights(pol.credit_levels(scores.credit_level))
    for rule in pol.rules:
        t = derived.rule(rule.name)
        assert t.added_share == pytest.approx(rule.target_share, abs=1 / 60_000)
        share = np.mean(
            rule_eligible(rule, t.categories, scores)
            & (rule_priority(t.categories, scores, weights, rule.stake) > t.threshold)
        )
        sd = np.sqrt(t.reference_share * (1 - t.reference_share) / len(fresh))
        assert abs(share - t.reference_share) < 4 * sd + 1e-9, rule.name


def test_exploration_probability_respects_the_cap():
    n = 1000
    low = np.arange(n) < 200  # 20 % low-support: 5 % of them would be 1 % of items
    capped = make_policy(lambda d: d["exploration"].update(share=0.05, cap=0.005))
    derived = thresholds_for(capped, CAT, reference(np.full(n, 0.1), low_support=low))
    assert derived.exploration_probability == pytest.approx(0.025)  # 0.005 / 0.20
    free = make_policy(lambda d: d["exploration"].update(share=0.05, cap=0.05))
    assert thresholds_for(
        free, CAT, reference(np.full(n, 0.1), low_support=low)
    ).exploration_probability == pytest.approx(0.05)


def test_thresholds_round_trip_and_are_versioned_by_their_inputs():
    pol, ref = policy(CAT), synthetic_scores(5_000, seed=3)
    derived = thresholds_for(pol, CAT, ref)
    again = PolicyThresholds.from_dict(json.loads(json.dumps(derived.to_dict())))
    assert again == derived
    assert derive_thresholds(pol, ref, catalogue=CAT, reference_id="synthetic").version == (
        derived.version
    )
    assert derive_thresholds(pol, ref, catalogue=CAT, reference_id="other").version != (
        derived.version
    )
    shifted = ref.assign(probability_revenue=ref["probability_revenue"] * 0.9)
    assert thresholds_for(pol, CAT, shifted).version != derived.version
    edited = make_policy(lambda d: d["rules"][0].update(target_share=0.009))
    assert edited.version == pol.version and edited.fingerprint != pol.fingerprint
    with pytest.raises(ValueError, match=r"derived for policy 2026\.2 \(\w+\), not 2026\.2"):
        derived.check(edited, CAT)


def test_unknown_credit_level_in_scores_is_refused_and_missing_means_unrated():
    pol = policy(CAT)
    assert list(pol.credit_levels(np.array([None, "dishonest"], dtype=object))) == [
        pol.unrated_credit_level,
        "dishonest",
    ]
    with pytest.raises(ValueError, match="unknown credit levels \\['AA'\\]"):
        pol.credit_levels(np.array(["AA"], dtype=object))

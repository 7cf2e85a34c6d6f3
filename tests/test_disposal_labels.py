"""Every non-feature label a reviewer reads: complete for each vocabulary, Chinese and
English, one lookup; the API's English strings unchanged."""

import re
from typing import get_args

import pytest
from disposal_samples import catalogue

from disposal.catalogue import MeasureKind
from disposal.decide import SOURCES
from disposal.instructions import InstructionStatus
from disposal.labels import (
    LABELS,
    UnknownLabel,
    label,
    low_support_reason_in,
    severity_measure_in,
)
from models.assessment import (
    LOW_SUPPORT_REASONS,
    NEW_CONSIGNEE,
    NEW_HS6_ORIGIN,
    SPARSE_CALIBRATION,
    severity,
)
from models.decision import CategoryRisk, Decision, Trend
from sources.contracts import CREDIT_LEVELS, RESERVED_CATEGORIES, RISK_CATEGORIES, SELECTION_REASONS
from sources.labels import DEFAULT_LANGUAGE, LANGUAGES, Label

CJK = re.compile(r"[\u4e00-\u9fff]")


def _levels() -> set[int]:
    bounds = {type(m).__name__: m for m in CategoryRisk.model_fields["level"].metadata}
    return set(range(bounds["Ge"].ge, bounds["Le"].le + 1))


# Each kind's codes are exactly its domain vocabulary, read from where it is declared.
VOCABULARIES = {
    "category": set(RISK_CATEGORIES + RESERVED_CATEGORIES),
    "credit_level": set(CREDIT_LEVELS),
    "selection_reason": set(SELECTION_REASONS),
    "severity_measure": {"duty_at_stake", "weighted_quantity"},
    "low_support_reason": {r.code for r in LOW_SUPPORT_REASONS},
    "trend": set(get_args(Trend.model_fields["direction"].annotation)),
    "risk_level": _levels(),
    "measure_kind": set(MeasureKind),
    "measure_source": set(SOURCES),
    "instruction_status": set(InstructionStatus),
}


def test_every_kind_is_checked_against_its_vocabulary():
    assert set(LABELS) == {*VOCABULARIES, "assessment"}


@pytest.mark.parametrize("kind", sorted(VOCABULARIES))
def test_each_vocabulary_has_exactly_its_labels(kind):
    assert set(LABELS[kind]) == VOCABULARIES[kind]


@pytest.mark.parametrize(
    ("kind", "code"), [(kind, code) for kind, codes in LABELS.items() for code in codes]
)
def test_every_label_has_chinese_and_english(kind, code):
    zh, en = label(kind, code, "zh-CN"), label(kind, code, "en")
    assert zh.strip() and CJK.search(zh), (kind, code, zh)
    assert en.strip() and re.search(r"[A-Za-z]", en) and not CJK.search(en), (kind, code, en)


def test_assessment_terms_name_fields_of_the_decision():
    fields = set(CategoryRisk.model_fields) | set(Decision.model_fields)
    assert set(LABELS["assessment"]) <= fields
    assert label("assessment", "severity", "zh-CN") == "危害程度"  # Art. 10's own words
    assert label("assessment", "trend", "zh-CN") == "发展态势"


def test_labels_of_a_kind_tell_codes_apart():
    for kind, labels in LABELS.items():
        for lang in LANGUAGES:
            words = [lbl.in_(lang) for lbl in labels.values()]
            assert len(set(words)) == len(words), (kind, lang)


def test_official_terms():
    assert label("category", "prohibited_restricted", "zh-CN") == "禁限管制"
    assert label("category", "biosecurity", "zh-CN") == "国门生物安全"
    assert label("credit_level", "advanced_certified", "zh-CN") == "高级认证企业"
    assert label("credit_level", "seriously_dishonest", "zh-CN") == "严重失信企业"
    assert label("risk_level", 4, "zh-CN") == "高风险（4级）"


def test_lookup_falls_back_to_english_and_names_what_is_missing():
    assert label("trend", "rising", "fr") == "Rising"
    assert label("trend", "rising", None) == "Rising"
    assert label("trend", "rising", "zh_CN") == "上升"
    assert label("measure_kind", MeasureKind.RELEASE, "zh-CN") == "放行"
    assert label("instruction_status", "revoked", "zh-CN") == "已撤销"
    # a missing credit level is a consignee without a credit record
    assert label("credit_level", None, "zh-CN") == "无信用记录"
    assert label("selection_reason", None, "en") == "Not selected for inspection"
    with pytest.raises(UnknownLabel, match="no trend label for 'soaring'"):
        label("trend", "soaring", "en")
    with pytest.raises(UnknownLabel, match="no labels of kind 'colour'"):
        label("colour", "red", "en")
    with pytest.raises(UnknownLabel):
        label("trend", None, "en")


def test_default_language_is_chinese():
    assert DEFAULT_LANGUAGE == "zh-CN" and LANGUAGES == ("zh-CN", "en")
    assert Label("Release", "放行").in_(DEFAULT_LANGUAGE) == "放行"


def test_every_measure_of_the_shipped_catalogue_is_named_in_both_languages():
    cat = catalogue()
    for measure in cat.measures.values():
        assert CJK.search(measure.name_zh), measure.code
        assert measure.name_en.strip() and not CJK.search(measure.name_en), measure.code
        assert measure.name_in("zh-CN") == measure.name_zh
        assert measure.name_in("en") == measure.name_en
        assert measure.name_in("ja") == measure.name_en
    assert cat.measure("PCA").name_zh == "稽查"


def test_low_support_reasons_keep_the_api_strings():
    # The API has answered these exact words; the labels must not change them.
    assert NEW_CONSIGNEE.text() == "new consignee: no earlier declaration"
    assert NEW_HS6_ORIGIN.text() == "HS subheading × origin never declared before"
    assert (
        SPARSE_CALIBRATION.text(["revenue", "ipr"])
        == "few held-out cases behind the score of: revenue, ipr"
    )


@pytest.mark.parametrize("reason", LOW_SUPPORT_REASONS, ids=lambda r: r.code)
def test_low_support_reasons_read_back_in_either_language(reason):
    categories = ("revenue", "ipr") if reason is SPARSE_CALIBRATION else ()
    text = reason.text(categories)
    assert low_support_reason_in(text, "en") == text
    chinese = low_support_reason_in(text, "zh-CN")
    assert chinese.startswith(reason.label.zh)
    if categories:
        assert chinese.endswith("：税收安全、侵犯知识产权")
    assert [r.read(text) for r in LOW_SUPPORT_REASONS].count(None) == len(LOW_SUPPORT_REASONS) - 1


def test_unknown_reasons_and_measures_are_shown_as_they_are():
    assert low_support_reason_in("a reason of a later version", "zh-CN") == (
        "a reason of a later version"
    )
    later = "few held-out cases behind the score of: revenue, other_new"
    assert low_support_reason_in(later, "zh-CN").endswith("：税收安全、other_new")
    assert severity_measure_in("something else", "zh-CN") == "something else"


def test_severity_measures_keep_the_api_strings():
    revenue = severity("revenue", 1000.0, 0.1, 5.0)
    food = severity("food_safety", 1000.0, 0.1, 5.0)
    assert revenue.measure == "duty at stake (CNY)"
    assert food.measure == "category weight × log10(1 + net kg)"
    assert severity_measure_in(revenue.measure, "zh-CN") == "涉及税款（人民币元）"
    assert severity_measure_in(food.measure, "en") == food.measure

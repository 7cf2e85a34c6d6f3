"""Every feature and entity label exists in Chinese and English; a language picks one."""

import re

import pytest

from features.definitions import FEATURE_NAMES, FEATURES, FEATURES_BY_NAME
from features.entities import ENTITIES, GOODS_ITEM
from features.spec import FeatureSpec
from sources.contracts import RISK_CATEGORIES
from sources.labels import CATEGORY_LABELS

CJK = re.compile(r"[\u4e00-\u9fff]")


def is_chinese_label(text: str) -> bool:
    return bool(text.strip()) and CJK.search(text) is not None


def is_english_label(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]", text)) and CJK.search(text) is None


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.name)
def test_every_feature_has_a_chinese_and_an_english_label(feature):
    assert is_chinese_label(feature.label_zh), feature.label_zh
    assert is_english_label(feature.label), feature.label


def test_labels_tell_features_apart_in_either_language():
    assert len({f.label for f in FEATURES}) == len(FEATURES)
    assert len({f.label_zh for f in FEATURES}) == len(FEATURES)


@pytest.mark.parametrize("entity", [GOODS_ITEM, *ENTITIES], ids=lambda e: e.name)
def test_every_entity_has_a_chinese_and_an_english_label(entity):
    assert is_chinese_label(entity.label_zh), entity.label_zh
    assert entity.label_in("zh-CN") == entity.label_zh
    assert entity.label_in("en") == entity.label


def test_per_category_features_name_the_category_in_chinese():
    for category in RISK_CATEGORIES:
        name = CATEGORY_LABELS[category].zh
        for prefix in ("consignee", "declarant", "overseas_trader", "hs6", "goods_line", "route"):
            assert name in FEATURES_BY_NAME[f"{prefix}_findings_rate_{category}"].label_zh
        assert name in FEATURES_BY_NAME[f"route_monitoring_{category}_90d"].label_zh
    # the Chinese label says whose history it is, like the English one
    assert FEATURES_BY_NAME["declarant_findings_rate_revenue"].label_zh.startswith("申报单位")


@pytest.mark.parametrize(
    ("lang", "chinese"),
    [
        ("zh-CN", True),
        ("zh_CN", True),
        ("zh", True),
        ("zh-Hans-CN", True),
        ("en", False),
        ("en-GB", False),
        ("fr", False),  # no French labels: English is the fallback
        ("", False),
        (None, False),
    ],
)
def test_label_in_picks_the_language_and_falls_back_to_english(lang, chinese):
    feature = FEATURES_BY_NAME["origin_country"]
    expected = "原产国（地区）" if chinese else "Origin country"
    assert feature.label_in(lang) == expected


def test_catalogue_entry_carries_both_labels():
    entry = FEATURES_BY_NAME["trade_mode"].to_dict()
    assert (entry["label"], entry["label_zh"]) == ("Trade mode", "监管方式")
    assert entry["entity"] == GOODS_ITEM.label


def test_spec_gives_the_label_in_a_language_english_by_default():
    spec = FeatureSpec(FEATURE_NAMES, {})
    assert spec.label("incoterm") == "Incoterm"  # the scoring API's reasons stay English
    assert spec.label("incoterm", "zh-CN") == "成交方式"
    assert spec.label("incoterm", "de") == "Incoterm"

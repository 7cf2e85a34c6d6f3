"""Reviewer-facing labels in Chinese (zh-CN) and English, and the labels of the source
contracts' vocabularies: risk categories, credit levels, selection reasons.

Reviewers are Chinese customs officers and analysts, so every label a reviewer reads
exists in both languages. A :class:`Label` holds the pair; ``Label.in_(lang)`` picks one.
Codes (``revenue``, ``dishonest``, …) stay the identifiers in data and in the API; labels
are for reading only.

The Chinese terms follow the texts the codes come from: the risk categories are Art. 2 of
GACC Order No. 271 word for word (禁限管制, 口岸公共卫生安全, …), the credit levels the five
levels of Order No. 282 (高级认证企业 … 严重失信企业).

Labels of the later layers build on this module: features (``features.definitions``),
the Art. 10 assessment (``models.assessment``) and the one lookup of every non-feature
label, ``disposal.labels``.
"""

from __future__ import annotations

from dataclasses import dataclass

# The languages a label exists in; the first is the reviewers' own (the workbench's default).
LANGUAGES: tuple[str, ...] = ("zh-CN", "en")
DEFAULT_LANGUAGE: str = LANGUAGES[0]


def is_chinese(lang: str | None) -> bool:
    """Whether ``lang`` asks for Chinese: any tag of the ``zh`` family ("zh-CN", "zh_CN",
    "zh-Hans", "zh"), since the simplified label serves them all better than English.
    Anything else, and no language, is English: the fallback."""
    return bool(lang) and lang.replace("_", "-").lower().split("-")[0] == "zh"


@dataclass(frozen=True)
class Label:
    """One thing's name in both languages."""

    en: str
    zh: str

    def in_(self, lang: str | None) -> str:
        """The label in ``lang`` ("zh-CN" or "en"); English for any other language."""
        return self.zh if is_chinese(lang) else self.en


# Art. 2 names. ``other`` is reserved but can appear in instructions and measures.
CATEGORY_LABELS: dict[str, Label] = {
    "prohibited_restricted": Label("Prohibited or restricted goods", "禁限管制"),
    "public_health": Label("Port public health", "口岸公共卫生安全"),
    "biosecurity": Label("Biosecurity", "国门生物安全"),
    "food_safety": Label("Food safety", "食品安全"),
    "product_quality": Label("Product quality and safety", "商品质量安全"),
    "revenue": Label("Revenue (duties and taxes)", "税收安全"),
    "ipr": Label("Intellectual property infringement", "侵犯知识产权"),
    "other": Label("Other cross-border security risks", "其他进出境安全风险"),
}

# Order No. 282 (in force 2026-04-01) names the five levels so; the earlier Order No. 251
# had three (高级认证企业, 失信企业 and the rest).
CREDIT_LEVEL_LABELS: dict[str, Label] = {
    "advanced_certified": Label("Advanced certified enterprise", "高级认证企业"),
    "certified": Label("Certified enterprise", "认证企业"),
    "regular": Label("Regular enterprise", "常规企业"),
    "dishonest": Label("Dishonest enterprise", "失信企业"),
    "seriously_dishonest": Label("Seriously dishonest enterprise", "严重失信企业"),
}
# A consignee without a credit record (the API's ``consignee_credit_level`` is null).
NO_CREDIT_RECORD = Label("No credit record", "无信用记录")

# Why an item was inspected (the inspection outcomes contract). 布控 is the customs word
# for selecting declarations for control; 双随机 the random selection mechanism.
SELECTION_REASON_LABELS: dict[str, Label] = {
    "model": Label("Selected by the risk model", "模型布控"),
    "rule": Label("Selected by a rule or control instruction", "规则/指令布控"),
    "random": Label("Random selection", "随机布控（双随机）"),
    "planned_sampling": Label("Planned sampling (monitoring plan)", "监测计划抽样"),
    "exploration": Label("Exploration sample (Art. 16)", "探索性抽查（第十六条）"),
}
# An item that no measure inspects has no selection reason.
NOT_SELECTED = Label("Not selected for inspection", "未布控查验")

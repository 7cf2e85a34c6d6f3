"""Every non-feature label a reviewer reads, in Chinese (zh-CN) and English, by kind and code.

``label(kind, code, lang)`` is the one lookup: ``label("credit_level", "dishonest",
"zh-CN")`` → 失信企业. The kinds:

- ``category``, ``credit_level``, ``selection_reason``: the source contracts' vocabularies
  (declared in ``sources.labels``);
- ``severity_measure``, ``low_support_reason``: the Art. 10 and Art. 16 words of the
  assessment (declared in ``models.assessment``, where the API's English is written);
- ``assessment``, ``trend``, ``risk_level``: the Art. 10 terms, the trend directions and
  the levels 1-4; ``measure_kind``, ``measure_source``, ``instruction_status``: the
  disposal's vocabularies (declared here).

Measures carry their own names in both languages in the catalogue file
(``Measure.name_in``); features theirs in the feature catalogue (``Feature.label_in``).
The API keeps answering codes and English; these labels are for the reviewers' pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from disposal.catalogue import MeasureKind
from disposal.instructions import InstructionStatus
from models.assessment import LOW_SUPPORT_REASONS, SEVERITY_MEASURES
from sources.labels import (
    CATEGORY_LABELS,
    CREDIT_LEVEL_LABELS,
    LANGUAGES,
    NO_CREDIT_RECORD,
    NOT_SELECTED,
    SELECTION_REASON_LABELS,
    Label,
)

__all__ = [
    "LABELS",
    "LANGUAGES",
    "Label",
    "LabelKind",
    "UnknownLabel",
    "label",
    "low_support_reason_in",
    "severity_measure_in",
]

# Art. 10 of Order No. 271 names what an assessment concludes on; keyed by the fields of
# ``models.decision.CategoryRisk`` and ``Decision`` that carry them.
ASSESSMENT_LABELS: dict[str, Label] = {
    "probability": Label("Probability of a finding", "查获概率"),
    "likelihood": Label("Likelihood", "发生可能性"),
    "severity": Label("Severity", "危害程度"),
    "trend": Label("Trend", "发展态势"),
    "level": Label("Risk level", "风险等级"),
    "uncertainty": Label("Uncertainty", "不确定性"),
    "reasons": Label("Hazard factors", "危害因素"),
    "low_support": Label("Little experience behind the score", "评估依据不足"),
    "consignee_credit_level": Label("Consignee credit level", "收货人信用等级"),
}

TREND_LABELS: dict[str, Label] = {
    "rising": Label("Rising", "上升"),
    "stable": Label("Stable", "平稳"),
    "falling": Label("Falling", "下降"),
    "no_data": Label("Too few inspections to tell", "数据不足"),
}

# Level 4 is the highest here, the reverse of Chinese grades where 一级 is the gravest, so
# the Chinese names the risk and keeps the number to match the API's level.
RISK_LEVEL_LABELS: dict[int, Label] = {
    1: Label("Low (level 1)", "低风险（1级）"),
    2: Label("Moderate (level 2)", "较低风险（2级）"),
    3: Label("Elevated (level 3)", "较高风险（3级）"),
    4: Label("High (level 4)", "高风险（4级）"),
}

MEASURE_KIND_LABELS: dict[str, Label] = {
    MeasureKind.RELEASE: Label("Release", "放行"),
    MeasureKind.POST_CLEARANCE_AUDIT: Label("Post-clearance audit", "稽查"),
    MeasureKind.RISK_WARNING: Label("Risk warning", "风险警示"),
    MeasureKind.DOCUMENTARY_REVIEW: Label("Documentary review", "单证审核"),
    MeasureKind.PHYSICAL_INSPECTION_SCAN: Label("Non-intrusive scan", "机检查验"),
    MeasureKind.PHYSICAL_INSPECTION_MANUAL: Label("Manual physical inspection", "人工查验"),
    MeasureKind.SAMPLING_LAB_TEST: Label("Sampling and laboratory test", "取样送检"),
    MeasureKind.QUARANTINE_TREATMENT: Label("Quarantine treatment", "检疫处理"),
    MeasureKind.HOLD_REFUSE_RETURN: Label("Hold, refuse entry or return", "扣留、禁止入境或退运"),
}

# Where an applied measure comes from (``disposal.decide.Source``).
MEASURE_SOURCE_LABELS: dict[str, Label] = {
    "emergency": Label("Emergency measure (Art. 17)", "应急处置（第十七条）"),
    "instruction": Label("Control instruction", "布控指令"),
    "model": Label("Model risk policy", "模型处置规则"),
    "random": Label("Random selection", "随机布控（双随机）"),
    "exploration": Label("Exploration sample (Art. 16)", "探索性抽查（第十六条）"),
}

INSTRUCTION_STATUS_LABELS: dict[str, Label] = {
    InstructionStatus.DRAFTED: Label("Draft", "草稿（待发布）"),
    InstructionStatus.PUBLISHED: Label("Published", "已发布"),
    InstructionStatus.EXPIRED: Label("Expired", "已过期"),
    InstructionStatus.REVOKED: Label("Revoked", "已撤销"),
}

LabelKind = Literal[
    "category",
    "credit_level",
    "selection_reason",
    "severity_measure",
    "low_support_reason",
    "assessment",
    "trend",
    "risk_level",
    "measure_kind",
    "measure_source",
    "instruction_status",
]
LABELS: dict[str, Mapping] = {
    "category": CATEGORY_LABELS,
    "credit_level": CREDIT_LEVEL_LABELS,
    "selection_reason": SELECTION_REASON_LABELS,
    "severity_measure": SEVERITY_MEASURES,
    "low_support_reason": {r.code: r.label for r in LOW_SUPPORT_REASONS},
    "assessment": ASSESSMENT_LABELS,
    "trend": TREND_LABELS,
    "risk_level": RISK_LEVEL_LABELS,
    "measure_kind": MEASURE_KIND_LABELS,
    "measure_source": MEASURE_SOURCE_LABELS,
    "instruction_status": INSTRUCTION_STATUS_LABELS,
}
# Kinds whose code may be missing, and what that means (the API answers null).
WHEN_MISSING: dict[str, Label] = {
    "credit_level": NO_CREDIT_RECORD,
    "selection_reason": NOT_SELECTED,
}


class UnknownLabel(KeyError):
    """A kind, or a code of a kind, that has no label."""

    def __str__(self) -> str:
        return str(self.args[0])


def label(kind: LabelKind, code: str | int | None, lang: str | None) -> str:
    """The label of ``code`` of ``kind`` in ``lang`` ("zh-CN" or "en"; English for any
    other language). Raises ``UnknownLabel`` for a code without one: a missing label is a
    gap to fill here, not something to paper over with the code."""
    if kind not in LABELS:
        raise UnknownLabel(f"no labels of kind {kind!r}; kinds: {', '.join(LABELS)}")
    if code is None and kind in WHEN_MISSING:
        return WHEN_MISSING[kind].in_(lang)
    try:
        return LABELS[kind][code].in_(lang)
    except (KeyError, TypeError):  # TypeError: an unhashable code
        raise UnknownLabel(f"no {kind} label for {code!r}") from None


def low_support_reason_in(text: str, lang: str | None) -> str:
    """One of a decision's ``low_support_reasons`` (the API's English) in ``lang``; a text
    that is none of the known reasons is returned as is (a decision recorded by a later
    version may carry one this version does not know)."""
    for reason in LOW_SUPPORT_REASONS:
        categories = reason.read(text)
        if categories is not None:
            return reason.text(categories, lang)
    return text


def severity_measure_in(measure: str, lang: str | None) -> str:
    """A severity's ``measure`` (the API's English) in ``lang``; unknown text as is."""
    for words in SEVERITY_MEASURES.values():
        if measure == words.en:
            return words.in_(lang)
    return measure

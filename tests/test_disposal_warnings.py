"""Risk warnings (Art. 14): what an issued warning must say, each refusal naming its field,
withdrawal once, and when a warning is in force."""

from __future__ import annotations

import pytest
from disposal_samples import at

from disposal.warnings import (
    RiskWarning,
    WarningAudience,
    WarningError,
    WarningStatus,
    is_in_force,
    issue,
    withdraw,
)

FIELDS = {
    "audience": "other_authorities",
    "scope": {"hs_prefixes": ["0207"], "routes": ["BR->2200"]},
    "category": "biosecurity",
    "valid_from": at(0),
    "valid_to": at(30),
    "title_zh": "巴西禽肉新城疫风险预警",
    "title_en": "Newcastle disease risk: poultry from Brazil",
    "text_zh": "自巴西进口禽肉须逐批检测。",
    "text_en": "Poultry from Brazil is tested batch by batch.",
    "issued_by": "analyst-wu",
    "at": at(0),
}


def warning(**changes) -> RiskWarning:
    return issue(**(FIELDS | changes))


def test_an_issued_warning_keeps_what_it_was_given():
    w = warning(source_signal={"kind": "outcome_drift", "segment": "02×BR"})
    assert w.warning_id.startswith(f"RW-{at(0):%Y%m%d}-") and len(w.warning_id) == 20
    assert (w.audience, w.status) == (WarningAudience.OTHER_AUTHORITIES, WarningStatus.ISSUED)
    assert w.scope.routes == ("BR->2200",)
    assert w.source_signal == {"kind": "outcome_drift", "segment": "02×BR"}
    assert w.valid_to.tzinfo is not None
    assert warning().warning_id != w.warning_id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"audience": "press"}, "audience"),
        ({"category": "tobacco"}, "category"),
        ({"scope": {}}, "scope"),
        ({"scope": {"routes": ["Brazil"]}}, "scope.routes.0"),
        ({"valid_from": at(40)}, "valid_to"),
        ({"valid_to": at(-1)}, "valid_to"),
        ({"title_zh": "   "}, "title_zh"),
        ({"title_en": "x" * 201}, "title_en"),
        ({"text_en": ""}, "text_en"),
        ({"text_zh": None}, "text_zh"),
    ],
)
def test_an_invalid_warning_is_refused_naming_the_field(changes, field):
    with pytest.raises(WarningError) as refused:
        warning(**changes)
    assert refused.value.field == field
    assert field.split(".")[0] in str(refused.value)


def test_a_warning_is_in_force_within_its_validity_until_withdrawn():
    w = warning(valid_from=at(1))
    assert [is_in_force(w, at(d)) for d in (0, 1, 29.9, 30)] == [False, True, True, False]
    withdrawn = withdraw(w, "analyst-zhou", "outbreak contained", at(10))
    assert (withdrawn.status, withdrawn.withdrawn_by) == (WarningStatus.WITHDRAWN, "analyst-zhou")
    assert withdrawn.warning_id == w.warning_id and w.status is WarningStatus.ISSUED
    assert [is_in_force(withdrawn, at(d)) for d in (5, 10, 20)] == [True, False, False]


def test_a_withdrawal_says_why_and_happens_once():
    w = warning()
    with pytest.raises(WarningError) as blank:
        withdraw(w, "analyst-zhou", "  ", at(1))
    assert blank.value.field == "reason"
    withdrawn = withdraw(w, "analyst-zhou", "contained", at(1))
    with pytest.raises(WarningError, match="already withdrawn"):
        withdraw(withdrawn, "analyst-zhou", "again", at(2))


def test_a_stored_warning_is_consistent_with_its_status():
    data = warning().model_dump()
    with pytest.raises(ValueError, match="withdrawal"):
        RiskWarning.model_validate({**data, "status": "withdrawn"})
    with pytest.raises(ValueError, match="status"):
        RiskWarning.model_validate({**data, "withdrawn_by": "someone"})

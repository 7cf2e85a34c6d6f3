"""Control instructions: lifecycle, four eyes, emergencies, expiry and scope matching."""

from __future__ import annotations

from datetime import timedelta

import pytest
from disposal_samples import at, catalogue, item

from disposal.instructions import (
    FourEyesViolation,
    InstructionError,
    InstructionScope,
    InstructionStatus,
    draft,
    edit,
    is_in_force,
    matches,
    publish,
    publish_emergency,
    revoke,
    status_at,
)

CAT = catalogue()


def a_draft(**changes):
    fields = {
        "instruction_id": "INS-0001",
        "scope": {"hs_prefixes": ["0207"], "origin_countries": ["BR"]},
        "measures": ["LAB"],
        "categories": ["food_safety"],
        "reason": "Frozen poultry: sample for salmonella.",
        "valid_from": at(1),
        "valid_to": at(31),
        "drafted_by": "analyst-li",
        "at": at(0),
        "catalogue": CAT,
    }
    return draft(**(fields | changes))


def an_emergency(**changes):
    fields = {
        "instruction_id": "EMG-0001",
        "scope": {"hs_prefixes": ["0207"], "origin_countries": ["DZ"]},
        "measures": ["REF"],
        "categories": ["biosecurity"],
        "reason": "Avian influenza notice: refuse entry of poultry products.",
        "valid_from": at(0),
        "valid_to": at(20),
        "drafted_by": "publisher-wang",
        "at": at(0),
        "emergency": True,
        "owner": "publisher-wang",
    }
    return a_draft(**(fields | changes))


def test_a_draft_is_version_one_and_not_in_force():
    d = a_draft()
    assert (d.version, d.status) == (1, InstructionStatus.DRAFTED)
    assert not is_in_force(d, at(5))


def test_four_eyes_the_drafter_cannot_publish():
    with pytest.raises(FourEyesViolation, match="'analyst-li' drafted it and cannot publish"):
        publish(a_draft(), "analyst-li", at(0))


def an_edit(instruction, **changes):
    fields = {
        "scope": {"hs_prefixes": ["0207"], "origin_countries": ["BR", "AR"]},
        "measures": ["LAB"],
        "categories": ["food_safety"],
        "reason": "Frozen poultry: sample for salmonella and listeria.",
        "valid_from": at(1),
        "valid_to": at(31),
        "edited_by": "publisher-wang",
        "at": at(0.5),
        "catalogue": CAT,
    }
    return edit(instruction, **(fields | changes))


def test_an_edit_is_the_next_draft_version_and_keeps_every_author():
    d = a_draft()
    e = an_edit(d)
    assert (e.version, e.status) == (2, InstructionStatus.DRAFTED)
    assert e.scope.origin_countries == ("BR", "AR") and "listeria" in e.reason
    assert (e.drafted_by, e.edited_by, e.edited_at) == ("analyst-li", ("publisher-wang",), at(0.5))
    assert d.version == 1 and d.edited_by == () and d.scope.origin_countries == ("BR",)
    again = an_edit(an_edit(e, edited_by="analyst-li"), edited_by="publisher-wang")
    assert again.version == 4 and again.edited_by == ("publisher-wang", "analyst-li")
    assert again.authors == {"analyst-li", "publisher-wang"}


def test_four_eyes_an_editor_cannot_publish_nor_can_the_drafter():
    e = an_edit(a_draft(), edited_by="publisher-wang")
    with pytest.raises(FourEyesViolation, match="'publisher-wang' edited it and cannot publish"):
        publish(e, "publisher-wang", at(0.6))
    with pytest.raises(FourEyesViolation, match="'analyst-li' drafted it"):
        publish(e, "analyst-li", at(0.6))
    p = publish(e, "publisher-zhao", at(0.6))
    assert (p.version, p.published_by, p.edited_by) == (3, "publisher-zhao", ("publisher-wang",))


def test_only_a_draft_can_be_edited_and_an_edit_is_validated():
    p = publish(a_draft(), "publisher-wang", at(0))
    with pytest.raises(InstructionError, match="is published; only a draft can be edited"):
        an_edit(p, edited_by="publisher-zhao")
    withdrawn = revoke(a_draft(), "analyst-li", "Wrong scope.", at(2))
    with pytest.raises(InstructionError, match="is revoked; only a draft can be edited"):
        an_edit(withdrawn)
    with pytest.raises(InstructionError, match="field 'measures'"):
        an_edit(a_draft(), measures=["NOPE"])
    with pytest.raises(InstructionError, match="field 'valid_to'"):
        an_edit(a_draft(), valid_to=at(0))
    with pytest.raises(InstructionError, match="field 'categories'"):
        an_edit(a_draft(), categories=["weather"])


def test_published_by_a_second_person_is_in_force_within_validity_only():
    d = a_draft()
    p = publish(d, "publisher-wang", at(0))
    assert (p.version, p.status, p.published_by) == (
        2,
        InstructionStatus.PUBLISHED,
        "publisher-wang",
    )
    assert d.status is InstructionStatus.DRAFTED and d.version == 1  # never mutated
    assert not is_in_force(p, at(0.5))  # published, but valid from day 1
    assert is_in_force(p, at(1)) and is_in_force(p, at(30.9))
    assert not is_in_force(p, at(31))  # valid_to is exclusive
    assert status_at(p, at(31)) is InstructionStatus.EXPIRED
    assert status_at(p, at(5)) is InstructionStatus.PUBLISHED


def test_only_a_draft_can_be_published():
    p = publish(a_draft(), "publisher-wang", at(0))
    with pytest.raises(InstructionError, match="is published; only a draft"):
        publish(p, "publisher-zhao", at(0))


def test_publication_after_valid_to_is_refused():
    with pytest.raises(InstructionError, match="field 'valid_to'"):
        publish(a_draft(), "publisher-wang", at(40))


def test_revocation_ends_it_and_keeps_who_and_why():
    p = publish(a_draft(), "publisher-wang", at(0))
    r = revoke(p, "publisher-zhao", "Salmonella notice lifted.", at(10))
    assert (r.version, r.status, r.revoked_by) == (3, InstructionStatus.REVOKED, "publisher-zhao")
    assert is_in_force(r, at(9.9)) and not is_in_force(r, at(10))  # history stays true
    assert status_at(r, at(12)) is InstructionStatus.REVOKED
    with pytest.raises(InstructionError, match="field 'revoke_reason'"):
        revoke(p, "publisher-zhao", "  ", at(10))
    with pytest.raises(InstructionError, match="already revoked"):
        revoke(r, "publisher-zhao", "again", at(11))


def test_a_withdrawn_draft_was_never_in_force():
    withdrawn = revoke(a_draft(), "analyst-li", "Wrong scope.", at(2))
    assert status_at(withdrawn, at(1)) is InstructionStatus.DRAFTED
    assert status_at(withdrawn, at(2)) is InstructionStatus.REVOKED
    assert not is_in_force(withdrawn, at(1.5))


def test_emergency_takes_effect_at_once_with_one_publisher():
    e = an_emergency(valid_from=at(3))
    published = publish_emergency(e, "publisher-wang", at(1))  # the drafter publishes
    assert published.valid_from == at(1) and is_in_force(published, at(1))
    assert published.published_by == published.drafted_by


def test_emergency_needs_an_owner_and_at_most_30_days():
    with pytest.raises(InstructionError, match="field 'owner'"):
        an_emergency(owner=None)
    with pytest.raises(InstructionError, match=r"field 'valid_to': .*at most 30 days"):
        an_emergency(valid_to=at(30) + timedelta(seconds=1))
    an_emergency(valid_to=at(30))  # exactly 30 days is allowed
    late = an_emergency(valid_from=at(0), valid_to=at(30))
    with pytest.raises(InstructionError, match="at most 30 days"):
        publish_emergency(late, "publisher-wang", at(-1))  # effect at once: 31 days


def test_ordinary_instruction_cannot_skip_four_eyes():
    with pytest.raises(InstructionError, match="not an emergency instruction"):
        publish_emergency(a_draft(), "analyst-li", at(0))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"scope": {}}, "scope"),
        ({"scope": {"value_min_cny": 10, "value_max_cny": 5}}, "scope"),
        ({"scope": {"routes": ["BR-2200"]}}, "scope.routes.0"),
        ({"scope": {"hs_prefixes": ["7"]}}, "scope.hs_prefixes.0"),
        ({"measures": ["XRAY"]}, "measures"),
        ({"measures": []}, "measures"),
        ({"categories": ["pests"]}, "categories"),
        ({"reason": ""}, "reason"),
        ({"valid_to": at(0)}, "valid_to"),
    ],
)
def test_invalid_drafts_name_the_field(changes, field):
    with pytest.raises(InstructionError, match=f"field '{field}'"):
        a_draft(**changes)


@pytest.mark.parametrize(
    ("scope", "matching", "other"),
    [
        ({"hs_prefixes": ["0207", "0105"]}, {"hs_code": "0207140000"}, {"hs_code": "0208100000"}),
        ({"origin_countries": ["BR"]}, {"origin_country": "BR"}, {"origin_country": "AR"}),
        ({"consignee_ids": ["C-00042"]}, {"consignee_id": "C-00042"}, {"consignee_id": "C-1"}),
        ({"declarant_ids": ["B-007"]}, {"declarant_id": "B-007"}, {"declarant_id": "B-008"}),
        ({"routes": ["BR->2200"]}, {"port_code": "2200"}, {"port_code": "5100"}),
        ({"trade_modes": ["9610"]}, {"trade_mode": "9610"}, {"trade_mode": "0110"}),
        ({"value_min_cny": 1e5}, {"value_cny": 1e5}, {"value_cny": 99_999.0}),
        ({"value_max_cny": 1e5}, {"value_cny": 1e5}, {"value_cny": 100_001.0}),
    ],
)
def test_each_scope_field_matches_and_excludes(scope, matching, other):
    p = publish(a_draft(scope=scope), "publisher-wang", at(0))
    assert matches(p, item(**matching), at(2))
    assert not matches(p, item(**other), at(2))
    assert not matches(p, item(**matching), at(40))  # expired


def test_scope_fields_combine_with_and():
    scope = InstructionScope(hs_prefixes=("0207",), origin_countries=("BR",))
    p = publish(a_draft(scope=scope), "publisher-wang", at(0))
    assert matches(p, item(hs_code="0207120000", origin_country="BR"), at(2))
    assert not matches(p, item(hs_code="0207120000", origin_country="US"), at(2))
    assert not matches(p, item(hs_code="8471300000", origin_country="BR"), at(2))


def test_a_draft_never_matches():
    assert not matches(a_draft(), item(), at(2))


def test_naive_times_are_utc():
    naive = at(2).replace(tzinfo=None)
    p = publish(a_draft(), "publisher-wang", at(0))
    assert is_in_force(p, naive) == is_in_force(p, at(2)) is True

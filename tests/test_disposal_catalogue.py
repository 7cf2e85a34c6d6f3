"""The measure catalogue: the shipped file, strictness, and errors that name the field."""

from __future__ import annotations

import copy

import pytest
import yaml
from disposal_samples import catalogue

from config.settings import declared_default
from disposal.catalogue import MeasureCatalogue, MeasureKind, UnknownMeasure
from disposal.configfile import ConfigError

RAW = yaml.safe_load(declared_default("measure_catalogue").read_text(encoding="utf-8"))


def load(mutate) -> MeasureCatalogue:
    data = copy.deepcopy(RAW)
    mutate(data)
    return MeasureCatalogue.from_mapping(data, source="config/measures.yaml")


def problems(mutate) -> str:
    with pytest.raises(ConfigError) as caught:
        load(mutate)
    return str(caught.value)


def test_shipped_catalogue_has_every_kind_names_and_one_release():
    cat = catalogue()
    assert cat.version == RAW["version"]
    assert {m.kind for m in cat.measures.values()} == set(MeasureKind)
    assert cat.release.code == "REL" and not cat.release.blocks_release
    assert all(m.name_zh and m.name_en for m in cat.measures.values())
    assert cat.measure("MAN").name_zh == "人工查验"


def test_strictness_order_is_documented_order():
    ranks = [kind.rank for kind in MeasureKind]
    assert ranks == sorted(ranks)
    assert MeasureKind.RELEASE.rank < MeasureKind.POST_CLEARANCE_AUDIT.rank
    assert MeasureKind.POST_CLEARANCE_AUDIT.rank < MeasureKind.RISK_WARNING.rank
    assert MeasureKind.DOCUMENTARY_REVIEW.rank < MeasureKind.PHYSICAL_INSPECTION_SCAN.rank
    assert MeasureKind.SAMPLING_LAB_TEST.rank < MeasureKind.QUARANTINE_TREATMENT.rank
    assert max(MeasureKind, key=lambda k: k.rank) is MeasureKind.HOLD_REFUSE_RETURN
    assert {k for k in MeasureKind if k.inspects} == {
        MeasureKind.PHYSICAL_INSPECTION_SCAN,
        MeasureKind.PHYSICAL_INSPECTION_MANUAL,
        MeasureKind.SAMPLING_LAB_TEST,
    }


def test_fingerprint_follows_content_not_layout():
    same = load(lambda d: None)
    assert same.fingerprint == catalogue().fingerprint
    edited = load(lambda d: d["measures"][5].update(capacity_cost=1.2))
    assert edited.version == same.version  # edited without a version bump ...
    assert edited.fingerprint != same.fingerprint  # ... and it shows


def test_unknown_kind_names_file_entry_and_field():
    message = problems(lambda d: d["measures"][4].update(kind="scan"))
    assert "measures.yaml: measures[4] (code 'SCN') field 'kind'" in message
    assert "physical_inspection_scan" in message  # says what is allowed


def test_duplicate_code_names_both_entries():
    message = problems(lambda d: d["measures"].append(dict(d["measures"][5])))
    assert "measures[10] (code 'MAN') field 'code': duplicate of measures[5]" in message


def test_exactly_one_release_measure():
    message = problems(lambda d: d["measures"].pop(0))
    assert "exactly one measure of kind 'release'" in message and "found 0" in message
    second = dict(RAW["measures"][0], code="REL2")
    message = problems(lambda d: d["measures"].append(second))
    assert "found 2 (REL, REL2)" in message


@pytest.mark.parametrize(
    ("index", "change", "expected"),
    [
        (6, {"categories": ["food_safety", "pests"]}, "(code 'LAB') field 'categories'"),
        (0, {"blocks_release": True}, "(code 'REL'): a release measure cannot block"),
        (8, {"blocks_release": False}, "(code 'HLD'): a hold_refuse_return measure must"),
        (2, {"capacity_cost": -1}, "(code 'WRN') field 'capacity_cost'"),
        (3, {"colour": "yellow"}, "(code 'DOC') field 'colour': Extra inputs"),
        (3, {"code": "doc"}, "field 'code': String should match pattern"),
    ],
)
def test_entry_errors_name_the_field(index, change, expected):
    assert expected in problems(lambda d: d["measures"][index].update(change))


def test_version_must_be_text():
    assert "field 'version': write the version as a quoted string" in problems(
        lambda d: d.update(version=2026.1)
    )


def test_every_problem_is_reported_at_once():
    def two_wrongs(d):
        d["measures"][1]["kind"] = "audit"
        d["measures"][2]["capacity_cost"] = "cheap"

    assert len(problems(two_wrongs).splitlines()) == 2


def test_unreadable_or_malformed_file_names_it(tmp_path):
    path = tmp_path / "measures.yaml"
    path.write_text("version: '1'\nmeasures: [\n")
    with pytest.raises(ConfigError, match=r"measures\.yaml: not valid YAML"):
        MeasureCatalogue.load(path)
    with pytest.raises(ConfigError, match="cannot be read"):
        MeasureCatalogue.load(tmp_path / "missing.yaml")


def test_unknown_code_says_which_codes_exist():
    with pytest.raises(UnknownMeasure, match=r"'XRAY' is not in catalogue 2026\.2 .*REL, PCA"):
        catalogue().measure("XRAY")

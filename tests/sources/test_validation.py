"""Tests of sources.validation: contract-derived GE suites and readable reports."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle

import pandas as pd
import pytest

from config.settings import Settings
from sources.contracts import CONTRACTS, DECLARATIONS, FINDING_COLUMNS, TIME_RANGE, conform
from sources.lake import DataLake, replace_layer
from sources.validation import (
    CROSS_SOURCE_RULES,
    DataValidationError,
    ExpectationFailure,
    ValidationReport,
    build_suite,
    require_valid,
    validate_frame,
    validate_sources,
)

# Unified social credit codes: 18 characters, no I, O, S, V, Z.
USCC_A = "91310000MA1FL00001"
USCC_B = "91440300MA5DC0002X"
USCC_C = "91110108MA01K00003"


def _ts(*values: str | None) -> pd.Series:
    """A tz-naive datetime64[us] series, as the contracts store times."""
    return pd.Series(pd.to_datetime(list(values))).astype("datetime64[us]")


def valid_declarations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "declaration_id": ["220120250000000001", "220120250000000001", "531620250000000002"],
            "item_no": [1, 2, 1],
            "declared_at": _ts("2025-01-02 08:00", "2025-01-02 08:00", "2025-01-03 11:30"),
            "customs_office": ["2201", "2201", "5316"],
            "port_code": ["2201", "2201", "5301"],
            "trade_mode": ["0110", "0110", "9610"],
            "transport_mode": ["sea", "sea", "air"],
            "consignee_id": [USCC_A, USCC_A, USCC_B],
            "declarant_id": [USCC_C, USCC_C, USCC_C],
            "overseas_trader_id": ["DE-ACME-01", "DE-ACME-01", "US-SHOP-7"],
            "hs_code": ["0406101000", "040610", "3304990099"],
            "origin_country": ["DE", "DE", "US"],
            "departure_country": ["NL", "NL", "US"],
            "incoterm": ["CIF", "CIF", "DAP"],
            "currency": ["EUR", "EUR", "USD"],
            "declared_value": [1000.0, 250.0, 80.0],
            "value_cny": [7800.0, 1950.0, 576.0],
            "quantity": [100.0, 20.0, 4.0],
            "quantity_unit": ["kg", "kg", "pcs"],
            "net_weight_kg": [100.0, 20.0, 0.8],
            "gross_weight_kg": [110.0, 20.0, 1.0],
            "duty_rate": [0.08, 0.08, 0.0],
            "licence_codes": ["AB", None, ""],
            "tax_type": ["A", None, "FCN1"],
            "origin_indicator": [None, None, "E"],
            "payment_type": ["11", "11", None],
            "import_use": [None, "21", None],
            "courier_id": [None, None, "DHL01"],
            "provenance_channel": ["single_window", "single_window", "single_window"],
        }
    )


def valid_credit_history() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "enterprise_id": [USCC_A, USCC_A, USCC_B],
            "credit_level": ["regular", "certified", "dishonest"],
            "valid_from": _ts("2024-01-01", "2024-06-01", "2024-03-15"),
            "valid_to": _ts("2024-06-01", None, None),
            "provenance_channel": ["interagency_sharing", "interagency_sharing", "public_source"],
        }
    )


def valid_monitoring() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "event_id": ["ev-001", "ev-002", "ev-003"],
            "event_type": ["lab_result", "foreign_alert", "port_interception"],
            "observed_at": _ts("2025-01-05", "2025-01-06", "2025-01-07"),
            "enterprise_id": [USCC_A, None, None],
            "hs_prefix": [None, "0406", None],
            "origin_country": [None, None, "US"],
            "risk_category": ["food_safety", "public_health", "other"],
            "outcome": ["adverse", "clear", "adverse"],
            "provenance_channel": ["monitoring", "international_sharing", "monitoring"],
        }
    )


def valid_inspection_outcomes() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "declaration_id": ["220120250000000001", "531620250000000002"],
            "item_no": [1, 1],
            "selection_reason": ["model", "random"],
            "inspected_at": _ts("2025-01-02 10:00", "2025-01-04 09:00"),
            "outcome_known_at": _ts("2025-01-05 16:00", "2025-01-04 09:00"),
        }
    )
    for col in FINDING_COLUMNS:
        frame[col] = [False, False]
    frame["finding_food_safety"] = [True, False]
    frame["duty_recovered_cny"] = [1200.0, 0.0]
    frame["selection_probability"] = [float("nan"), 0.01]  # the random draw's only
    return frame


VALID = {
    "declarations": valid_declarations,
    "credit_history": valid_credit_history,
    "monitoring": valid_monitoring,
    "inspection_outcomes": valid_inspection_outcomes,
}


REGEX = "expect_column_values_to_match_regex"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
NOT_NULL = "expect_column_values_to_not_be_null"
OF_TYPE = "expect_column_values_to_be_of_type"
IN_TYPES = "expect_column_values_to_be_in_type_list"
UNIQUE = "expect_column_values_to_be_unique"
COMPOUND_UNIQUE = "expect_compound_columns_to_be_unique"
PAIR = "expect_column_pair_values_a_to_be_greater_than_b"
COLUMN_SET = "expect_table_columns_to_match_set"


def bad_declarations() -> pd.DataFrame:
    """Valid declarations with one planted violation per column (each named in a comment)."""
    frame = valid_declarations()
    frame.loc[0, "hs_code"] = "12AB"  # pattern
    frame.loc[1, "transport_mode"] = "boat"  # allowed values
    frame.loc[1, "value_cny"] = -5.0  # minimum
    frame.loc[2, "item_no"] = 1000  # maximum
    frame.loc[2, "consignee_id"] = None  # not nullable
    frame.loc[1, "item_no"] = 1  # key (declaration_id, item_no) repeats row 0
    frame.loc[0, "gross_weight_kg"] = 90.0  # below its net weight of 100 kg
    frame["declared_at"] = ["2025-01-02", "2025-01-02", "2025-01-03"]  # strings, not datetimes
    frame["duty_rate"] = ["0.08", "0.08", "0"]  # strings, not floats
    frame["currency"] = pd.Series(["EUR", 978, "USD"], dtype=object)  # one value not a string
    return frame.drop(columns=["overseas_trader_id"]).assign(remarks="x")  # missing, extra


def bad_credit_history() -> pd.DataFrame:
    frame = valid_credit_history()
    frame.loc[0, "valid_to"] = frame.loc[0, "valid_from"]  # must end after it starts
    return frame


def bad_monitoring() -> pd.DataFrame:
    frame = valid_monitoring()
    frame.loc[1, "event_id"] = "ev-001"  # duplicate key
    frame.loc[2, "origin_country"] = None  # ev-003 had only a country: now no scope at all
    return frame


def bad_inspection_outcomes() -> pd.DataFrame:
    frame = valid_inspection_outcomes()
    frame.loc[1, "outcome_known_at"] = pd.Timestamp("2025-01-03")  # before the inspection
    frame["finding_ipr"] = ["no", "no"]  # strings, not bools
    frame["item_no"] = [1.0, 1.0]  # floats, not ints
    return frame


# Validation costs about a second per declarations frame, so each set is validated once.
@pytest.fixture(scope="module")
def valid_reports() -> dict[str, ValidationReport]:
    return validate_sources({name: make() for name, make in VALID.items()})


@pytest.fixture(scope="module")
def bad_reports() -> dict[str, ValidationReport]:
    return validate_sources(
        {
            "declarations": bad_declarations(),
            "credit_history": bad_credit_history(),
            "monitoring": bad_monitoring(),
            "inspection_outcomes": bad_inspection_outcomes(),
        }
    )


def failure(report: ValidationReport, column: str | None, expectation: str) -> ExpectationFailure:
    """The one failure of ``expectation`` on ``column``."""
    found = [f for f in report.failures if (f.column, f.expectation) == (column, expectation)]
    assert len(found) == 1, report.render()
    return found[0]


# --- valid data ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", sorted(VALID))
def test_valid_frame_passes(valid_reports, source):
    report = valid_reports[source]
    assert report.success, report.render()
    assert report.source == source
    assert report.rows == len(VALID[source]())
    assert report.evaluated > len(CONTRACTS[source].columns)
    assert report.render() == (
        f"{source}: PASS ({report.rows} rows, {report.evaluated} expectations)"
    )
    require_valid(valid_reports)  # does not raise


def test_conformed_frames_pass():
    # conform() gives the "string" (pd.NA) dtype instead of pandas 3's default "str".
    frames = {name: conform(make(), CONTRACTS[name]) for name, make in VALID.items()}
    assert frames["declarations"]["hs_code"].dtype.na_value is pd.NA
    reports = validate_sources(frames)
    assert all(r.success for r in reports.values()), [r.render() for r in reports.values()]


def test_nullable_columns_may_hold_nulls(valid_reports):
    # The valid frames hold nulls in nullable columns (and an empty licence list) ...
    assert valid_declarations()["licence_codes"].isna().sum() == 1
    assert valid_monitoring()[["enterprise_id", "hs_prefix", "origin_country"]].isna().sum().sum()
    assert valid_reports["declarations"].success and valid_reports["monitoring"].success
    # ... and a column of nulls only passes too.
    credit = valid_credit_history()
    credit["valid_to"] = _ts(None, None, None)
    assert validate_frame(credit, CONTRACTS["credit_history"]).success


def test_validate_sources_rejects_unknown_source():
    with pytest.raises(KeyError, match="no contract"):
        validate_sources({"invoices": valid_declarations()})


# --- violations ------------------------------------------------------------------------------


def test_exactly_the_planted_failures_are_reported(bad_reports):
    found = {
        name: {(f.column, f.expectation) for f in r.failures} for name, r in bad_reports.items()
    }
    assert found == {
        "declarations": {
            (None, COLUMN_SET),
            ("overseas_trader_id", COLUMN_SET),
            ("hs_code", REGEX),
            ("transport_mode", IN_SET),
            ("value_cny", BETWEEN),
            ("item_no", BETWEEN),
            ("consignee_id", NOT_NULL),
            ("declaration_id,item_no", COMPOUND_UNIQUE),
            ("gross_weight_kg,net_weight_kg", PAIR),
            ("declared_at", OF_TYPE),
            ("duty_rate", IN_TYPES),
            ("currency", OF_TYPE),
            ("currency", REGEX),
        },
        "credit_history": {("valid_to,valid_from", PAIR)},
        "monitoring": {
            ("event_id", UNIQUE),
            ("enterprise_id,hs_prefix,origin_country", NOT_NULL),
        },
        "inspection_outcomes": {
            ("outcome_known_at,inspected_at", PAIR),
            ("finding_ipr", IN_TYPES),
            ("item_no", IN_TYPES),
        },
    }


def test_bad_hs_code(bad_reports):
    f = failure(bad_reports["declarations"], "hs_code", REGEX)
    assert f.reason == "1 of 3 values do not match ^[0-9]{6,10}$"
    assert (f.unexpected_count, f.examples) == (1, ["'12AB'"])


def test_value_outside_allowed_set(bad_reports):
    f = failure(bad_reports["declarations"], "transport_mode", IN_SET)
    assert f.reason == "1 of 3 values are not one of sea, air, road, rail, post, other"
    assert f.examples == ["'boat'"]


def test_value_out_of_bounds(bad_reports):
    negative = failure(bad_reports["declarations"], "value_cny", BETWEEN)
    assert (negative.reason, negative.examples) == (
        "1 of 3 values are not between 0 and 1e+12",
        ["-5.0"],
    )
    too_big = failure(bad_reports["declarations"], "item_no", BETWEEN)
    assert too_big.reason == "1 of 3 values are not between 1 and 999"


def test_null_in_non_nullable_column_names_the_row_key(bad_reports):
    f = failure(bad_reports["declarations"], "consignee_id", NOT_NULL)
    assert f.reason == "1 of 3 values are null"
    assert f.examples == ["(declaration_id='531620250000000002', item_no=1000)"]


def test_duplicate_key(bad_reports):
    compound = failure(bad_reports["declarations"], "declaration_id,item_no", COMPOUND_UNIQUE)
    assert (
        compound.reason == "2 of 3 rows share their key (declaration_id, item_no) with another row"
    )
    assert compound.examples == ["(declaration_id='220120250000000001', item_no=1)"]
    single = failure(bad_reports["monitoring"], "event_id", UNIQUE)
    assert (single.reason, single.examples) == ("2 of 3 values are duplicated", ["'ev-001'"])


def test_gross_below_net_weight(bad_reports):
    f = failure(bad_reports["declarations"], "gross_weight_kg,net_weight_kg", PAIR)
    assert f.reason == "1 of 3 rows break the rule 'gross_weight_kg >= net_weight_kg'"
    assert f.examples == ["(gross_weight_kg=90.0, net_weight_kg=100.0)"]


def test_outcome_before_inspection(bad_reports):
    f = failure(bad_reports["inspection_outcomes"], "outcome_known_at,inspected_at", PAIR)
    assert f.reason == "1 of 2 rows break the rule 'outcome_known_at >= inspected_at'"
    assert f.examples == [
        "(outcome_known_at=2025-01-03 00:00:00, inspected_at=2025-01-04 09:00:00)"
    ]


def test_validity_must_end_after_it_starts(bad_reports):
    f = failure(bad_reports["credit_history"], "valid_to,valid_from", PAIR)
    assert f.reason == "1 of 3 rows break the rule 'valid_to is null or after valid_from'"


def test_monitoring_row_without_scope(bad_reports):
    f = failure(bad_reports["monitoring"], "enterprise_id,hs_prefix,origin_country", NOT_NULL)
    rule = "at least one of enterprise_id, hs_prefix, origin_country is set"
    assert f.reason == f"1 of 3 rows break the rule '{rule}'"
    assert f.examples == ["(event_id='ev-003')"]


def test_missing_and_extra_columns_are_named(bad_reports):
    report = bad_reports["declarations"]
    missing = failure(report, "overseas_trader_id", COLUMN_SET)
    assert missing.reason == "column is missing"
    extra = failure(report, None, COLUMN_SET)
    assert (extra.reason, extra.examples) == ("not in the contract: remarks", ["remarks"])
    # The columns present are still checked.
    assert report.evaluated > 60


def test_missing_key_column_is_named_not_a_crash():
    frame = valid_monitoring().drop(columns=["event_id", "hs_prefix"])
    report = validate_frame(frame, CONTRACTS["monitoring"])
    assert {(f.column, f.reason) for f in report.failures} == {
        ("event_id", "column is missing"),
        ("hs_prefix", "column is missing"),
    }


def test_wrong_dtype(bad_reports):
    reason = {
        (f.column, f.expectation): f.reason
        for report in bad_reports.values()
        for f in report.failures
    }
    assert reason["declared_at", OF_TYPE] == "dtype is str, expected datetime"
    # Only the dtype is reported, not the bounds check that cannot compare strings.
    assert reason["duty_rate", IN_TYPES] == "dtype is str, expected float"
    assert reason["finding_ipr", IN_TYPES] == "dtype is str, expected bool"
    assert reason["item_no", IN_TYPES] == "dtype is float64, expected int"
    # An object column is checked value by value.
    mixed = failure(bad_reports["declarations"], "currency", OF_TYPE)
    assert mixed.reason == "dtype is object, expected string; 1 of 3 values have another type"
    assert mixed.examples == ["978"]


def test_tz_aware_datetime_is_wrong_dtype():
    credit = valid_credit_history()
    credit["valid_from"] = credit["valid_from"].dt.tz_localize("UTC")
    report = validate_frame(credit, CONTRACTS["credit_history"])
    # The pair rule cannot compare aware with naive times: only the dtype is reported.
    assert [(f.column, f.reason) for f in report.failures] == [
        ("valid_from", "dtype is datetime64[us, UTC], expected datetime")
    ]


# --- time range ------------------------------------------------------------------------------


def test_every_datetime_column_has_the_time_range():
    for contract in CONTRACTS.values():
        for c in contract.columns:
            assert (c.time_range == TIME_RANGE) == (c.dtype == "datetime"), (contract.name, c.name)


@pytest.mark.parametrize("outside", ["1999-12-31 23:59:59", "2100-01-01 00:00:00"])
def test_declared_at_outside_the_time_range_fails(outside):
    # The entity state would clamp 1999 and mix up entities' histories after ~2136.
    frame = valid_declarations()
    frame["declared_at"] = _ts("2025-01-02 08:00:00", outside, "2025-01-03 11:30:00")
    report = validate_frame(frame, DECLARATIONS)
    assert [(f.column, f.expectation) for f in report.failures] == [("declared_at", BETWEEN)]
    f = report.failures[0]
    assert f.reason == "1 of 3 values are outside [2000-01-01, 2100-01-01) UTC"
    assert f.examples == [outside]
    assert "declared_at: expect_column_values_to_be_between: 1 of 3 values" in report.render()


def test_times_at_the_edges_of_the_range_pass():
    frame = valid_declarations()
    frame["declared_at"] = _ts("2000-01-01 00:00:00", "2000-01-01 00:00:00", "2099-12-31 23:59:59")
    assert validate_frame(frame, DECLARATIONS).success


def test_null_valid_to_passes_and_a_late_one_fails():
    credit = valid_credit_history()
    credit["valid_from"] = _ts("2000-01-01", "2024-06-01", "2024-03-15")
    credit["valid_to"] = _ts("2024-06-01", None, None)
    assert validate_frame(credit, CONTRACTS["credit_history"]).success
    credit["valid_to"] = _ts("2150-01-01", None, None)
    report = validate_frame(credit, CONTRACTS["credit_history"])
    f = failure(report, "valid_to", BETWEEN)
    assert (f.reason, f.examples) == (
        "1 of 3 values are outside [2000-01-01, 2100-01-01) UTC",
        ["2150-01-01 00:00:00"],
    )


# --- rules between sources -------------------------------------------------------------------


def outcomes_breaking_cross_source_rules() -> pd.DataFrame:
    """Valid outcomes, one without a declaration and one inspected before it was declared."""
    frame = valid_inspection_outcomes()
    frame.loc[0, "declaration_id"] = "220120259999999999"  # no such declaration
    frame.loc[1, "inspected_at"] = pd.Timestamp("2025-01-03 11:00")  # declared at 11:30
    # inspected the very second it was declared: allowed
    same_time = frame.iloc[[0]].assign(
        declaration_id="220120250000000001",
        item_no=2,
        inspected_at=pd.Timestamp("2025-01-02 08:00"),
        outcome_known_at=pd.Timestamp("2025-01-02 09:00"),
    )
    return pd.concat([frame, same_time], ignore_index=True)


@pytest.fixture(scope="module")
def cross_source_reports() -> dict[str, ValidationReport]:
    return validate_sources(
        {
            "declarations": valid_declarations(),
            "inspection_outcomes": outcomes_breaking_cross_source_rules(),
        }
    )


def test_outcome_without_its_declaration_fails(cross_source_reports):
    f = failure(cross_source_reports["inspection_outcomes"], "declaration_id,item_no", NOT_NULL)
    rule = "every outcome refers to an existing declaration (declaration_id, item_no)"
    assert rule in CROSS_SOURCE_RULES
    assert f.reason == f"1 of 3 rows break the rule '{rule}'"
    assert f.examples == ["(declaration_id='220120259999999999', item_no=1)"]


def test_inspection_before_its_declaration_fails(cross_source_reports):
    report = cross_source_reports["inspection_outcomes"]
    f = failure(report, "inspected_at,declared_at", PAIR)
    assert f.reason == "1 of 3 rows break the rule 'inspected_at >= declared_at'"
    assert f.examples == ["(inspected_at=2025-01-03 11:00:00, declared_at=2025-01-03 11:30:00)"]
    # Only the two planted outcomes fail; the declarations themselves are fine.
    assert len(report.failures) == 2
    assert cross_source_reports["declarations"].success


def test_cross_source_rules_run_on_valid_sources(valid_reports):
    contract_only = validate_frame(valid_inspection_outcomes(), CONTRACTS["inspection_outcomes"])
    report = valid_reports["inspection_outcomes"]
    assert report.success
    assert report.evaluated == contract_only.evaluated + len(CROSS_SOURCE_RULES)


def _fingerprint(path) -> tuple[str, int]:
    """A file's content digest and modification time: a rewrite changes one or both."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns


def test_failed_cross_source_rule_stops_publishing(tmp_path, prefect_harness):
    """The ingest flow for real: a good batch is published; a later raw batch breaking
    cross-source rules raises a readable error, and every validated file stays as it was
    (same bytes, not rewritten)."""
    from pipelines.flows import ingest_and_validate  # the orchestration stack, only here

    settings = Settings(data_dir=tmp_path / "data")
    lake = DataLake(settings.data_dir)
    replace_layer({name: make() for name, make in VALID.items()}, lake.raw)
    ingest_and_validate(settings)
    published = sorted(lake.validated.iterdir())
    assert [path.name for path in published] == sorted(f"{name}.parquet" for name in VALID)
    before = {path: _fingerprint(path) for path in published}
    bad_batch = {name: make() for name, make in VALID.items()}
    bad_batch["inspection_outcomes"] = outcomes_breaking_cross_source_rules()
    replace_layer(bad_batch, lake.raw)
    with pytest.raises(DataValidationError) as caught:
        ingest_and_validate(settings)
    message = str(caught.value)
    assert message.startswith("inspection_outcomes: FAIL (3 rows")
    assert "'every outcome refers to an existing declaration" in message
    assert "'inspected_at >= declared_at'" in message
    assert sorted(lake.validated.iterdir()) == published
    assert {path: _fingerprint(path) for path in published} == before


# --- reports and errors ----------------------------------------------------------------------


def test_render_names_source_columns_reasons_and_examples(bad_reports):
    lines = bad_reports["declarations"].render().splitlines()
    evaluated = bad_reports["declarations"].evaluated
    assert lines[0] == f"declarations: FAIL (3 rows, {evaluated} expectations, 13 failures)"
    assert (
        "  - hs_code: expect_column_values_to_match_regex: 1 of 3 values do not match "
        "^[0-9]{6,10}$; e.g. '12AB'" in lines
    )
    assert "  - overseas_trader_id: expect_table_columns_to_match_set: column is missing" in lines


def test_to_dict_is_json_serialisable(bad_reports):
    data = json.loads(json.dumps(bad_reports["declarations"].to_dict()))
    assert (data["source"], data["rows"], data["success"]) == ("declarations", 3, False)
    assert len(data["failures"]) == 13
    assert {"expectation", "column", "reason", "unexpected_count", "examples"} == set(
        data["failures"][0]
    )


def test_require_valid_raises_with_every_failing_source(bad_reports, valid_reports):
    reports = {
        "declarations": bad_reports["declarations"],
        "monitoring": valid_reports["monitoring"],
    }
    with pytest.raises(DataValidationError) as caught:
        require_valid(reports)
    assert str(caught.value) == bad_reports["declarations"].render()  # passing sources omitted
    assert caught.value.reports == reports
    # Survives pickling (Prefect pickles task exceptions).
    copy = pickle.loads(pickle.dumps(caught.value))
    assert (str(copy), copy.reports) == (str(caught.value), reports)


# --- suite -----------------------------------------------------------------------------------


def test_suite_is_derived_from_the_contract():
    types = [e.expectation_type for e in build_suite(DECLARATIONS).expectations]
    columns = DECLARATIONS.columns
    assert types.count(NOT_NULL) == sum(not c.nullable for c in columns)
    assert types.count(REGEX) == sum(c.pattern is not None for c in columns)
    assert types.count(IN_SET) == sum(c.allowed is not None for c in columns)
    assert types.count(BETWEEN) == sum(
        (c.min_value, c.max_value) != (None, None) or c.time_range is not None for c in columns
    )
    assert types.count(OF_TYPE) + types.count(IN_TYPES) == len(columns)
    assert (types.count(COMPOUND_UNIQUE), types.count(PAIR), types.count(COLUMN_SET)) == (1, 1, 1)


def test_note_without_rule_fails_loudly():
    contract = dataclasses.replace(DECLARATIONS, notes=(*DECLARATIONS.notes, "value_cny > 0"))
    with pytest.raises(ValueError, match="'value_cny > 0' has no expectation"):
        build_suite(contract)

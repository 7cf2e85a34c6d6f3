"""Tests of sources.validation: contract-derived GE suites and readable reports."""

from __future__ import annotations

import pandas as pd

from sources.contracts import FINDING_COLUMNS
from sources.validation import (
    ExpectationFailure,
    ValidationReport,
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
    return frame


VALID = {
    "declarations": valid_declarations,
    "credit_history": valid_credit_history,
    "monitoring": valid_monitoring,
    "inspection_outcomes": valid_inspection_outcomes,
}


def failures_of(report: ValidationReport, expectation: str) -> list[ExpectationFailure]:
    return [f for f in report.failures if f.expectation == expectation]


def only_failure(report: ValidationReport) -> ExpectationFailure:
    assert len(report.failures) == 1, report.render()
    return report.failures[0]


# --- valid data ------------------------------------------------------------------------------


@pytest.mark.parametrize("source", sorted(VALID))
def test_valid_frame_passes(source):
    report = validate_frame(VALID[source](), CONTRACTS[source])
    assert report.success, report.render()
    assert report.rows == len(VALID[source]())
    assert report.evaluated > len(CONTRACTS[source].columns)
    assert report.render().startswith(f"{source}: PASS")


@pytest.mark.parametrize("source", sorted(VALID))
def test_conformed_frame_passes(source):
    # conform() gives the "string" (pd.NA) dtype instead of pandas 3's default "str".
    contract = CONTRACTS[source]
    report = validate_frame(conform(VALID[source](), contract), contract)
    assert report.success, report.render()


def test_validate_sources_checks_every_source():
    reports = validate_sources({name: make() for name, make in VALID.items()})
    assert set(reports) == set(CONTRACTS)
    assert all(r.success for r in reports.values())
    require_valid(reports)  # does not raise


def test_validate_sources_rejects_unknown_source():
    with pytest.raises(KeyError, match="no contract"):
        validate_sources({"invoices": valid_declarations()})


def test_nullable_columns_may_hold_nulls():
    declarations = valid_declarations()
    declarations["licence_codes"] = pd.Series([None] * 3, dtype="string")
    credit = valid_credit_history()
    credit["valid_to"] = _ts(None, None, None)
    reports = validate_sources({"declarations": declarations, "credit_history": credit})
    assert all(r.success for r in reports.values()), [r.render() for r in reports.values()]


# --- violations ------------------------------------------------------------------------------


def _set(source: str, column: str, row: int, value) -> pd.DataFrame:
    frame = VALID[source]()
    frame.loc[row, column] = value
    return frame


def test_bad_hs_code_is_reported():
    report = validate_frame(_set("declarations", "hs_code", 0, "12AB"), DECLARATIONS)
    failure = only_failure(report)
    assert failure.expectation == "expect_column_values_to_match_regex"
    assert failure.column == "hs_code"
    assert failure.reason == "1 of 3 values do not match ^[0-9]{6,10}$"
    assert failure.unexpected_count == 1
    assert failure.examples == ["'12AB'"]


def test_value_outside_allowed_set_is_reported():
    report = validate_frame(_set("declarations", "transport_mode", 2, "boat"), DECLARATIONS)
    failure = only_failure(report)
    assert failure.expectation == "expect_column_values_to_be_in_set"
    assert failure.column == "transport_mode"
    assert failure.reason.startswith("1 of 3 values are not one of sea, air, road")
    assert failure.examples == ["'boat'"]


def test_negative_value_is_reported():
    report = validate_frame(_set("declarations", "value_cny", 1, -5.0), DECLARATIONS)
    failure = only_failure(report)
    assert failure.expectation == "expect_column_values_to_be_between"
    assert failure.column == "value_cny"
    assert failure.reason == "1 of 3 values are below 0"
    assert failure.examples == ["-5.0"]


def test_value_above_maximum_is_reported():
    report = validate_frame(_set("declarations", "item_no", 0, 1000), DECLARATIONS)
    failure = only_failure(report)
    assert failure.column == "item_no"
    assert failure.reason == "1 of 3 values are not between 1 and 999"


def test_null_in_non_nullable_column_is_reported_with_the_row_key():
    report = validate_frame(_set("declarations", "consignee_id", 2, None), DECLARATIONS)
    failure = only_failure(report)
    assert failure.expectation == "expect_column_values_to_not_be_null"
    assert failure.column == "consignee_id"
    assert failure.reason == "1 of 3 values are null"
    assert failure.examples == ["(declaration_id='531620250000000002', item_no=1)"]


def test_duplicate_compound_key_is_reported():
    frame = _set("declarations", "item_no", 1, 1)  # second item of the first declaration
    failure = only_failure(validate_frame(frame, DECLARATIONS))
    assert failure.expectation == "expect_compound_columns_to_be_unique"
    assert failure.column == "declaration_id,item_no"
    assert failure.unexpected_count == 2
    assert "share their key (declaration_id, item_no)" in failure.reason
    assert failure.examples == ["(declaration_id='220120250000000001', item_no=1)"]


def test_duplicate_single_key_is_reported():
    frame = _set("monitoring", "event_id", 2, "ev-001")
    failure = only_failure(validate_frame(frame, CONTRACTS["monitoring"]))
    assert failure.expectation == "expect_column_values_to_be_unique"
    assert failure.column == "event_id"
    assert failure.reason == "2 of 3 values are duplicated"


def test_gross_below_net_weight_is_reported():
    frame = _set("declarations", "gross_weight_kg", 0, 90.0)  # net is 100 kg
    failure = only_failure(validate_frame(frame, DECLARATIONS))
    assert failure.expectation == "expect_column_pair_values_a_to_be_greater_than_b"
    assert failure.column == "gross_weight_kg,net_weight_kg"
    assert failure.reason == "1 of 3 rows break the rule 'gross_weight_kg >= net_weight_kg'"
    assert failure.examples == ["(gross_weight_kg=90.0, net_weight_kg=100.0)"]


def test_outcome_before_inspection_is_reported():
    frame = _set("inspection_outcomes", "outcome_known_at", 1, pd.Timestamp("2025-01-03"))
    failure = only_failure(validate_frame(frame, CONTRACTS["inspection_outcomes"]))
    assert failure.column == "outcome_known_at,inspected_at"
    assert "'outcome_known_at >= inspected_at'" in failure.reason
    assert failure.examples == [
        "(outcome_known_at=2025-01-03 00:00:00, inspected_at=2025-01-04 09:00:00)"
    ]


def test_validity_ending_before_it_starts_is_reported():
    frame = _set("credit_history", "valid_to", 0, pd.Timestamp("2024-01-01"))  # == valid_from
    failure = only_failure(validate_frame(frame, CONTRACTS["credit_history"]))
    assert failure.column == "valid_to,valid_from"
    assert "'valid_to is null or after valid_from'" in failure.reason


def test_monitoring_row_without_scope_is_reported():
    frame = _set("monitoring", "origin_country", 2, None)  # ev-003 had only a country
    failure = only_failure(validate_frame(frame, CONTRACTS["monitoring"]))
    assert failure.column == "enterprise_id,hs_prefix,origin_country"
    assert failure.reason == (
        "1 of 3 rows break the rule "
        "'at least one of enterprise_id, hs_prefix, origin_country is set'"
    )
    assert failure.examples == ["(event_id='ev-003')"]


def test_missing_column_is_named_not_a_crash():
    frame = valid_declarations().drop(columns=["hs_code"])
    report = validate_frame(frame, DECLARATIONS)
    failure = only_failure(report)
    assert failure.expectation == "expect_table_columns_to_match_set"
    assert failure.column == "hs_code"
    assert failure.reason == "column is missing"
    # The other columns are still checked.
    assert report.evaluated > 50


def test_missing_key_column_is_named_not_a_crash():
    frame = valid_monitoring().drop(columns=["event_id", "hs_prefix"])
    report = validate_frame(frame, CONTRACTS["monitoring"])
    assert {f.column for f in report.failures} == {"event_id", "hs_prefix"}


def test_extra_column_is_reported():
    frame = valid_credit_history().assign(note="x")
    failure = only_failure(validate_frame(frame, CONTRACTS["credit_history"]))
    assert failure.column is None
    assert failure.reason == "1 columns are not in the contract: note"


@pytest.mark.parametrize(
    ("source", "column", "values"),
    [
        ("declarations", "declared_at", ["2025-01-02", "2025-01-02", "2025-01-03"]),
        ("declarations", "value_cny", ["7800", "1950", "576"]),
        ("declarations", "hs_code", [406101000, 40610, 3304990099]),
        ("inspection_outcomes", "finding_ipr", ["no", "no"]),
        ("inspection_outcomes", "item_no", [1.0, 1.0]),
        (
            "credit_history",
            "valid_from",
            _ts("2024-01-01", "2024-06-01", "2024-03-15").dt.tz_localize("UTC"),
        ),
    ],
)
def test_wrong_dtype_is_one_failure(source, column, values):
    frame = VALID[source]()
    frame[column] = values
    report = validate_frame(frame, CONTRACTS[source])
    failure = only_failure(report)
    assert failure.expectation.startswith("expect_column_values_to_be_")
    assert failure.column == column
    assert f"is not a {CONTRACTS[source].column(column).dtype} dtype" in failure.reason


def test_object_column_reports_the_values_of_the_wrong_type():
    frame = valid_declarations()
    frame["currency"] = pd.Series(["EUR", 978, "USD"], dtype=object)
    failure = only_failure(validate_frame(frame, DECLARATIONS))
    assert failure.column == "currency"
    assert "(1 of 3 values are not string)" in failure.reason
    assert failure.examples == ["978"]


# --- reports and errors ----------------------------------------------------------------------


def _failing_reports() -> dict[str, ValidationReport]:
    bad = valid_declarations()
    bad.loc[0, "hs_code"] = "12AB"
    bad.loc[1, "transport_mode"] = "boat"
    return validate_sources({"declarations": bad, "monitoring": valid_monitoring()})


def test_render_names_source_columns_and_examples():
    text = _failing_reports()["declarations"].render()
    assert text.splitlines()[0] == "declarations: FAIL (3 rows, 73 expectations, 2 failures)"
    assert "hs_code: expect_column_values_to_match_regex: 1 of 3 values" in text
    assert "e.g. '12AB'" in text
    assert "transport_mode" in text


def test_to_dict_is_json_serialisable():
    data = json.loads(json.dumps(_failing_reports()["declarations"].to_dict()))
    assert data["source"] == "declarations"
    assert data["success"] is False
    assert {f["column"] for f in data["failures"]} == {"hs_code", "transport_mode"}


def test_require_valid_raises_with_the_failures():
    reports = _failing_reports()
    with pytest.raises(DataValidationError) as caught:
        require_valid(reports)
    message = str(caught.value)
    assert "declarations: FAIL" in message
    assert "hs_code" in message and "transport_mode" in message
    assert "monitoring" not in message  # passing sources are not listed
    assert set(caught.value.reports) == {"declarations", "monitoring"}
    # Survives pickling (Prefect pickles task exceptions).
    copy = pickle.loads(pickle.dumps(caught.value))
    assert str(copy) == message and copy.reports == caught.value.reports


# --- suite -----------------------------------------------------------------------------------


def test_suite_is_derived_from_the_contract():
    suite = build_suite(DECLARATIONS)
    types = [e.expectation_type for e in suite.expectations]
    nullable = sum(c.nullable for c in DECLARATIONS.columns)
    assert (
        types.count("expect_column_values_to_not_be_null") == len(DECLARATIONS.columns) - nullable
    )
    assert types.count("expect_column_values_to_match_regex") == sum(
        c.pattern is not None for c in DECLARATIONS.columns
    )
    assert types.count("expect_compound_columns_to_be_unique") == 1
    assert types.count("expect_column_pair_values_a_to_be_greater_than_b") == 1


def test_note_without_rule_fails_loudly():
    contract = dataclasses.replace(DECLARATIONS, notes=(*DECLARATIONS.notes, "value_cny > 0"))
    with pytest.raises(ValueError, match="'value_cny > 0' has no expectation"):
        build_suite(contract)


def test_large_frame_keeps_examples_short():
    frame = pd.concat([valid_declarations()] * 40, ignore_index=True)
    frame["declaration_id"] = [f"2201{i:014d}" for i in range(len(frame))]
    frame.loc[::3, "hs_code"] = [f"X{i}" for i in range(len(frame.loc[::3]))]
    failure = only_failure(validate_frame(frame, DECLARATIONS))
    assert failure.reason == "40 of 120 values do not match ^[0-9]{6,10}$"
    assert len(failure.examples) == 5 and len(set(failure.examples)) == 5
    assert not np.isnan(failure.unexpected_count)

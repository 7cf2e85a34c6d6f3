"""The synthetic generator: deterministic, conforming, and its planted mechanisms are there."""

import re

import numpy as np
import pandas as pd
import pytest

from config.settings import Settings
from sources.contracts import CONTRACTS, CREDIT_LEVELS, pandas_dtypes
from sources.generator import SHIFT_ORIGIN, GeneratorConfig, generate


def test_same_seed_same_frames_other_seed_other_frames(small_data):
    again = generate(GeneratorConfig(n_declarations=30_000, months=12, start="2025-01-01", seed=7))
    for name, frame in small_data.frames().items():
        pd.testing.assert_frame_equal(frame, again.frames()[name])
    other = generate(GeneratorConfig(n_declarations=30_000, months=12, start="2025-01-01", seed=8))
    assert not other.declarations["value_cny"].equals(small_data.declarations["value_cny"])


def test_frames_conform_to_their_contracts(small_sources):
    for name, frame in small_sources.items():
        contract = CONTRACTS[name]
        assert list(frame.columns) == contract.column_names
        for column, dtype in pandas_dtypes(contract).items():
            if dtype.startswith("datetime"):
                assert str(frame[column].dtype) == "datetime64[us]", (name, column)
        for column in contract.columns:
            values = frame[column.name].dropna()
            if column.pattern:
                assert values.astype(str).str.fullmatch(column.pattern.strip("^$")).all(), column
            if column.allowed:
                assert set(values.astype(str)) <= set(column.allowed), column.name
            if not column.nullable:
                assert frame[column.name].notna().all(), column.name


def test_internal_consistency(small_sources):
    d, o = small_sources["declarations"], small_sources["inspection_outcomes"]
    assert (d["gross_weight_kg"] >= d["net_weight_kg"]).all()
    assert not d.duplicated(["declaration_id", "item_no"]).any()
    joined = o.merge(d, on=["declaration_id", "item_no"], how="left", indicator=True)
    assert (joined["_merge"] == "both").all()
    assert (joined["inspected_at"] >= joined["declared_at"]).all()
    assert (joined["outcome_known_at"] > joined["inspected_at"]).all()
    credit = small_sources["credit_history"].sort_values(["enterprise_id", "valid_from"])
    following = credit.groupby("enterprise_id")["valid_from"].shift(-1)
    closed = following.notna()
    assert (credit.loc[closed, "valid_to"] <= following[closed]).all()  # periods do not overlap
    assert re.fullmatch(r"[0-9]{18}", d["declaration_id"].iloc[0])


def _inspected(sources):
    d, o = sources["declarations"], sources["inspection_outcomes"]
    credit = sources["credit_history"].sort_values("valid_from")
    rows = o.merge(d, on=["declaration_id", "item_no"])
    return rows, credit


def test_selection_is_biased_towards_low_credit_levels(small_sources):
    d = small_sources["declarations"]
    credit = small_sources["credit_history"]
    first = credit.drop_duplicates("enterprise_id")[["enterprise_id", "credit_level"]]
    levels = d.merge(first, left_on="consignee_id", right_on="enterprise_id", how="left")
    keys = small_sources["inspection_outcomes"][["declaration_id", "item_no"]]
    inspected = levels.merge(keys.assign(hit=1), how="left", on=["declaration_id", "item_no"])
    rate = inspected.groupby("credit_level")["hit"].apply(lambda s: s.notna().mean())
    assert rate["advanced_certified"] < 0.2 * rate["regular"]
    assert rate["dishonest"] > 0.6
    reasons = small_sources["inspection_outcomes"]["selection_reason"].value_counts(normalize=True)
    assert 0.05 < reasons["random"] < 0.3 and reasons["rule"] > 0.5
    assert set(CREDIT_LEVELS) <= set(credit["credit_level"])


def test_planted_revenue_mechanism_undervaluation(small_sources):
    rows, _ = _inspected(small_sources)
    rows = rows[rows["duty_rate"] > 0]
    unit_value = np.log(rows["value_cny"] / rows["net_weight_kg"])
    relative = unit_value - unit_value.groupby([rows["hs_code"], rows["origin_country"]]).transform(
        "median"
    )
    cheap = relative < np.log(0.6)
    assert (
        rows.loc[cheap, "finding_revenue"].mean() > 3 * rows.loc[~cheap, "finding_revenue"].mean()
    )
    found = rows["finding_revenue"]
    assert (rows.loc[found, "duty_recovered_cny"] > 0).mean() > 0.8


GOODS_LINE = ["hs_code", "origin_country", "net_weight_kg", "declared_value", "currency"]


def test_standing_orders_repeat_a_consignees_goods_line_on_the_same_terms(small_sources):
    """Some declarations repeat one the same consignee lodged before — same goods, origin,
    overseas trader, net weight and declared value — and an undervalued line stays so."""
    d = small_sources["declarations"]
    repeated = d.duplicated(GOODS_LINE)
    assert 0.05 < repeated.mean() < 0.3
    per_line = d.groupby(GOODS_LINE)
    assert (per_line["consignee_id"].nunique() == 1).all()
    assert (per_line["overseas_trader_id"].nunique() == 1).all()
    # Findings cluster on lines: a repeat of a line found undervalued before is found again
    # far more often than a repeat of a line found clean.
    rows, _ = _inspected(small_sources)
    rows = rows.sort_values("declared_at", kind="stable")
    found_before = rows.groupby(GOODS_LINE)["finding_revenue"].transform(
        lambda found: found.astype(float).shift().cummax()
    )  # NaN at a line's first inspection
    again = rows.loc[found_before == 1, "finding_revenue"].mean()
    clean = rows.loc[found_before == 0, "finding_revenue"].mean()
    assert again > 3 * clean, (again, clean)


def test_some_warnings_cover_an_hs_chapter_from_any_origin(small_sources):
    m = small_sources["monitoring"]
    chapter_wide = m["hs_prefix"].notna() & m["origin_country"].isna() & m["enterprise_id"].isna()
    assert chapter_wide.sum() > 0
    assert (m.loc[chapter_wide, "outcome"] == "adverse").all()


def test_planted_prohibited_mechanism_missing_licence(small_sources):
    rows, _ = _inspected(small_sources)
    licensed_codes = {"3004909099", "2939410000", "2932920000", "8703236110"}
    needs = rows["hs_code"].isin(licensed_codes)
    without = needs & (rows["licence_codes"] == "")
    with_licence = needs & (rows["licence_codes"] != "")
    rate_without = rows.loc[without, "finding_prohibited_restricted"].mean()
    assert rate_without > 5 * rows.loc[with_licence, "finding_prohibited_restricted"].mean()


def test_biosecurity_findings_follow_recent_interceptions(small_sources):
    rows, _ = _inspected(small_sources)
    monitoring = small_sources["monitoring"]
    hits = monitoring[
        (monitoring["risk_category"] == "biosecurity")
        & (monitoring["outcome"] == "adverse")
        & monitoring["hs_prefix"].notna()
    ]
    rows = rows[
        rows["hs_code"].str[:2].isin(["01", "02", "03", "04", "06", "07", "08", "12", "44"])
    ]
    route = rows["hs_code"].str[:2] + rows["origin_country"]
    flagged = set(hits["hs_prefix"].str[:2] + hits["origin_country"])
    on_flagged = route.isin(flagged)
    assert (
        rows.loc[on_flagged, "finding_biosecurity"].mean()
        > rows.loc[~on_flagged, "finding_biosecurity"].mean()
    )


def test_label_delay_is_days_to_weeks(small_sources):
    o = small_sources["inspection_outcomes"]
    delay = (o["outcome_known_at"] - o["inspected_at"]).dt.total_seconds() / 86_400
    assert 2 < delay.median() < 20 and delay.quantile(0.95) > 14


def test_data_are_a_snapshot_at_the_end_of_the_period():
    """Nothing is known after the period's end: outcomes still pending then (the label
    delay) are missing, as later monitoring and credit changes are."""
    config = GeneratorConfig(n_declarations=8_000, months=6, start="2025-01-01", seed=3)
    sources = generate(config).frames()
    end = pd.Timestamp(config.period[1])
    for name, frame in sources.items():
        for column in frame.columns:
            if frame[column].dtype.kind == "M":
                assert (frame[column].dropna() < end).all(), (name, column)
    # Of the items declared in the last two weeks, far fewer have a known outcome.
    d, o = sources["declarations"], sources["inspection_outcomes"]
    known = d.merge(o[["declaration_id", "item_no"]].assign(known=True), how="left")["known"]
    late = (d["declared_at"] >= end - pd.Timedelta(days=14)).to_numpy()
    assert known[late].notna().mean() < 0.5 * known[~late].notna().mean()


def test_shift_adds_a_new_route_only_after_its_date():
    data = generate(
        GeneratorConfig(
            n_declarations=8_000, months=6, start="2025-01-01", seed=3, shift_date="2025-04-01"
        )
    )
    d = data.declarations
    new_route = d["consignee_id"].str.startswith("93")
    assert new_route.any()
    assert (d.loc[new_route, "declared_at"] >= pd.Timestamp("2025-04-01")).all()
    assert (d.loc[new_route, "origin_country"] == SHIFT_ORIGIN).all()
    after = d["declared_at"] >= pd.Timestamp("2025-04-01")
    assert 0.07 < new_route[after].mean() < 0.2


@pytest.mark.parametrize(
    "kwargs",
    [{"n_declarations": 10}, {"months": 0}, {"random_share": 0.2}, {"shift_date": "2030-01-01"}],
)
def test_invalid_config_is_refused(kwargs):
    with pytest.raises(ValueError):
        GeneratorConfig.for_settings(Settings(), **kwargs)


def test_generator_takes_size_period_and_seed_from_the_settings():
    settings = Settings(declarations=12_000, months=7, start_date="2024-03-01", seed=5)
    assert GeneratorConfig.for_settings(settings) == GeneratorConfig(
        n_declarations=12_000, months=7, start="2024-03-01", seed=5
    )
    assert GeneratorConfig.for_settings(
        settings, months=3, shift_date="2024-04-01"
    ) == GeneratorConfig(
        n_declarations=12_000, months=3, start="2024-03-01", seed=5, shift_date="2024-04-01"
    )

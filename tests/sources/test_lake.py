"""Records received one by one (API outcomes and the declarations they belong to) join the
next ingestion in their contract's form, without replacing what the batch holds."""

from __future__ import annotations

import pandas as pd

from sources.lake import DataLake


def test_received_records_join_the_batch_and_the_batch_wins_on_its_keys(tmp_path, small_sources):
    lake = DataLake(tmp_path)
    outcomes = small_sources["inspection_outcomes"]
    declarations = small_sources["declarations"]
    known = outcomes.iloc[[0]].assign(duty_recovered_cny=123456.0)  # same key, other value
    new_declaration = declarations.iloc[[0]].assign(declaration_id="API0000000001")
    new_outcome = (
        outcomes.iloc[[0]]
        .assign(declaration_id="API0000000001", item_no=int(declarations["item_no"].iloc[0]))
        .drop(columns=["selection_probability"])  # nullable: the contract form adds it
    )
    lake.add_incoming("inspection_outcomes", pd.concat([known, new_outcome]), "decision-1")
    lake.add_incoming("declarations", new_declaration, "decision-1")

    merged = lake.with_incoming(small_sources)

    assert len(merged["inspection_outcomes"]) == len(outcomes) + 1
    assert len(merged["declarations"]) == len(declarations) + 1
    assert list(merged["inspection_outcomes"].columns) == list(outcomes.columns)
    first = merged["inspection_outcomes"].iloc[0]
    assert first["duty_recovered_cny"] == outcomes["duty_recovered_cny"].iloc[0]
    added = merged["inspection_outcomes"].iloc[-1]
    assert added["declaration_id"] == "API0000000001"
    assert pd.isna(added["selection_probability"])
    assert merged["credit_history"] is small_sources["credit_history"]  # nothing received


def test_nothing_received_changes_nothing(tmp_path, small_sources):
    merged = DataLake(tmp_path).with_incoming(small_sources)
    assert all(merged[name] is frame for name, frame in small_sources.items())

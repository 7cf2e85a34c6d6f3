"""A consignee's record on the decision page: only what was declared, and what inspections
found as known, before the decision's declaration time."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from serving.workbench.consignees import ConsigneeHistory
from sources.contracts import RISK_CATEGORIES
from sources.lake import DataLake, write_parquet


def _lake(root) -> DataLake:
    lake = DataLake(root)
    declarations = pd.DataFrame(
        {
            "declaration_id": ["D1", "D1", "D2", "D3", "D9"],
            "item_no": [1, 2, 1, 1, 1],
            "declared_at": pd.to_datetime(
                ["2026-01-05", "2026-01-05", "2026-02-01", "2026-03-01", "2026-01-10"]
            ),
            "consignee_id": ["C1", "C1", "C1", "C1", "C2"],
        }
    )
    outcomes = pd.DataFrame(
        {
            "declaration_id": ["D1", "D2"],
            "item_no": [1, 1],
            # D2's result became known only after the decision below
            "outcome_known_at": pd.to_datetime(["2026-01-20", "2026-03-20"]),
            **{f"finding_{c}": [c == "revenue", True] for c in RISK_CATEGORIES},
        }
    )
    write_parquet(declarations, lake.source_path(lake.raw, "declarations"))
    write_parquet(outcomes, lake.source_path(lake.raw, "inspection_outcomes"))
    return lake


def test_the_record_counts_only_what_was_known_before_the_declaration(tmp_path):
    history = ConsigneeHistory(_lake(tmp_path))
    record = history.of("C1", datetime(2026, 3, 1, tzinfo=UTC))
    assert (record.declarations, record.goods_items) == (2, 3)  # D3 itself is not history
    assert (record.inspected, record.with_findings) == (1, 1)  # D2's outcome was not known
    assert record.findings["revenue"] == 1 and record.finding_rate == 1.0
    assert record.first_declared == datetime(2026, 1, 5)
    assert history.of("C9", datetime(2026, 3, 1, tzinfo=UTC)) is None
    empty = history.of("C2", datetime(2026, 1, 1, tzinfo=UTC))
    assert (empty.goods_items, empty.inspected, empty.finding_rate) == (0, 0, None)

"""A consignee's record as the lake holds it: past goods items, inspections and findings.

Read once from the lake's raw layer and indexed by consignee; read again when the files
change (the next ingestion). Only what was known before the decision's declaration time
counts, as for the model's own history features.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from sources.contracts import RISK_CATEGORIES
from sources.lake import DataLake

FINDINGS = [f"finding_{c}" for c in RISK_CATEGORIES]


@dataclass(frozen=True)
class ConsigneeRecord:
    """What the consignee declared and what inspections of it found, before ``before``."""

    declarations: int
    goods_items: int
    inspected: int
    with_findings: int
    findings: dict[str, int]
    first_declared: datetime | None

    @property
    def finding_rate(self) -> float | None:
        return self.with_findings / self.inspected if self.inspected else None


class ConsigneeHistory:
    def __init__(self, lake: DataLake) -> None:
        self._lake = lake
        self._lock = threading.Lock()
        self._stamp: tuple[float, ...] | None = None
        self._items = pd.DataFrame()
        self._rows: dict[str, np.ndarray] = {}

    def _paths(self):
        return (
            self._lake.source_path(self._lake.raw, "declarations"),
            self._lake.source_path(self._lake.raw, "inspection_outcomes"),
        )

    def _load(self) -> None:
        declarations_path, outcomes_path = self._paths()
        stamp = tuple(p.stat().st_mtime if p.exists() else 0.0 for p in self._paths())
        if stamp == self._stamp:
            return
        if not declarations_path.exists():
            self._items, self._rows, self._stamp = pd.DataFrame(), {}, stamp
            return
        items = pd.read_parquet(
            declarations_path, columns=["declaration_id", "item_no", "declared_at", "consignee_id"]
        )
        if outcomes_path.exists():
            outcomes = pd.read_parquet(
                outcomes_path, columns=["declaration_id", "item_no", "outcome_known_at", *FINDINGS]
            )
            items = items.merge(outcomes, on=["declaration_id", "item_no"], how="left")
        self._items = items
        self._rows = items.groupby("consignee_id", sort=False).indices
        self._stamp = stamp

    def of(self, consignee_id: str, before: datetime) -> ConsigneeRecord | None:
        """The consignee's record before ``before`` (None when the lake has none)."""
        with self._lock:
            self._load()
            rows = self._rows.get(consignee_id)
            items = self._items
        if rows is None:
            return None
        own = items.iloc[rows]
        cutoff = pd.Timestamp(before).tz_convert("UTC").tz_localize(None)
        own = own[own["declared_at"] < cutoff]
        known = own[own.get("outcome_known_at", pd.Series(dtype="datetime64[ns]")) < cutoff]
        found = known[FINDINGS].fillna(False).astype(bool) if len(known) else None
        return ConsigneeRecord(
            declarations=int(own["declaration_id"].nunique()),
            goods_items=len(own),
            inspected=len(known),
            with_findings=int(found.any(axis=1).sum()) if found is not None else 0,
            findings={
                c: int(found[f"finding_{c}"].sum()) if found is not None else 0
                for c in RISK_CATEGORIES
            },
            first_declared=own["declared_at"].min().to_pydatetime() if len(own) else None,
        )

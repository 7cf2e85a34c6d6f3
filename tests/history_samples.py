"""A lake history planted route by route: goods items declared, inspected, and what was
found, with when each outcome became known (for route signals and test runs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from sources.contracts import RISK_CATEGORIES
from sources.lake import DataLake, write_parquet

UNTIL = datetime(2026, 6, 30, 12, tzinfo=UTC)
CHAPTERS = ("02", "03", "08", "22", "33", "61", "84", "85")
ORIGINS = ("BR", "DE", "JP", "US", "VN")
BASELINE, RECENT, AFTER = -100.0, -10.0, 2.0  # days from UNTIL the outcomes became known
DECLARED_BEFORE_KNOWN = timedelta(days=6)
INSPECTED_BEFORE_KNOWN = timedelta(days=5)


def naive(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(tzinfo=None)  # the lake's times: UTC, tz-naive


class Lake:
    """Declarations and inspection outcomes, planted a route and a window at a time."""

    def __init__(self) -> None:
        self.declarations: list[dict] = []
        self.outcomes: list[dict] = []

    def declare(self, chapter: str, origin: str, day: float) -> str:
        """One goods item of HS chapter × origin declared ``day`` days from UNTIL."""
        declaration_id = f"D{len(self.declarations):09d}"
        self.declarations.append(
            {
                "declaration_id": declaration_id,
                "item_no": 1,
                "declared_at": naive(UNTIL + timedelta(days=day)),
                "customs_office": "2200",
                "port_code": "2200",
                "trade_mode": "0110",
                "consignee_id": "91310000MA1FL0001X",
                "declarant_id": "3101980001",
                "hs_code": f"{chapter}01000000",
                "origin_country": origin,
                "value_cny": 10_000.0,
            }
        )
        return declaration_id

    def plant(self, chapter, origin, known_day, inspected, findings, category="food_safety"):
        """``inspected`` goods items whose outcomes became known ``known_day`` days from
        UNTIL (declared 6 days, inspected 5 days before), ``findings`` of them found in
        ``category``."""
        known = UNTIL + timedelta(days=known_day)
        declared_day = known_day - DECLARED_BEFORE_KNOWN / timedelta(days=1)
        for n in range(inspected):
            declaration_id = self.declare(chapter, origin, declared_day)
            self.outcomes.append(
                {
                    "declaration_id": declaration_id,
                    "item_no": 1,
                    "selection_reason": "rule",
                    "inspected_at": naive(known - INSPECTED_BEFORE_KNOWN),
                    "outcome_known_at": naive(known),
                    **{f"finding_{c}": c == category and n < findings for c in RISK_CATEGORIES},
                    "duty_recovered_cny": 0.0,
                }
            )
        return self

    def frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        return pd.DataFrame(self.declarations), pd.DataFrame(self.outcomes)

    def write(self, lake: DataLake) -> None:
        """As the raw batch of ``lake`` (the columns the history reads, and a few more)."""
        declarations, outcomes = self.frames()
        write_parquet(declarations, lake.source_path(lake.raw, "declarations"))
        write_parquet(outcomes, lake.source_path(lake.raw, "inspection_outcomes"))


def stable_lake() -> Lake:
    """40 routes finding food-safety violations in 5 % of inspections, in both windows
    (a few at 7.5 % recently: noise, not a rise)."""
    lake = Lake()
    for i, (chapter, origin) in enumerate((c, o) for c in CHAPTERS for o in ORIGINS):
        lake.plant(chapter, origin, BASELINE, 400, 20)
        lake.plant(chapter, origin, RECENT, 120, 9 if i % 7 == 0 else 6)
    return lake

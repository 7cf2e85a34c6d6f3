"""Route signals: where inspections recently found more, for an analyst's risk warning.

A route is the ROUTE entity of ``features.entities``: HS chapter × origin country. For
every route and risk category, the finding rate among inspected goods items of the recent
window (``recent_days`` up to ``until``) is compared with the baseline window just before
it (``baseline_days``). An outcome belongs to the window in which it became known
(``outcome_known_at``, the time the labels exist from, as in the features' outcome
history): each window then holds every outcome known in it, none is still maturing, and
nothing known after ``until`` is read.

The test, per route and category: one-sided Fisher's exact test (the hypergeometric tail
P(X ≥ recent findings) given both windows' inspected items and their findings together),
exact for the small counts a route has, where a normal approximation would not hold.
Only routes with at least ``min_inspected`` inspected items in each window, and a finding
in either, are tested (without a finding the test cannot reject: its p-value is 1
whatever happens). Hundreds of routes × categories are tested at once, so the p-values are
adjusted by Benjamini-Hochberg: a route is a signal when its adjusted p-value (q) is at
most ``false_discovery_rate`` and its rate rose — among the signals, that share are
expected to be false alarms. Signals are ranked by q, then p, then the rise.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import false_discovery_control, hypergeom

from disposal.instructions import as_utc
from disposal.items import utc_naive, utc_naive_times
from disposal.test_run import wilson_interval
from features.entities import ROUTE
from sources.contracts import INSPECTION_OUTCOMES, RISK_CATEGORIES

RECENT_DAYS = 28
BASELINE_DAYS = 182
MIN_INSPECTED = 20  # per window: fewer inspected items say too little about a rate
FALSE_DISCOVERY_RATE = 0.10
ITEM_KEY: tuple[str, ...] = INSPECTION_OUTCOMES.key
# What the signals read of each source.
DECLARATION_COLUMNS: tuple[str, ...] = (*ITEM_KEY, *(p.column for p in ROUTE.parts))
OUTCOME_COLUMNS: tuple[str, ...] = (
    *ITEM_KEY,
    "outcome_known_at",
    *(f"finding_{c}" for c in RISK_CATEGORIES),
)
_WINDOWS = ("baseline", "recent")


class RouteSignal(BaseModel):
    """A route whose finding rate in a category rose, with what an instruction or a risk
    warning on it would cover."""

    model_config = ConfigDict(frozen=True)

    hs_chapter: str
    origin_country: str
    category: str
    recent_inspected: int
    recent_findings: int
    recent_rate: float
    recent_low: float = Field(description="90 % Wilson interval of the recent rate.")
    recent_high: float
    baseline_inspected: int
    baseline_findings: int
    baseline_rate: float
    baseline_low: float
    baseline_high: float
    rate_increase: float = Field(description="recent_rate - baseline_rate.")
    p_value: float = Field(description="One-sided Fisher's exact test: the rate rose.")
    q_value: float = Field(description="Benjamini-Hochberg adjusted over every route tested.")
    suggested_scope: dict[str, list[str]] = Field(
        description="InstructionScope fields covering the route."
    )
    suggested_categories: list[str]


class RouteSignals(BaseModel):
    """The signals of one scan, with its windows and how many tests it made."""

    model_config = ConfigDict(frozen=True)

    until: datetime
    recent_start: datetime
    baseline_start: datetime
    min_inspected: int
    false_discovery_rate: float
    tested: int = Field(description="Route × category pairs tested (the BH family).")
    signals: tuple[RouteSignal, ...]


def route_signals(
    declarations: pd.DataFrame,
    outcomes: pd.DataFrame,
    until: datetime,
    recent_days: int = RECENT_DAYS,
    baseline_days: int = BASELINE_DAYS,
    min_inspected: int = MIN_INSPECTED,
    false_discovery_rate: float = FALSE_DISCOVERY_RATE,
    categories: Sequence[str] = RISK_CATEGORIES,
) -> RouteSignals:
    """Routes whose finding rate rose in the recent window (see the module), ranked.
    ``declarations`` need ``DECLARATION_COLUMNS``, ``outcomes`` ``OUTCOME_COLUMNS``."""
    if recent_days < 1 or baseline_days < 1 or min_inspected < 1:
        raise ValueError("recent_days, baseline_days and min_inspected must be at least 1")
    until = as_utc(until)
    recent_start = until - timedelta(days=recent_days)
    baseline_start = recent_start - timedelta(days=baseline_days)
    counts = _route_counts(declarations, outcomes, (baseline_start, recent_start, until))
    tested = _tests(counts, categories, min_inspected)
    if len(tested):
        tested["q"] = false_discovery_control(tested["p"].to_numpy())
    rose = tested[tested["recent_rate"] > tested["baseline_rate"]] if len(tested) else tested
    found = rose[rose["q"] <= false_discovery_rate] if len(rose) else rose
    found = found.sort_values(["q", "p", "increase"], ascending=[True, True, False])
    return RouteSignals(
        until=until,
        recent_start=recent_start,
        baseline_start=baseline_start,
        min_inspected=min_inspected,
        false_discovery_rate=false_discovery_rate,
        tested=len(tested),
        signals=tuple(_signal(row) for row in found.itertuples(index=False)),
    )


def _route_counts(
    declarations: pd.DataFrame, outcomes: pd.DataFrame, bounds: tuple[datetime, ...]
) -> pd.DataFrame:
    """Inspected items and findings per route and window: one row per route, columns
    ``(window, "inspected" | category)``."""
    start, middle, end = (utc_naive(b) for b in bounds)
    known_at = utc_naive_times(outcomes["outcome_known_at"])
    window = np.select(
        [(known_at > start) & (known_at <= middle), (known_at > middle) & (known_at <= end)],
        list(_WINDOWS),
        default="",
    )
    used = outcomes.loc[window != ""].assign(window=window[window != ""])
    items = declarations[list(DECLARATION_COLUMNS)].drop_duplicates(list(ITEM_KEY))
    used = used.merge(items, on=list(ITEM_KEY), how="inner")  # an item's route is declared
    columns = {c: used[c].to_numpy() for c in DECLARATION_COLUMNS}
    texts: dict[str, np.ndarray] = {}
    chapter, origin = (part.read(columns, texts) for part in ROUTE.parts)
    known = (chapter != "") & (origin != "")
    findings = [c for c in used.columns if c.startswith("finding_")]
    table = pd.DataFrame(
        {
            "hs_chapter": chapter[known],
            "origin_country": origin[known],
            "window": used["window"].to_numpy()[known],
            "inspected": 1,
            **{c.removeprefix("finding_"): used[c].to_numpy(dtype=bool)[known] for c in findings},
        }
    )
    summed = table.groupby(["hs_chapter", "origin_country", "window"]).sum()
    return summed.unstack("window", fill_value=0)


def _tests(counts: pd.DataFrame, categories: Sequence[str], min_inspected: int) -> pd.DataFrame:
    """One row per testable route × category with both windows' counts and the p-value."""
    if counts.empty or not set(_WINDOWS) <= set(counts.columns.get_level_values("window")):
        return pd.DataFrame(columns=["p", "q", "recent_rate", "baseline_rate", "increase"])
    n_recent, n_base = counts[("inspected", "recent")], counts[("inspected", "baseline")]
    enough = (n_recent >= min_inspected) & (n_base >= min_inspected)
    rows = []
    for category in categories:
        if category not in counts.columns.get_level_values(0):
            continue  # no finding column: a reserved category
        k_recent, k_base = counts[(category, "recent")], counts[(category, "baseline")]
        testable = enough & (k_recent + k_base > 0)
        rows.append(
            pd.DataFrame(
                {
                    "category": category,
                    "recent_inspected": n_recent[testable],
                    "recent_findings": k_recent[testable],
                    "baseline_inspected": n_base[testable],
                    "baseline_findings": k_base[testable],
                }
            )
        )
    tests = pd.concat(rows).reset_index() if rows else pd.DataFrame()
    if tests.empty:
        return pd.DataFrame(columns=["p", "q", "recent_rate", "baseline_rate", "increase"])
    n_r, k_r = tests["recent_inspected"], tests["recent_findings"]
    n_b, k_b = tests["baseline_inspected"], tests["baseline_findings"]
    # P(X >= k_r), X hypergeometric: n_r items drawn from both windows' n_r + n_b, of which
    # k_r + k_b found something — one-sided Fisher's exact test.
    tests["p"] = hypergeom.sf(k_r - 1, n_r + n_b, k_r + k_b, n_r)
    tests["recent_rate"] = k_r / n_r
    tests["baseline_rate"] = k_b / n_b
    tests["increase"] = tests["recent_rate"] - tests["baseline_rate"]
    return tests


def _signal(row) -> RouteSignal:
    recent_low, recent_high = wilson_interval(row.recent_findings, row.recent_inspected)
    base_low, base_high = wilson_interval(row.baseline_findings, row.baseline_inspected)
    return RouteSignal(
        hs_chapter=row.hs_chapter,
        origin_country=row.origin_country,
        category=row.category,
        recent_inspected=int(row.recent_inspected),
        recent_findings=int(row.recent_findings),
        recent_rate=float(row.recent_rate),
        recent_low=float(recent_low),
        recent_high=float(recent_high),
        baseline_inspected=int(row.baseline_inspected),
        baseline_findings=int(row.baseline_findings),
        baseline_rate=float(row.baseline_rate),
        baseline_low=float(base_low),
        baseline_high=float(base_high),
        rate_increase=float(row.increase),
        p_value=float(row.p),
        q_value=float(row.q),
        suggested_scope={"hs_prefixes": [row.hs_chapter], "origin_countries": [row.origin_country]},
        suggested_categories=[row.category],
    )

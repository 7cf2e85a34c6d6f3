"""Test run of an instruction's scope: what it would have hit in the last weeks.

Before publishing a control instruction, the drafter and the publisher see what its scope
would have caught in the recent history of the lake: how many goods items (and
declarations) of the last four weeks it covers, what share of all items that is, and how
often inspecting those items found a violation in the instruction's categories, beside the
same finding rate over every inspected item of the window (is the scope where the
findings are?).

The scope is matched by ``disposal.instructions.scope_mask``, the very rule live disposal
applies, on the goods items as declared. The window ends at ``until``, the time asked for
(now), unless the lake ends earlier (demo data is historical): then it ends at the lake's
latest ``declared_at``, and the result says which. An outcome counts only if it was known
by then (``outcome_known_at`` ≤ until), so a test run of a past moment sees what was known
at that moment and nothing from after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import norm

from disposal.catalogue import known_categories
from disposal.instructions import Instruction, InstructionScope, as_utc, scope_mask
from disposal.items import (
    ITEM_KEY_COLUMNS,
    SCOPE_COLUMNS,
    ItemColumns,
    utc_naive,
    utc_naive_times,
)
from sources.contracts import INSPECTION_OUTCOMES, RISK_CATEGORIES

TEST_RUN_WEEKS = 4
INTERVAL = 0.90  # of the Wilson intervals around finding rates
WEEK = np.timedelta64(7, "D")
ITEM_KEY: tuple[str, ...] = INSPECTION_OUTCOMES.key
# What a test run reads of each source (a cached reader keeps these columns only).
DECLARATION_COLUMNS: tuple[str, ...] = (*ITEM_KEY_COLUMNS, *SCOPE_COLUMNS, "hs_code")
OUTCOME_COLUMNS: tuple[str, ...] = (
    *ITEM_KEY,
    "inspected_at",
    "outcome_known_at",
    *(f"finding_{c}" for c in RISK_CATEGORIES),
)


class UntilBasis(StrEnum):
    """Where the window ends: at the time asked for, or at the lake's last declaration."""

    REQUESTED = "requested"
    LAKE_END = "lake_end"


class FindingRate(BaseModel):
    """Findings among inspected goods items whose outcome was known by the window's end."""

    model_config = ConfigDict(frozen=True)

    inspected: int
    with_finding: int = Field(description="Inspected items with a finding in the categories.")
    rate: float | None = Field(description="with_finding / inspected; None when none inspected.")
    low: float | None = Field(description=f"{INTERVAL:.0%} Wilson interval, lower end.")
    high: float | None = Field(description=f"{INTERVAL:.0%} Wilson interval, upper end.")


class WeekCounts(BaseModel):
    """One week of the window, (start, end]."""

    model_config = ConfigDict(frozen=True)

    start: datetime
    end: datetime
    items: int
    items_hit: int
    inspected_hit: int
    with_finding_hit: int


class ScopeTestRun(BaseModel):
    """What a scope would have hit in the window, and what inspecting those items found."""

    model_config = ConfigDict(frozen=True)

    instruction_id: str | None = Field(description="None for a scope tried on its own.")
    version: int | None
    scope: InstructionScope
    categories: tuple[str, ...] = Field(description="Findings counted in these categories.")
    requested_until: datetime
    until: datetime = Field(description="End of the window (inclusive).")
    until_basis: UntilBasis = Field(
        description="'requested': the time asked for (now); 'lake_end': the lake's latest "
        "declared_at, because the lake ends before the time asked for."
    )
    window_start: datetime = Field(description="Start of the window (exclusive).")
    weeks: int
    items: int = Field(description="Goods items declared in the window.")
    items_hit: int = Field(description="Of them, in the scope.")
    declarations_hit: int = Field(description="Declarations with a goods item in the scope.")
    share_hit: float | None = Field(description="items_hit / items; None without items.")
    hit: FindingRate = Field(description="Among the items in the scope.")
    all_inspected: FindingRate = Field(description="Among every item of the window.")
    pending_hit: int = Field(
        description="Items in the scope inspected by the window's end whose outcome was "
        "not known yet (not counted as inspected)."
    )
    per_week: tuple[WeekCounts, ...]


def wilson_interval(
    found: np.ndarray | int, inspected: np.ndarray | int, confidence: float = INTERVAL
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of ``found / inspected`` (element-wise; NaN where nothing
    was inspected). Unlike the normal interval it stays in [0, 1] and is not empty at 0
    or 1 findings, which small scopes often have."""
    k = np.asarray(found, dtype=float)
    n = np.asarray(inspected, dtype=float)
    z = norm.ppf(1 - (1 - confidence) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denominator = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denominator
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def finding_rate(found: np.ndarray, inspected: np.ndarray) -> FindingRate:
    """The rate and its interval among the items ``inspected`` (bool arrays, aligned)."""
    n, k = int(inspected.sum()), int((found & inspected).sum())
    if n == 0:
        return FindingRate(inspected=0, with_finding=0, rate=None, low=None, high=None)
    low, high = wilson_interval(k, n)
    return FindingRate(inspected=n, with_finding=k, rate=k / n, low=float(low), high=float(high))


def window_end(declarations: pd.DataFrame, until: datetime) -> tuple[datetime, UntilBasis]:
    """``until``, or the lake's latest ``declared_at`` when the lake ends before it."""
    until = as_utc(until)
    if len(declarations) == 0:
        return until, UntilBasis.REQUESTED
    latest = as_utc(
        pd.Timestamp(utc_naive_times(declarations["declared_at"]).max()).to_pydatetime()
    )
    return (latest, UntilBasis.LAKE_END) if latest < until else (until, UntilBasis.REQUESTED)


def scope_test_run(
    subject: Instruction | InstructionScope,
    declarations: pd.DataFrame,
    outcomes: pd.DataFrame,
    until: datetime,
    weeks: int = TEST_RUN_WEEKS,
    categories: Sequence[str] | None = None,
) -> ScopeTestRun:
    """Try ``subject``'s scope on the goods items declared in the ``weeks`` before
    ``until`` (see the module). ``declarations``: one row per goods item with
    ``DECLARATION_COLUMNS``; ``outcomes``: ``OUTCOME_COLUMNS``, at most one per item.
    Findings count in the instruction's categories (for a bare scope: ``categories``,
    default every risk category)."""
    if weeks < 1:
        raise ValueError("weeks must be at least 1")
    scope, counted = _subject(subject, categories)
    end, basis = window_end(declarations, until)
    start = end - timedelta(weeks=weeks)
    declared_at = utc_naive_times(declarations["declared_at"])
    in_window = (declared_at > utc_naive(start)) & (declared_at <= utc_naive(end))
    window = declarations.loc[in_window]
    hit = scope_mask(scope, ItemColumns.as_declared(window))
    known, found, pending = _outcomes_known_by(window, outcomes, end, counted)
    week = ((declared_at[in_window] - utc_naive(start)) - np.timedelta64(1, "us")) // WEEK
    return ScopeTestRun(
        instruction_id=subject.instruction_id if isinstance(subject, Instruction) else None,
        version=subject.version if isinstance(subject, Instruction) else None,
        scope=scope,
        categories=counted,
        requested_until=as_utc(until),
        until=end,
        until_basis=basis,
        window_start=start,
        weeks=weeks,
        items=len(window),
        items_hit=int(hit.sum()),
        declarations_hit=int(window.loc[hit, "declaration_id"].nunique()),
        share_hit=float(hit.mean()) if len(window) else None,
        hit=finding_rate(found[hit], known[hit]),
        all_inspected=finding_rate(found, known),
        pending_hit=int(pending[hit].sum()),
        per_week=_per_week(week.astype(int), hit, known, found, start, weeks),
    )


def _subject(
    subject: Instruction | InstructionScope, categories: Sequence[str] | None
) -> tuple[InstructionScope, tuple[str, ...]]:
    if isinstance(subject, Instruction):
        if categories is not None:
            raise ValueError("an instruction's findings count in its own categories")
        return subject.scope, subject.categories
    counted = RISK_CATEGORIES if categories is None else tuple(categories)
    return subject, known_categories(counted)


def _outcomes_known_by(
    items: pd.DataFrame, outcomes: pd.DataFrame, end: datetime, categories: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per item: outcome known by ``end``; known with a finding in ``categories``;
    inspected by ``end`` with its outcome not known yet. A category without a finding
    column (a reserved one) never counts a finding."""
    columns = [f"finding_{c}" for c in categories if f"finding_{c}" in outcomes.columns]
    wanted = outcomes[[*ITEM_KEY, "inspected_at", "outcome_known_at", *columns]]
    joined = items[list(ITEM_KEY)].merge(
        wanted.drop_duplicates(list(ITEM_KEY)), on=list(ITEM_KEY), how="left"
    )
    limit = utc_naive(end)
    known_at = utc_naive_times(joined["outcome_known_at"])
    inspected_at = utc_naive_times(joined["inspected_at"])
    known = ~np.isnat(known_at) & (known_at <= limit)
    pending = ~known & ~np.isnat(inspected_at) & (inspected_at <= limit)
    flags = joined[columns].eq(True).to_numpy(dtype=bool)  # no outcome: no finding
    found = known & flags.any(axis=1)
    return known, found, pending


def _per_week(
    week: np.ndarray,
    hit: np.ndarray,
    known: np.ndarray,
    found: np.ndarray,
    start: datetime,
    weeks: int,
) -> tuple[WeekCounts, ...]:
    def count(selected: np.ndarray) -> np.ndarray:
        return np.bincount(week[selected], minlength=weeks)

    items, hits = count(np.ones(len(week), bool)), count(hit)
    inspected, with_finding = count(hit & known), count(hit & found)
    return tuple(
        WeekCounts(
            start=start + timedelta(weeks=w),
            end=start + timedelta(weeks=w + 1),
            items=int(items[w]),
            items_hit=int(hits[w]),
            inspected_hit=int(inspected[w]),
            with_finding_hit=int(with_finding[w]),
        )
        for w in range(weeks)
    )

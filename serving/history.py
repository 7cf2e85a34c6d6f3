"""The lake's history as the API reads it: loaded once, read again when it changes.

Test runs of instruction scopes (``disposal.test_run``) and route signals
(``reassessment.signals``) read the goods items declared and what inspecting them found.
Reading the raw Parquet files takes most of a second; ``LakeHistory`` reads them once,
keeps only the columns those two need, and reads again when a file changed (its
modification time or size, one ``stat`` per request). Requests share one immutable
snapshot; a reload builds a new one and swaps it in under a lock, so concurrent requests
never see half of one.

What is read:

- ``raw/declarations`` and ``raw/inspection_outcomes``: the batch, the system of record.
- ``incoming/inspection_outcomes``: outcomes the API received since the batch was cut,
  for goods items the batch holds (labels mature after their items were declared; the
  batch's own outcome wins for an item that has both). Each file is one recorded outcome,
  written once, so only new files are read.
- Not ``incoming/declarations``: the API keeps there only the goods items it received an
  outcome for. Adding them would add inspected items without the uninspected ones declared
  beside them, and inflate every inspection share and finding rate of the window.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd

from disposal import test_run
from disposal.instructions import Instruction, InstructionScope
from disposal.items import utc_naive
from disposal.test_run import (
    TEST_RUN_WEEKS,
    ScopeTestRun,
    UntilBasis,
    scope_test_run,
    window_end,
)
from reassessment import signals
from reassessment.signals import RouteSignals, route_signals
from sources.contracts import CONTRACTS, conform
from sources.lake import DataLake

DECLARATIONS = "declarations"
OUTCOMES = "inspection_outcomes"
DECLARATION_COLUMNS = tuple(
    dict.fromkeys((*test_run.DECLARATION_COLUMNS, *signals.DECLARATION_COLUMNS))
)
OUTCOME_COLUMNS = tuple(dict.fromkeys((*test_run.OUTCOME_COLUMNS, *signals.OUTCOME_COLUMNS)))
ITEM_KEY = list(CONTRACTS[OUTCOMES].key)


class HistoryUnavailable(RuntimeError):
    """The lake has no raw batch to read yet."""


@dataclass(frozen=True)
class History:
    """One read of the lake: goods items as declared and the outcomes of inspections."""

    declarations: pd.DataFrame  # DECLARATION_COLUMNS, by declared_at
    outcomes: pd.DataFrame  # OUTCOME_COLUMNS, one per goods item
    inspected: pd.DataFrame  # the declarations of goods items with an outcome
    incoming_outcomes: int  # of the outcomes, received by the API since the batch
    loaded_at: datetime

    def test_run(
        self,
        subject: Instruction | InstructionScope,
        now: datetime,
        weeks: int = TEST_RUN_WEEKS,
        categories: Sequence[str] | None = None,
    ) -> ScopeTestRun:
        """``disposal.test_run.scope_test_run`` up to ``now`` (or the lake's end)."""
        end, _ = window_end(self.declarations, now)
        # sorted by declared_at: the weeks before the end are its tail (same end, less copying)
        start = utc_naive(end - timedelta(weeks=weeks))
        first = self.declarations["declared_at"].searchsorted(start, side="right")
        recent = self.declarations.iloc[first:]
        return scope_test_run(subject, recent, self.outcomes, now, weeks, categories)

    def route_signals(self, now: datetime, **options) -> tuple[RouteSignals, UntilBasis]:
        """``reassessment.signals.route_signals`` up to ``now``, or up to the lake's latest
        declaration when it ends earlier (as a test run), and which of the two it was."""
        until, basis = window_end(self.declarations, now)
        return route_signals(self.inspected, self.outcomes, until, **options), basis


@dataclass(frozen=True)
class _Marker:
    """What tells a changed file: modification time and size, per path (None: absent)."""

    raw: tuple[tuple[int, int] | None, ...]
    incoming: tuple[int, int] | None


class LakeHistory:
    """Thread-safe, lazily loaded ``History`` of one lake (see the module)."""

    def __init__(self, lake: DataLake) -> None:
        self._lake = lake
        self._lock = threading.Lock()
        self._history: History | None = None
        self._marker: _Marker | None = None
        self._raw: tuple[pd.DataFrame, pd.DataFrame] | None = None
        self._incoming_read: set[str] = set()  # names of the incoming files read
        self._received = pd.DataFrame(columns=list(OUTCOME_COLUMNS))

    def current(self) -> History:
        """The history as the lake holds it now; ``HistoryUnavailable`` without a batch."""
        marker = self._read_marker()
        if marker != self._marker or self._history is None:
            with self._lock:
                marker = self._read_marker()  # another request may have reloaded meanwhile
                if marker != self._marker or self._history is None:
                    self._history = self._load(marker)
                    self._marker = marker
        return self._history

    def _paths(self) -> tuple[Path, Path]:
        return (
            self._lake.source_path(self._lake.raw, DECLARATIONS),
            self._lake.source_path(self._lake.raw, OUTCOMES),
        )

    def _read_marker(self) -> _Marker:
        # a new file in a folder changes the folder's modification time
        return _Marker(
            raw=tuple(_stat(p) for p in self._paths()),
            incoming=_stat(self._lake.incoming / OUTCOMES),
        )

    def _load(self, marker: _Marker) -> History:
        if None in marker.raw:
            missing = [str(p) for p, m in zip(self._paths(), marker.raw, strict=True) if m is None]
            raise HistoryUnavailable(f"no history in the lake yet: {', '.join(missing)} missing")
        if self._marker is None or marker.raw != self._marker.raw or self._raw is None:
            self._raw = self._read_raw()
        declarations, raw_outcomes = self._raw
        outcomes = raw_outcomes
        received = self._read_incoming()
        if len(received):
            outcomes = pd.concat([raw_outcomes, received], ignore_index=True)
            outcomes = outcomes.drop_duplicates(ITEM_KEY, keep="first")  # the batch's first
        inspected = declarations.merge(outcomes[ITEM_KEY], on=ITEM_KEY, how="inner")
        return History(
            declarations=declarations,
            outcomes=outcomes,
            inspected=inspected,
            incoming_outcomes=len(outcomes) - len(raw_outcomes),
            loaded_at=datetime.now(UTC),
        )

    def _read_raw(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        declarations_path, outcomes_path = self._paths()
        declarations = pd.read_parquet(declarations_path, columns=list(DECLARATION_COLUMNS))
        declarations = declarations.sort_values("declared_at", kind="stable", ignore_index=True)
        outcomes = pd.read_parquet(outcomes_path, columns=list(OUTCOME_COLUMNS))
        return declarations, outcomes.drop_duplicates(ITEM_KEY, keep="first")

    def _read_incoming(self) -> pd.DataFrame:
        """Every outcome received so far, reading only the files not read before."""
        folder = self._lake.incoming / OUTCOMES
        paths = sorted(folder.glob("*.parquet")) if folder.exists() else []
        new = {p.name: p for p in paths if p.name not in self._incoming_read}
        if new:
            frames = [
                conform(pd.read_parquet(path), CONTRACTS[OUTCOMES])[list(OUTCOME_COLUMNS)]
                for path in new.values()
            ]
            kept = [self._received] if len(self._received) else []
            # noted as read only once all were: a failed read is retried at the next request
            self._received = pd.concat([*kept, *frames], ignore_index=True)
            self._incoming_read.update(new)
        return self._received


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size

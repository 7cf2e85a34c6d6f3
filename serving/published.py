"""Published control instructions as scoring reads them: cached, not queried per request.

Scoring needs the published instructions on every call; reading and validating them from
the ledger each time would put a query on the hot path. The cache is re-read at most every
``max_age`` seconds (instructions published by another API process arrive within that
time), and at once after this process changes one (so a publication here applies to the
very next score). Which of them are in force at the decision's time is the disposal's
to decide (validity dates), not the cache's.
"""

from __future__ import annotations

import threading
import time

from disposal.instructions import Instruction
from ledger.store import Ledger


class PublishedInstructions:
    def __init__(self, ledger: Ledger, max_age_seconds: float) -> None:
        self._ledger = ledger
        self._max_age = max_age_seconds
        self._lock = threading.Lock()
        self._instructions: tuple[Instruction, ...] = ()
        self._read_at = float("-inf")

    def current(self) -> tuple[Instruction, ...]:
        if time.monotonic() - self._read_at > self._max_age:
            with self._lock:
                if time.monotonic() - self._read_at > self._max_age:  # not refreshed meanwhile
                    self._instructions = tuple(self._ledger.published_instructions())
                    self._read_at = time.monotonic()
        return self._instructions

    def invalidate(self) -> None:
        """Re-read at the next ``current``: an instruction changed in this process."""
        self._read_at = float("-inf")

"""The lake's history as the API caches it: read once, shared, read again on a change."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from history_samples import RECENT, UNTIL, Lake

from disposal.instructions import InstructionScope
from serving.history import HistoryUnavailable, LakeHistory
from sources.lake import DataLake


def test_one_snapshot_is_shared_until_a_file_changes(tmp_path):
    lake = DataLake(tmp_path)
    history = LakeHistory(lake)
    with pytest.raises(HistoryUnavailable, match=r"declarations\.parquet"):
        history.current()
    planted = Lake()
    planted.plant("02", "BR", RECENT, 3, 1)
    planted.declare("01", "FR", 0)  # the lake ends at UNTIL, after the outcomes were known
    planted.write(lake)
    with ThreadPoolExecutor(8) as pool:
        snapshots = list(pool.map(lambda _: history.current(), range(32)))
    assert all(s is snapshots[0] for s in snapshots)  # read once, by one of the threads
    assert history.current() is snapshots[0]  # nothing changed: not read again
    assert list(snapshots[0].declarations.columns) == [
        "declaration_id",
        "item_no",
        "declared_at",
        "origin_country",
        "consignee_id",
        "declarant_id",
        "port_code",
        "trade_mode",
        "value_cny",
        "hs_code",
    ]  # only what test runs and signals read

    planted.plant("02", "BR", RECENT, 2, 0)
    planted.write(lake)
    changed = history.current()
    assert changed is not snapshots[0] and len(changed.declarations) == 6
    run = changed.test_run(InstructionScope(origin_countries=("BR",)), UNTIL)
    assert (run.items_hit, run.hit.inspected, run.hit.with_finding) == (5, 5, 1)

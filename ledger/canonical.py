"""JSON the ledger hashes and stores: one canonical text for one value."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from enum import Enum
from typing import Any


def canonical_json(value: Any) -> str:
    """Keys sorted, no spaces, UTF-8 as is, no NaN or infinity (not JSON): the same value
    gives the same text on every machine, so its hash can be recomputed anywhere."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def iso_utc(moment: datetime) -> str:
    """An aware time as ISO 8601 in UTC with microseconds (what both backends keep)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def json_ready(value: Any) -> Any:
    """``value`` with dataclasses as dicts, times as ISO text and enums as their values:
    what the JSON columns (audit old / new values) accept."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Enum):
        return value.value
    return value

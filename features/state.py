"""Point-in-time entity state: the one mechanism behind every historical aggregate.

An :class:`EventAggregate` holds, for each entity key, its events sorted by time and
prefix sums of their values. A query ``(key, t)`` sums only events strictly before
``t`` (optionally within a window ``[t - w, t)``), so a feature can never see what was
not yet known at the declaration's time. The same query code answers one declaration
online and every declaration offline, which is what makes online/offline parity hold
by construction rather than by care.

:class:`AsOfLookup` answers "which value held just before ``t``" for interval data such
as credit levels.

Times are whole seconds since 2000-01-01 UTC, packed with the entity code into one
sortable int64 (``code << 32 | seconds``) so that one ``searchsorted`` finds every
query's position at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

EPOCH = np.datetime64("2000-01-01T00:00:00", "s")
_SHIFT = np.int64(32)
_LOW_MASK = np.int64((1 << 32) - 1)
SECONDS_PER_DAY = 86_400


def to_seconds(times) -> np.ndarray:
    """Datetimes (array-like, tz-naive UTC) → int64 seconds since 2000-01-01."""
    values = np.asarray(times, dtype="datetime64[s]")
    return (values - EPOCH).astype(np.int64)


# Up to this many queried keys, a dict lookup beats pandas' vectorised indexer (whose
# fixed cost is ~0.5 ms): this is the serving path, one declaration at a time.
_DICT_LOOKUP_MAX = 64


def _key_index(keys) -> pd.Index:
    return pd.Index(np.asarray(keys, dtype=object), dtype=object)


class _KeyCodes:
    """Entity key → integer code, fast for one key and for a million."""

    def _codes(self, keys: np.ndarray) -> np.ndarray:
        if len(keys) <= _DICT_LOOKUP_MAX:
            lookup = self.__dict__.get("_lookup")
            if lookup is None:
                lookup = {k: i for i, k in enumerate(self.keys)}
                self.__dict__["_lookup"] = lookup
            return np.array([lookup.get(k, -1) for k in keys], dtype=np.int64)
        return self.keys.get_indexer(np.asarray(keys, dtype=object)).astype(np.int64)


def _pack(codes: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    return (codes << _SHIFT) | np.maximum(np.asarray(seconds, dtype=np.int64), 0)


@dataclass
class EventAggregate(_KeyCodes):
    """Prefix sums of event values per entity, queryable as of any time."""

    name: str
    keys: pd.Index
    order: np.ndarray  # int64 packed (code, seconds), ascending
    prefix: np.ndarray  # float64 (n_events + 1, n_values): running sums within each key
    value_names: tuple[str, ...]

    @classmethod
    def from_events(
        cls,
        name: str,
        keys: np.ndarray,
        seconds: np.ndarray,
        values: dict[str, np.ndarray],
    ) -> EventAggregate:
        """Build from parallel arrays of entity keys, event times and event values."""
        keys = np.asarray(keys, dtype=object)
        present = pd.notna(keys)
        keys, seconds = keys[present], np.asarray(seconds)[present]
        value_names = tuple(values)
        matrix = (
            np.column_stack([np.asarray(values[v], dtype=np.float64)[present] for v in value_names])
            if value_names
            else np.zeros((len(keys), 0))
        )
        index = _key_index(pd.unique(keys)).sort_values()
        order = _pack(index.get_indexer(keys).astype(np.int64), seconds)
        sort = np.argsort(order, kind="stable")
        # Running sums restart at each key, so a key's sums depend on its own events only:
        # the same history gives bit-identical features whatever else the state holds.
        prefix = np.zeros((len(order) + 1, len(value_names)))
        if len(order):
            per_key = pd.DataFrame(matrix[sort]).groupby(order[sort] >> _SHIFT, sort=False)
            prefix[1:] = per_key.cumsum().to_numpy()
        return cls(name, index, order[sort], prefix, value_names)

    def window_sums(
        self, keys: np.ndarray, seconds: np.ndarray, window_days: int | None
    ) -> np.ndarray:
        """Sums of each value over the key's events in ``[t - window, t)`` (or all before t)."""
        codes = self._codes(keys)
        found = codes >= 0
        codes = np.where(found, codes, 0)
        seconds = np.asarray(seconds, dtype=np.int64)
        first = np.searchsorted(self.order, codes << _SHIFT, side="left")
        hi = np.searchsorted(self.order, _pack(codes, seconds), side="left")
        if window_days is None:
            lo = first
        else:
            start = seconds - window_days * SECONDS_PER_DAY
            lo = np.searchsorted(self.order, _pack(codes, start), side="left")
        # prefix[i] is the key's running sum up to event i-1; at the key's first event it
        # belongs to the previous key, so it counts as zero there.
        upper = np.where((hi > first)[:, None], self.prefix[hi], 0.0)
        lower = np.where((lo > first)[:, None], self.prefix[lo], 0.0)
        sums = upper - lower
        sums[~found] = 0.0
        return sums

    def first_seen(self, keys: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """Time (seconds) of the key's first event before t; NaN when it has none."""
        codes = self._codes(keys)
        found = codes >= 0
        codes = np.where(found, codes, 0)
        hi = np.searchsorted(self.order, _pack(codes, np.asarray(seconds)), side="left")
        lo = np.searchsorted(self.order, codes << _SHIFT, side="left")
        has = found & (hi > lo)
        first = np.full(len(codes), np.nan)
        first[has] = (self.order[lo[has]] & _LOW_MASK).astype(np.float64)
        return first

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "keys": np.asarray(self.keys, dtype=str),
            "order": self.order,
            "prefix": self.prefix,
            "value_names": np.asarray(self.value_names, dtype=str),
        }

    @classmethod
    def from_arrays(cls, name: str, arrays) -> EventAggregate:
        return cls(
            name,
            _key_index(arrays["keys"]),
            arrays["order"],
            arrays["prefix"],
            tuple(str(v) for v in arrays["value_names"]),
        )


@dataclass
class AsOfLookup(_KeyCodes):
    """The value of an interval record (e.g. a credit level) holding just before t."""

    name: str
    keys: pd.Index
    order: np.ndarray  # packed (code, valid_from seconds), ascending
    values: np.ndarray  # float64
    ends: np.ndarray  # int64 valid_to seconds, -1 when open-ended

    @classmethod
    def from_intervals(
        cls,
        name: str,
        keys: np.ndarray,
        starts: np.ndarray,
        ends: np.ndarray,
        values: np.ndarray,
    ) -> AsOfLookup:
        """Build from interval records: key, valid-from / valid-to seconds (NaN = open), value."""
        keys = np.asarray(keys, dtype=object)
        index = _key_index(pd.unique(keys)).sort_values()
        order = _pack(index.get_indexer(keys).astype(np.int64), np.asarray(starts, dtype=np.int64))
        sort = np.argsort(order, kind="stable")
        ends = np.where(np.isnan(ends), -1, ends).astype(np.int64)
        return cls(name, index, order[sort], np.asarray(values, float)[sort], ends[sort])

    def value_at(self, keys: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """Value of the latest record that started before t and had not ended before t;
        else NaN."""
        codes = self._codes(keys)
        if not len(self.order):  # a source with no records (e.g. no credit data at all)
            return np.full(len(codes), np.nan)
        found = codes >= 0
        codes = np.where(found, codes, 0)
        seconds = np.asarray(seconds, dtype=np.int64)
        pos = np.searchsorted(self.order, _pack(codes, seconds), side="left") - 1
        safe = np.clip(pos, 0, None)
        # A record valid over [from, to) holds just before t when from < t <= to: at the
        # instant of a change the previous level still applies, like every "before t".
        valid = (
            found
            & (pos >= 0)
            & ((self.order[safe] >> _SHIFT) == codes)
            & ((self.ends[safe] < 0) | (self.ends[safe] >= seconds))
        )
        out = np.full(len(codes), np.nan)
        out[valid] = self.values[safe[valid]]
        return out

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {
            "keys": np.asarray(self.keys, dtype=str),
            "order": self.order,
            "values": self.values,
            "ends": self.ends,
        }

    @classmethod
    def from_arrays(cls, name: str, arrays) -> AsOfLookup:
        return cls(
            name,
            _key_index(arrays["keys"]),
            arrays["order"],
            arrays["values"],
            arrays["ends"],
        )


@dataclass
class EntityState:
    """Every aggregate and lookup the features read, as of the data it was built from."""

    aggregates: dict[str, EventAggregate]
    lookups: dict[str, AsOfLookup]
    built_through: str  # ISO time of the latest event included

    def save(self, directory: Path) -> None:
        """Write one .npz per aggregate/lookup plus a manifest (atomically per file)."""
        directory.mkdir(parents=True, exist_ok=True)
        for kind, items in (("aggregate", self.aggregates), ("lookup", self.lookups)):
            for name, item in items.items():
                tmp = directory / f".{kind}-{name}.npz.tmp"
                with open(tmp, "wb") as fh:
                    np.savez(fh, **item.to_arrays())
                tmp.replace(directory / f"{kind}-{name}.npz")
        (directory / "MANIFEST").write_text(
            "\n".join(
                [f"built_through={self.built_through}"]
                + [f"aggregate={n}" for n in self.aggregates]
                + [f"lookup={n}" for n in self.lookups]
            )
            + "\n"
        )

    @staticmethod
    def _manifest(directory: Path) -> list[tuple[str, str]]:
        lines = (directory / "MANIFEST").read_text().splitlines()
        return [tuple(line.split("=", 1)) for line in lines if "=" in line]

    @classmethod
    def saved_marker(cls, directory: Path) -> tuple[str, int]:
        """Identifies a saved state without loading it: its ``built_through`` and when its
        manifest was written (a rebuild may add late data without moving built_through)."""
        written = (directory / "MANIFEST").stat().st_mtime_ns
        return dict(cls._manifest(directory)).get("built_through", ""), written

    @classmethod
    def load(cls, directory: Path) -> EntityState:
        """Read a state written by :meth:`save`."""
        fields = cls._manifest(directory)
        built_through = next(v for k, v in fields if k == "built_through")
        aggregates, lookups = {}, {}
        for kind, name in fields:
            if kind == "aggregate":
                with np.load(directory / f"aggregate-{name}.npz", allow_pickle=False) as z:
                    aggregates[name] = EventAggregate.from_arrays(name, z)
            elif kind == "lookup":
                with np.load(directory / f"lookup-{name}.npz", allow_pickle=False) as z:
                    lookups[name] = AsOfLookup.from_arrays(name, z)
        return cls(aggregates, lookups, built_through)

"""Declarations as the features read them: numpy columns, resolved once per batch.

Offline the columns come from a declarations table, online from API bodies; either way
:meth:`ResolvedDeclarations.of` derives the times and every entity's keys once, and the
features, the segment trends and the novelty checks all read that one resolved form.
Inputs are plain numpy arrays so that one declaration costs microseconds, not a
DataFrame's overhead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from features.entities import KEY_PARTS, KEYED_ENTITIES, Entity, KeyPart, as_text
from features.state import to_seconds

# Columns of a declaration that the features read; the online request must carry them.
DECLARATION_INPUTS: tuple[str, ...] = (
    "declared_at",
    "consignee_id",
    "declarant_id",
    "overseas_trader_id",
    "hs_code",
    "origin_country",
    "departure_country",
    "trade_mode",
    "transport_mode",
    "incoterm",
    "value_cny",
    "net_weight_kg",
    "gross_weight_kg",
    "duty_rate",
    "licence_codes",
    "tax_type",
    "origin_indicator",
    "payment_type",
    "import_use",
    "courier_id",
    "currency",
    "declared_value",
)
_AMOUNTS = ("value_cny", "net_weight_kg", "gross_weight_kg", "duty_rate", "declared_value")


def declaration_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The feature inputs of a declarations table as numpy columns."""
    return {c: frame[c].to_numpy() for c in DECLARATION_INPUTS}


def columns_from_records(records: Sequence[Mapping]) -> dict[str, np.ndarray]:
    """Online: the feature inputs of declarations given as dicts (e.g. API bodies)."""
    columns = {
        name: np.array([r.get(name) for r in records], dtype=object) for name in DECLARATION_INPUTS
    }
    columns["declared_at"] = np.array(
        [np.datetime64(_naive_utc(r["declared_at"]), "s") for r in records]
    )
    for name in _AMOUNTS:
        columns[name] = columns[name].astype(float)
    return columns


def _naive_utc(value) -> datetime:
    """ISO string or datetime → naive UTC datetime (the lake's convention)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def entity_keys(
    columns: Mapping[str, np.ndarray], entities: Sequence[Entity] = KEYED_ENTITIES
) -> dict[str, np.ndarray]:
    """Keys of the given entities (all by default), by entity name, for each declaration."""
    texts: dict[str, np.ndarray] = {}
    needed = {p for e in entities for p in e.parts}
    parts: dict[KeyPart, np.ndarray] = {p: p.read(columns, texts) for p in KEY_PARTS if p in needed}
    return {e.name: e.key(parts) for e in entities}


@dataclass(frozen=True)
class ResolvedDeclarations:
    """A batch of declarations with its times and every entity's keys derived once."""

    columns: Mapping[str, np.ndarray]
    seconds: np.ndarray  # declared_at as the state's int64 seconds
    keys: dict[str, np.ndarray]  # entity name → key per declaration (None: unknown)

    @classmethod
    def of(cls, declarations: ResolvedDeclarations | Mapping[str, np.ndarray]):
        """Resolve feature-input columns (a resolved batch is returned as it is)."""
        if isinstance(declarations, ResolvedDeclarations):
            return declarations
        return cls(declarations, to_seconds(declarations["declared_at"]), entity_keys(declarations))

    def key(self, entity: Entity) -> np.ndarray:
        return self.keys[entity.name]

    def text(self, column: str) -> np.ndarray:
        """A column as text, missing values as ''."""
        return as_text(self.columns[column])

    def amount(self, column: str) -> np.ndarray:
        return np.asarray(self.columns[column], dtype=float)

    def __len__(self) -> int:
        return len(self.seconds)

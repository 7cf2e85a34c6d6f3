"""What disposal reads about goods items: one assessed item, or columns of many.

``ItemAssessment`` is the input of one goods item (the API path); ``ScoreColumns`` and
``ItemColumns`` hold the same fields as numpy arrays, built from items or from a scores
table, so a single item and a month of items go through the same vectorised rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from sources.contracts import (
    COUNTRY_PATTERN,
    HS_CODE_PATTERN,
    OFFICE_PATTERN,
    PARTY_ID_PATTERN,
    TRADE_MODE_PATTERN,
)

PROBABILITY_PREFIX = "probability_"
LEVEL_PREFIX = "level_"
CREDIT_COLUMN = "consignee_credit_level"
DUTY_COLUMN = "declared_duty_cny"
TEXT_SCOPE_COLUMNS: tuple[str, ...] = (
    "origin_country",
    "consignee_id",
    "declarant_id",
    "port_code",
    "trade_mode",
)
SCOPE_COLUMNS: tuple[str, ...] = (*TEXT_SCOPE_COLUMNS, "value_cny")
ITEM_KEY_COLUMNS: tuple[str, ...] = ("declaration_id", "item_no", "declared_at")


class ItemAssessment(BaseModel):
    """One assessed goods item: the declaration fields instructions are scoped on, and the
    model's per-category probabilities and levels."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item_no: int = Field(ge=1, le=999)
    hs_code: str = Field(pattern=HS_CODE_PATTERN)
    origin_country: str = Field(pattern=COUNTRY_PATTERN)
    consignee_id: str = Field(pattern=PARTY_ID_PATTERN)
    declarant_id: str = Field(pattern=PARTY_ID_PATTERN)
    port_code: str = Field(pattern=OFFICE_PATTERN)
    trade_mode: str = Field(pattern=TRADE_MODE_PATTERN)
    value_cny: float = Field(ge=0)
    probabilities: dict[str, float] = Field(description="Calibrated probability per category.")
    levels: dict[str, int] = Field(default_factory=dict, description="Level 1-4 per category.")
    low_support: bool = Field(False, description="Art. 16: the score rests on little experience.")
    credit_level: str | None = Field(
        None, description="Consignee's Order No. 282 level; None = no credit record."
    )
    declared_duty_cny: float | None = Field(
        None, ge=0, description="Duty on the declared value: a revenue rule's stake."
    )

    @field_validator("probabilities")
    @classmethod
    def _probabilities(cls, value: dict[str, float]) -> dict[str, float]:
        bad = {c: p for c, p in value.items() if not 0.0 <= p <= 1.0}
        if bad:
            raise ValueError(f"probabilities must lie in [0, 1]: {bad}")
        return value

    @field_validator("levels")
    @classmethod
    def _levels(cls, value: dict[str, int]) -> dict[str, int]:
        bad = {c: v for c, v in value.items() if not 1 <= v <= 4}
        if bad:
            raise ValueError(f"levels must lie in 1-4: {bad}")
        return value


@dataclass(frozen=True)
class ScoreColumns:
    """Scores of n goods items, what the policy needs: one array entry per item."""

    probabilities: dict[str, np.ndarray]  # category → float array
    levels: dict[str, np.ndarray]  # category → int array (may lack categories)
    credit_level: np.ndarray  # object: level name or None (no credit record)
    low_support: np.ndarray  # bool
    hs_code: np.ndarray  # object (str)
    # Duty on the declared value (CNY), NaN where unknown: what rules with a stake weigh.
    declared_duty: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.hs_code)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> ScoreColumns:
        """From ``probability_<category>``, optional ``level_<category>``,
        ``consignee_credit_level``, ``low_support`` and ``hs_code`` columns."""
        _require(frame, (CREDIT_COLUMN, "low_support", "hs_code"))
        probabilities = {
            c.removeprefix(PROBABILITY_PREFIX): frame[c].to_numpy(dtype=float)
            for c in frame.columns
            if c.startswith(PROBABILITY_PREFIX)
        }
        for category, p in probabilities.items():
            if not np.all((p >= 0) & (p <= 1)):  # also refuses NaN: a missing score is no 0
                raise ValueError(f"column {PROBABILITY_PREFIX}{category}: values outside [0, 1]")
        levels = {
            c.removeprefix(LEVEL_PREFIX): frame[c].to_numpy(dtype=int)
            for c in frame.columns
            if c.startswith(LEVEL_PREFIX)
        }
        credit = frame[CREDIT_COLUMN].astype(object)
        return cls(
            probabilities=probabilities,
            levels=levels,
            credit_level=credit.where(credit.notna(), None).to_numpy(dtype=object),
            low_support=frame["low_support"].to_numpy(dtype=bool),
            hs_code=frame["hs_code"].astype(str).to_numpy(dtype=object),
            declared_duty=(
                frame[DUTY_COLUMN].to_numpy(dtype=float) if DUTY_COLUMN in frame else None
            ),
        )

    @classmethod
    def unscored(cls, hs_code: np.ndarray) -> ScoreColumns:
        """No score of any category: goods items as declared (the history an instruction's
        scope is tried on), where only the HS code matters."""
        n = len(hs_code)
        return cls(
            probabilities={},
            levels={},
            credit_level=_objects([None] * n),
            low_support=np.zeros(n, dtype=bool),
            hs_code=hs_code,
        )

    @classmethod
    def from_items(cls, items: Sequence[ItemAssessment]) -> ScoreColumns:
        categories = _same_keys([i.probabilities for i in items], items, "probabilities")
        level_categories = _same_keys([i.levels for i in items], items, "levels")
        return cls(
            probabilities={c: np.array([i.probabilities[c] for i in items]) for c in categories},
            levels={c: np.array([i.levels[c] for i in items], dtype=int) for c in level_categories},
            credit_level=_objects([i.credit_level for i in items]),
            low_support=np.array([i.low_support for i in items], dtype=bool),
            hs_code=_objects([i.hs_code for i in items]),
            declared_duty=np.array(
                [np.nan if i.declared_duty_cny is None else i.declared_duty_cny for i in items]
            ),
        )


@dataclass(frozen=True)
class ItemColumns:
    """Goods items to dispose of: their scores, the scope fields instructions match on, the
    decision key of their random draw and the time instructions are in force at."""

    scores: ScoreColumns
    item_no: np.ndarray  # int
    decision_key: np.ndarray  # object: the declaration's key, per item
    at: np.ndarray  # datetime64[us], UTC
    origin_country: np.ndarray  # object (str), as the other scope fields
    consignee_id: np.ndarray
    declarant_id: np.ndarray
    port_code: np.ndarray
    trade_mode: np.ndarray
    value_cny: np.ndarray  # float

    def __len__(self) -> int:
        return len(self.item_no)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> ItemColumns:
        """From a scores table with the reference columns, the scope columns and
        ``declaration_id`` (the decision key), ``item_no`` and ``declared_at`` (UTC)."""
        _require(frame, ITEM_KEY_COLUMNS + SCOPE_COLUMNS)
        return cls._with_scores(frame, ScoreColumns.from_frame(frame))

    @classmethod
    def as_declared(cls, frame: pd.DataFrame) -> ItemColumns:
        """Goods items as declared, without scores: enough to match instruction scopes
        (``disposal.instructions.scope_mask``) against the history of the lake, not to
        dispose of them. Needs the key, scope and ``hs_code`` columns."""
        _require(frame, (*ITEM_KEY_COLUMNS, *SCOPE_COLUMNS, "hs_code"))
        hs_code = frame["hs_code"].astype(str).to_numpy(dtype=object)
        return cls._with_scores(frame, ScoreColumns.unscored(hs_code))

    @classmethod
    def _with_scores(cls, frame: pd.DataFrame, scores: ScoreColumns) -> ItemColumns:
        text = {c: frame[c].astype(str).to_numpy(dtype=object) for c in TEXT_SCOPE_COLUMNS}
        return cls(
            scores=scores,
            item_no=frame["item_no"].to_numpy(dtype=int),
            decision_key=frame["declaration_id"].astype(str).to_numpy(dtype=object),
            at=utc_naive_times(frame["declared_at"]),
            value_cny=frame["value_cny"].to_numpy(dtype=float),
            **text,
        )

    @classmethod
    def from_items(
        cls, items: Sequence[ItemAssessment], decision_key: str, at: datetime
    ) -> ItemColumns:
        """The goods items of one declaration, decided at ``at``."""
        numbers = [i.item_no for i in items]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"item numbers must be unique within a declaration: {numbers}")
        n = len(items)
        return cls(
            scores=ScoreColumns.from_items(items),
            item_no=np.array(numbers, dtype=int),
            decision_key=_objects([decision_key] * n),
            at=np.full(n, utc_naive(at), dtype="datetime64[us]"),
            value_cny=np.array([i.value_cny for i in items], dtype=float),
            **{c: _objects([getattr(i, c) for i in items]) for c in TEXT_SCOPE_COLUMNS},
        )


def utc_naive(at: datetime) -> np.datetime64:
    """A moment as numpy UTC time (a naive datetime is taken to be UTC already, as in the
    lake, where times are stored UTC and tz-naive)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return np.datetime64(at, "us")


def utc_naive_times(times: pd.Series) -> np.ndarray:
    """A column of moments as numpy UTC times (naive ones are UTC already, as in the lake;
    aware ones are converted)."""
    times = pd.to_datetime(times)
    if times.dt.tz is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[us]")


def _same_keys(mappings: list[dict], items: Sequence[ItemAssessment], field: str) -> list[str]:
    """The categories every item lists (items of one model version score the same ones)."""
    keys = sorted({c for mapping in mappings for c in mapping})
    differing = [i.item_no for i, m in zip(items, mappings, strict=True) if sorted(m) != keys]
    if differing:
        raise ValueError(f"items {differing}: field {field!r} must list the categories {keys}")
    return keys


def _objects(values: list) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _require(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"the scores table lacks columns {missing}")

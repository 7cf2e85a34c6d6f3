"""Rebuttals (Art. 15): accepted evidence that a risk the model assessed is absent or low.

When an officer accepts an enterprise's evidence, the declaration is decided again with
the model's assessment of the rebutted categories set aside on the goods items the
evidence covers: the disposal policy reads them as no risk (probability 0, level 1), so no
capacity rule selects an item for them. Everything that does not rest on the model's
assessment applies as before: control and emergency instructions, and the random
selection and exploration draws (keyed on the declaration number, so they repeat, and
the random sample stays whole). The decision keeps the model's assessment as made and
lists its rebuttals, so a reader sees both what the model said and what was set aside.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, field_validator

from disposal.items import ItemAssessment
from sources.contracts import RISK_CATEGORIES

# What a set-aside category reads as: no risk.
NO_RISK_PROBABILITY = 0.0
NO_RISK_LEVEL = 1


class Rebuttal(BaseModel):
    """Evidence accepted against the model's assessment of some categories, on one goods
    item or (``item_no`` None) on every item of the declaration."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    evidence_id: str = Field(min_length=1, description="The accepted evidence.")
    declaration_id: str = Field(min_length=1)
    item_no: int | None = Field(None, ge=1, le=999, description="None: the whole declaration.")
    categories: tuple[str, ...] = Field(min_length=1, description="Risk categories rebutted.")

    @field_validator("categories")
    @classmethod
    def _scored_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [c for c in value if c not in RISK_CATEGORIES]
        if unknown:
            raise ValueError(f"unknown risk categories {unknown}; known: {list(RISK_CATEGORIES)}")
        if len(set(value)) != len(value):
            raise ValueError("a category is listed twice")
        return value


def rebutted_categories(
    rebuttals: Iterable[Rebuttal], declaration_id: str, item_nos: Sequence[int]
) -> dict[int, frozenset[str]]:
    """Item number → the categories set aside on it, for one declaration's items (an
    item no rebuttal covers is absent). A rebuttal naming an item the declaration lacks
    is an error: silently ignoring it would decide as if the evidence had been refused."""
    rebutted: dict[int, set[str]] = {}
    for rebuttal in rebuttals:
        if rebuttal.declaration_id != declaration_id:
            continue
        if rebuttal.item_no is not None and rebuttal.item_no not in item_nos:
            raise ValueError(
                f"evidence {rebuttal.evidence_id} names goods item {rebuttal.item_no}; "
                f"declaration {declaration_id} has items {sorted(item_nos)}"
            )
        covered = item_nos if rebuttal.item_no is None else [rebuttal.item_no]
        for item_no in covered:
            rebutted.setdefault(item_no, set()).update(rebuttal.categories)
    return {item_no: frozenset(categories) for item_no, categories in rebutted.items()}


def set_aside(item: ItemAssessment, categories: Iterable[str]) -> ItemAssessment:
    """The item as the disposal policy reads it with the model's assessment of
    ``categories`` set aside: no risk there. Categories the model does not score stay
    unscored (there is nothing to set aside)."""
    categories = frozenset(categories)
    if not categories:
        return item
    probabilities = {
        c: NO_RISK_PROBABILITY if c in categories else p for c, p in item.probabilities.items()
    }
    levels = {c: NO_RISK_LEVEL if c in categories else v for c, v in item.levels.items()}
    return item.model_copy(update={"probabilities": probabilities, "levels": levels})


def highest_level(levels: Mapping[str, int], rebutted: Iterable[str]) -> int | None:
    """The item's highest level with its rebutted categories read as no risk (None when
    nothing is scored): what the review queue ranks by."""
    rebutted = frozenset(rebutted)
    values = [NO_RISK_LEVEL if c in rebutted else v for c, v in levels.items()]
    return max(values, default=None)

"""The disposition of a declaration: measures per goods item, and for the whole declaration
the strictest measure any item, instruction or random selection requires.

One precedence (``disposal.decide``): **emergency > instruction > model policy > random
selection > exploration**.

- An in-force emergency instruction (Art. 17) covering an item overrides everything else
  for that item: it gets the emergency's measures only. What the other sources would
  have imposed is listed under ``overridden`` (for the record, not applied), and the
  item's random draw stays recorded in its ``selection``.
- Otherwise the item gets every in-force control instruction's measures, every capacity
  rule's measure whose threshold its priority exceeds (and whose conditions hold), the
  random-selection measure if drawn and the exploration measure if it is low-support and
  drawn. The same code from two sources is listed twice, each with its source.
- With nothing to apply, the item gets the release measure, with source ``model``.

``dispose`` decides one declaration (the API path); ``dispose_frame`` a batch of
declarations (the batch flow). Both go through ``disposal.decide.decide``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from disposal.catalogue import MeasureCatalogue, MeasureKind
from disposal.decide import Decided, MeasureRows, Source, decide
from disposal.instructions import Instruction, as_utc
from disposal.items import ItemAssessment, ItemColumns
from disposal.policy import DisposalPolicy, PolicyThresholds
from sources.labels import Label

__all__ = [
    "AppliedMeasure",
    "Disposition",
    "ItemAssessment",
    "ItemDisposition",
    "Selection",
    "dispose",
    "dispose_frame",
]


class AppliedMeasure(BaseModel):
    """A measure for a goods item, with where it comes from and why."""

    model_config = ConfigDict(frozen=True)

    code: str
    name_zh: str
    name_en: str
    kind: MeasureKind
    blocks_release: bool
    source: Source
    instruction_id: str | None = Field(None, description="For an instruction's measure.")
    instruction_version: int | None = None
    rule: str | None = Field(None, description="For a model policy measure: the rule.")
    priority: float | None = Field(None, description="The item's priority for that rule.")
    categories: tuple[str, ...] = Field(description="Categories addressed; empty = all.")
    reason: str

    def name_in(self, lang: str | None) -> str:
        """The measure's name in ``lang`` ("zh-CN" or "en"); English for any other."""
        return Label(self.name_en, self.name_zh).in_(lang)


class Selection(BaseModel):
    """The item's random draws and their probabilities, recorded whatever the result (the
    probabilities weight random outcomes in unbiased estimates)."""

    model_config = ConfigDict(frozen=True)

    random: bool = Field(description="Selected at random for inspection (双随机).")
    probability: float = Field(description="Its probability of random selection.")
    exploration: bool = Field(description="Selected for Art. 16 exploration.")
    exploration_probability: float = Field(description="0 unless the score is low-support.")


class ItemDisposition(BaseModel):
    model_config = ConfigDict(frozen=True)

    item_no: int
    credit_level: str = Field(description="Credit level applied (unrated → policy's level).")
    measures: tuple[AppliedMeasure, ...] = Field(description="Applied, by precedence.")
    overridden: tuple[AppliedMeasure, ...] = Field(
        description="Set aside by an emergency instruction: shown, not applied."
    )
    selection: Selection
    strictest: AppliedMeasure


class Disposition(BaseModel):
    """The declaration's disposition: per item, and the strictest measure of all."""

    model_config = ConfigDict(frozen=True)

    decision_key: str = Field(description="Subject of the random draws with the item numbers.")
    decided_at: datetime
    items: tuple[ItemDisposition, ...]
    strictest: AppliedMeasure = Field(description="The strictest measure any item requires.")
    strictest_item_no: int = Field(description="The item that requires it.")
    blocks_release: bool = Field(description="Whether the declaration's goods wait.")
    policy_version: str
    catalogue_version: str
    thresholds_version: str


def dispose(
    items: Sequence[ItemAssessment],
    *,
    instructions: Sequence[Instruction],
    policy: DisposalPolicy,
    thresholds: PolicyThresholds,
    catalogue: MeasureCatalogue,
    selection_key: str,
    decision_key: str,
    at: datetime,
) -> Disposition:
    """Dispose of one declaration's goods items at ``at``. ``decision_key`` is the subject
    of the random draws (with each item number): use the declaration's number, which a
    retry or a re-lodged declaration keeps, so a draw cannot be re-rolled."""
    if not items:
        raise ValueError("a declaration has at least one goods item")
    decided = decide(
        ItemColumns.from_items(items, decision_key, at),
        instructions=instructions,
        policy=policy,
        thresholds=thresholds,
        catalogue=catalogue,
        selection_key=selection_key,
    )
    rows, strictest = decided.rows, decided.declaration_strictest[0]
    return Disposition(
        decision_key=decision_key,
        decided_at=as_utc(at),
        items=tuple(_item(decided, i, catalogue) for i in range(len(items))),
        strictest=_applied(rows, strictest, catalogue),
        strictest_item_no=int(decided.columns.item_no[rows.item[strictest]]),
        blocks_release=bool(decided.declaration_blocks_release[0]),
        policy_version=policy.version,
        catalogue_version=catalogue.version,
        thresholds_version=thresholds.version,
    )


def _item(decided: Decided, i: int, catalogue: MeasureCatalogue) -> ItemDisposition:
    rows = decided.rows
    own = np.flatnonzero(rows.item == i)
    return ItemDisposition(
        item_no=int(decided.columns.item_no[i]),
        credit_level=str(decided.credit_level[i]),
        measures=tuple(_applied(rows, r, catalogue) for r in own if not rows.overridden[r]),
        overridden=tuple(_applied(rows, r, catalogue) for r in own if rows.overridden[r]),
        selection=Selection(
            random=bool(decided.random_selected[i]),
            probability=float(decided.random_probability[i]),
            exploration=bool(decided.exploration_selected[i]),
            exploration_probability=float(decided.exploration_probability[i]),
        ),
        strictest=_applied(rows, decided.item_strictest[i], catalogue),
    )


def _applied(rows: MeasureRows, r: int, catalogue: MeasureCatalogue) -> AppliedMeasure:
    measure = catalogue.measure(rows.code[r])
    version = rows.instruction_version[r]
    return AppliedMeasure(
        code=measure.code,
        name_zh=measure.name_zh,
        name_en=measure.name_en,
        kind=measure.kind,
        blocks_release=measure.blocks_release,
        source=rows.source[r],
        instruction_id=rows.instruction_id[r],
        instruction_version=None if version is None else int(version),
        rule=rows.rule[r],
        priority=None if np.isnan(rows.priority[r]) else float(rows.priority[r]),
        categories=rows.categories[r],
        reason=rows.reason[r],
    )


def dispose_frame(
    scores: pd.DataFrame,
    *,
    instructions: Sequence[Instruction],
    policy: DisposalPolicy,
    thresholds: PolicyThresholds,
    catalogue: MeasureCatalogue,
    selection_key: str,
) -> pd.DataFrame:
    """Dispose of a batch of scored goods items, one declaration per ``declaration_id``
    (the decision key of its draws); instructions are taken as in force at each item's
    ``declared_at``. ``scores`` has the reference columns (``probability_<category>``,
    ``consignee_credit_level``, ``low_support``, ``hs_code``, ``level_<category>`` where a
    rule has a min_level), the scope columns and ``declaration_id``, ``item_no``,
    ``declared_at``.

    Tidy result: one row per measure of an item (``overridden`` rows are set aside by an
    emergency, not applied), with the item's selection and strictest measure and its
    declaration's strictest measure on every row; ``items_of`` gives one row per item.
    """
    columns = ItemColumns.from_frame(scores)
    decided = decide(
        columns,
        instructions=instructions,
        policy=policy,
        thresholds=thresholds,
        catalogue=catalogue,
        selection_key=selection_key,
    )
    rows, i = decided.rows, decided.rows.item
    kinds = {code: m.kind.value for code, m in catalogue.measures.items()}
    blocks = {code: m.blocks_release for code, m in catalogue.measures.items()}
    frame = pd.DataFrame(
        {
            "declaration_id": columns.decision_key[i],
            "item_no": columns.item_no[i],
            "declared_at": columns.at[i],
            "credit_level": decided.credit_level[i],
            "code": rows.code,
            "kind": [kinds[c] for c in rows.code],
            "blocks_release": [blocks[c] for c in rows.code],
            "source": rows.source,
            "instruction_id": rows.instruction_id,
            "instruction_version": pd.array(list(rows.instruction_version), dtype="Int64"),
            "rule": rows.rule,
            "priority": rows.priority,
            "categories": [",".join(c) for c in rows.categories],
            "reason": rows.reason,
            "overridden": rows.overridden,
            "random": decided.random_selected[i],
            "random_probability": decided.random_probability[i],
            "exploration": decided.exploration_selected[i],
            "exploration_probability": decided.exploration_probability[i],
            "item_strictest": rows.code[decided.item_strictest[i]],
            "declaration_strictest": rows.code[decided.declaration_strictest[i]],
            "declaration_strictest_item_no": columns.item_no[
                rows.item[decided.declaration_strictest[i]]
            ],
            "declaration_blocks_release": decided.declaration_blocks_release[i],
        }
    )
    frame["policy_version"] = policy.version
    frame["catalogue_version"] = catalogue.version
    frame["thresholds_version"] = thresholds.version
    return frame


ITEM_LEVEL_COLUMNS: tuple[str, ...] = (
    "declaration_id",
    "item_no",
    "declared_at",
    "credit_level",
    "random",
    "random_probability",
    "exploration",
    "exploration_probability",
    "item_strictest",
    "declaration_strictest",
    "declaration_strictest_item_no",
    "declaration_blocks_release",
)


def items_of(disposed: pd.DataFrame) -> pd.DataFrame:
    """One row per goods item of a ``dispose_frame`` result."""
    return disposed.drop_duplicates(["declaration_id", "item_no"])[list(ITEM_LEVEL_COLUMNS)]

"""The one vectorised decision behind ``dispose`` (a declaration) and ``dispose_frame`` (a
batch): instructions, capacity rules and random draws over item columns, resolved into a
table of measure rows with the strictest per item and per declaration.

Precedence, highest first: emergency instruction > control instruction > model policy >
random selection > exploration (``SOURCES``). An in-force emergency instruction whose
scope covers an item overrides everything else for that item: the item gets the
emergency's measures only; what the other sources would have imposed is kept as rows
marked ``overridden`` (shown, not applied), and the random draw stays recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from disposal.catalogue import MeasureCatalogue, UnknownMeasure
from disposal.instructions import Instruction, in_force_mask, scope_mask
from disposal.items import ItemColumns
from disposal.policy import DisposalPolicy, PolicyThresholds, rule_eligible, rule_priority
from disposal.selection import EXPLORATION, RANDOM_SELECTION, draws, item_subject

# Where a measure comes from, in order of precedence (highest first).
Source = Literal["emergency", "instruction", "model", "random", "exploration"]
SOURCES: tuple[str, ...] = get_args(Source)
SOURCE_RANK = {source: rank for rank, source in enumerate(SOURCES)}
RELEASE_REASON = "No instruction, capacity rule or selection applies: release."


@dataclass(frozen=True)
class MeasureRows:
    """One row per measure an item receives (or would have, when ``overridden``), listed
    by item, then precedence, then instruction priority or rule order."""

    item: np.ndarray  # index into the item columns
    code: np.ndarray
    source: np.ndarray
    instruction_id: np.ndarray  # None outside instructions
    instruction_version: np.ndarray  # None outside instructions
    rule: np.ndarray  # the capacity rule, None outside the model policy
    priority: np.ndarray  # the item's priority for that rule, NaN outside it
    categories: np.ndarray  # tuples of categories; () = all
    reason: np.ndarray
    order: np.ndarray  # listing order within a source
    overridden: np.ndarray  # set aside by an emergency instruction

    def take(self, index: np.ndarray) -> MeasureRows:
        return MeasureRows(**{f: getattr(self, f)[index] for f in self.__dataclass_fields__})


@dataclass(frozen=True)
class Decided:
    """Everything decided for the items, arrays aligned with ``columns``."""

    columns: ItemColumns
    credit_level: np.ndarray  # resolved (unrated → the policy's level)
    random_probability: np.ndarray
    random_selected: np.ndarray
    exploration_probability: np.ndarray
    exploration_selected: np.ndarray
    rows: MeasureRows
    item_strictest: np.ndarray  # row index of each item's strictest applied measure
    declaration_strictest: np.ndarray  # row index of its declaration's strictest measure
    declaration_blocks_release: np.ndarray  # per item: does its declaration wait?


def decide(
    columns: ItemColumns,
    *,
    instructions: Sequence[Instruction],
    policy: DisposalPolicy,
    thresholds: PolicyThresholds,
    catalogue: MeasureCatalogue,
    selection_key: str,
) -> Decided:
    """Every source's measures for the items, the release measure where none applies, and
    the strictest per item and per declaration (items sharing a decision key)."""
    thresholds.check(policy, catalogue)
    _check_instructions(instructions, catalogue)
    credit_level = policy.credit_levels(columns.scores.credit_level)
    chunks: list[dict] = []
    emergency = _instruction_chunks(columns, instructions, chunks)
    _model_chunks(columns, policy, thresholds, policy.weights(credit_level), chunks)
    draws_ = _Draws.of(columns, credit_level, policy, thresholds, selection_key)
    for level in sorted(set(credit_level[draws_.random_selected])):
        share = policy.credit[level].random_share
        _add(
            chunks,
            draws_.random_selected & (credit_level == level),
            policy.random_measure,
            "random",
            reason=f"Random selection (双随机): credit level {level}, probability {share:g}.",
        )
    _add(
        chunks,
        draws_.exploration_selected,
        policy.exploration.measure,
        "exploration",
        reason="Art. 16 exploration: a low-support score sampled to learn from.",
    )
    rows = _rows(chunks, emergency, len(columns), policy.release_measure)
    strictest, per_declaration, blocks = _strictest(rows, columns, catalogue)
    return Decided(
        columns=columns,
        credit_level=credit_level,
        random_probability=draws_.random_probability,
        random_selected=draws_.random_selected,
        exploration_probability=draws_.exploration_probability,
        exploration_selected=draws_.exploration_selected,
        rows=rows,
        item_strictest=strictest,
        declaration_strictest=per_declaration,
        declaration_blocks_release=blocks,
    )


@dataclass(frozen=True)
class _Draws:
    """Each item's selection probabilities and keyed-hash draws (independent purposes)."""

    random_probability: np.ndarray
    random_selected: np.ndarray
    exploration_probability: np.ndarray
    exploration_selected: np.ndarray

    @classmethod
    def of(
        cls,
        columns: ItemColumns,
        credit_level: np.ndarray,
        policy: DisposalPolicy,
        thresholds: PolicyThresholds,
        key: str,
    ) -> _Draws:
        subjects = np.array(
            [
                item_subject(k, n)
                for k, n in zip(columns.decision_key, columns.item_no, strict=True)
            ],
            dtype=object,
        )
        random_probability = policy.random_shares(credit_level)
        low = columns.scores.low_support
        explore_probability = policy.exploration_probabilities(
            credit_level, low, thresholds.exploration_probability
        )
        explored = np.zeros(len(columns), dtype=bool)
        # Only low-support items can be explored: only they need a draw.
        explored[low] = draws(key, subjects[low], EXPLORATION) < explore_probability[low]
        return cls(
            random_probability=random_probability,
            random_selected=draws(key, subjects, RANDOM_SELECTION) < random_probability,
            exploration_probability=explore_probability,
            exploration_selected=explored,
        )


def _check_instructions(instructions: Sequence[Instruction], catalogue: MeasureCatalogue):
    """A published instruction naming a measure the catalogue lacks is a configuration
    error, raised loudly: silently skipping it would drop a control."""
    ids = [i.instruction_id for i in instructions]
    if len(set(ids)) != len(ids):
        raise ValueError("pass each instruction once (its latest version)")
    for instruction in instructions:
        for code in instruction.measures:
            if code not in catalogue.measures:
                raise UnknownMeasure(
                    f"instruction {instruction.instruction_id} v{instruction.version} imposes "
                    f"{code!r}, not in catalogue {catalogue.version}"
                )


def _instruction_chunks(
    columns: ItemColumns, instructions: Sequence[Instruction], chunks: list[dict]
) -> np.ndarray:
    """Rows of every in-force instruction covering an item, emergencies first, then by
    priority; returns which items an emergency instruction covers."""
    emergency = np.zeros(len(columns), dtype=bool)
    ordered = sorted(instructions, key=lambda i: (not i.emergency, -i.priority, i.instruction_id))
    for instruction in ordered:
        covered = in_force_mask(instruction, columns.at) & scope_mask(instruction.scope, columns)
        if not covered.any():
            continue
        if instruction.emergency:
            emergency |= covered
        for code in instruction.measures:
            _add(
                chunks,
                covered,
                code,
                "emergency" if instruction.emergency else "instruction",
                reason=instruction.reason,
                categories=instruction.categories,
                instruction=instruction,
            )
    return emergency


def _model_chunks(
    columns: ItemColumns,
    policy: DisposalPolicy,
    thresholds: PolicyThresholds,
    weights: np.ndarray,
    chunks: list[dict],
) -> None:
    """A rule's measure for the items whose priority exceeds its threshold and that meet
    its conditions, in the policy's rule order."""
    scores = columns.scores
    for rule in policy.rules:
        derived = thresholds.rule(rule.name)
        if not derived.active:
            continue
        missing = [c for c in derived.categories if c not in scores.probabilities]
        if missing:
            raise ValueError(
                f"thresholds {thresholds.version} use {missing}, which these scores lack: "
                "derive thresholds for the model that scored them"
            )
        priority = rule_priority(derived.categories, scores, weights, rule.stake)
        selected = rule_eligible(rule, derived.categories, scores) & (priority > derived.threshold)
        stake = " x duty on the declared value" if rule.stake else ""
        reason = (
            f"Risk policy rule {rule.name}: priority (credit weight x probability of a finding "
            f"in {', '.join(derived.categories)}{stake}) above the capacity threshold "
            f"{derived.threshold:.4g}."
        )
        _add(
            chunks,
            selected,
            rule.measure,
            "model",
            reason=reason,
            categories=derived.categories,
            rule=rule.name,
            priority=priority,
        )


def _add(chunks: list[dict], selected: np.ndarray, code: str, source: Source, **row) -> None:
    """Append the rows of one measure from one source, if any item is selected; chunks
    are appended in listing order within each source."""
    if selected.any():
        chunks.append(_chunk(selected, code, source, len(chunks), **row))


def _chunk(
    selected: np.ndarray,
    code: str,
    source: Source,
    order: int,
    *,
    reason: str,
    categories: tuple[str, ...] = (),
    instruction: Instruction | None = None,
    rule: str | None = None,
    priority: np.ndarray | None = None,
) -> dict:
    """Rows of one measure from one source for the selected items."""
    item = np.flatnonzero(selected)
    n = len(item)
    return {
        "item": item,
        "code": _repeat(code, n),
        "source": _repeat(source, n),
        "instruction_id": _repeat(None if instruction is None else instruction.instruction_id, n),
        "instruction_version": _repeat(None if instruction is None else instruction.version, n),
        "rule": _repeat(rule, n),
        "priority": np.full(n, np.nan) if priority is None else priority[item],
        "categories": _repeat(tuple(categories), n),
        "reason": _repeat(reason, n),
        "order": np.full(n, order),
    }


def _repeat(value, n: int) -> np.ndarray:
    array = np.empty(n, dtype=object)
    array[:] = [value] * n
    return array


def _rows(chunks: list[dict], emergency: np.ndarray, n_items: int, release: str) -> MeasureRows:
    """All rows, overridden ones marked, the release measure for items with none left."""
    covered = np.zeros(n_items, dtype=bool)
    for chunk in chunks:
        chunk["overridden"] = emergency[chunk["item"]] & (chunk["source"] != "emergency")
        covered[chunk["item"][~chunk["overridden"]]] = True
    released = _chunk(~covered, release, "model", len(chunks), reason=RELEASE_REASON)
    released["overridden"] = np.zeros(len(released["item"]), dtype=bool)
    everything = [*chunks, released]
    rows = MeasureRows(**{f: np.concatenate([c[f] for c in everything]) for f in released})
    source_rank = np.array([SOURCE_RANK[s] for s in rows.source], dtype=int)
    return rows.take(np.lexsort((rows.order, source_rank, rows.item)))


def _strictest(
    rows: MeasureRows, columns: ItemColumns, catalogue: MeasureCatalogue
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row index of the strictest applied measure per item and per declaration (its
    decision key), and whether each item's declaration waits for a measure. Strictest:
    highest kind rank, then blocking release, then precedence of the source, then the
    lowest item number."""
    rank_of = {code: m.kind.rank for code, m in catalogue.measures.items()}
    blocks_of = {code: m.blocks_release for code, m in catalogue.measures.items()}
    rank = np.array([rank_of[code] for code in rows.code], dtype=int)
    blocks = np.array([blocks_of[code] for code in rows.code], dtype=bool)
    source_rank = np.array([SOURCE_RANK[s] for s in rows.source], dtype=int)
    item_no = columns.item_no[rows.item]
    ineligible = rows.overridden.astype(int)  # overridden rows sort last, never chosen
    by_item = np.lexsort((rows.order, source_rank, ~blocks, -rank, ineligible, rows.item))
    _, first = np.unique(rows.item[by_item], return_index=True)
    item_strictest = by_item[first]  # items are 0..n-1 and each has at least one row
    _, group = np.unique(columns.decision_key.astype(str), return_inverse=True)
    row_group = group[rows.item]
    by_group = np.lexsort((rows.order, item_no, source_rank, ~blocks, -rank, ineligible, row_group))
    _, first = np.unique(row_group[by_group], return_index=True)
    declaration_strictest = by_group[first][group]
    waits = np.zeros(len(first), dtype=bool)
    waits[row_group[blocks & ~rows.overridden]] = True
    return item_strictest, declaration_strictest, waits[group]

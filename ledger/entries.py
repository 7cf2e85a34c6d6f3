"""A decision as the ledger records it: the whole decision as payload, and per goods item
what later queries need (measures, selection, credit level, level; the queue's facts).

Shared by the API and the batch flow, so both record decisions the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from disposal.decisions import DeclarationDecision, ItemDecision
from disposal.rebuttals import highest_level
from ledger.actors import Actor
from ledger.canonical import json_ready
from ledger.decisions import DecisionItem, DecisionMeasure, ItemFacts, NewDecision
from models.scoring import input_hash

# Why an item is inspected, in the inspection outcomes contract's words. A random draw is
# named first whatever else applies: the random sample must stay the whole draw, or the
# unbiased estimates that rest on it would lose their riskiest items.
_REASON_OF_SOURCE = {
    "emergency": "rule",
    "instruction": "rule",
    "model": "model",
    "exploration": "exploration",
}


def selection_reason(item: ItemDecision) -> str | None:
    """Why the item is inspected (None: no measure of it inspects)."""
    if item.selection.random:
        return "random"
    for measure in item.measures:  # by precedence
        if measure.kind.inspects:
            return _REASON_OF_SOURCE.get(measure.source, measure.source)
    return None


def ledger_entry(
    decision: DeclarationDecision,
    decision_json: dict,
    declarations: Sequence[Mapping],
    caller: Actor,
    idempotency_key: str | None,
) -> NewDecision:
    """The ledger record of a decision: the whole decision (``decision_json``, its JSON
    form) and its inputs as payload, and per item what later queries need (measures,
    selection, credit level, level)."""
    inputs = [
        json_ready(dict(d)) for d in declarations if d["declaration_id"] == decision.declaration_id
    ]
    rebutted = decision.rebutted()
    return NewDecision(
        decision_id=decision.decision_id,
        declaration_id=decision.declaration_id,
        caller=caller,
        input_hash=input_hash({"items": inputs}),
        model_version=decision.model_version,
        thresholds_version=decision.capacity_thresholds_version,
        policy_version=decision.policy_version,
        catalogue_version=decision.catalogue_version,
        disposition=decision.disposition.code,
        payload={"decision": decision_json, "inputs": inputs},
        items=[
            _ledger_item(item, rebutted.get(item.item_no, frozenset())) for item in decision.items
        ],
        idempotency_key=idempotency_key,
        facts=[_item_facts(item, inputs) for item in decision.items],
    )


def top_category(item: ItemDecision) -> str | None:
    """The category that sets the item's level: highest level, then probability."""
    if not item.risks:
        return None
    return max(item.risks, key=lambda c: (item.risks[c].level, item.risks[c].probability))


def _utc(iso_time: str | None) -> datetime | None:
    """A contract time (ISO text, UTC when it names no zone) as an aware datetime."""
    if not iso_time:
        return None
    moment = datetime.fromisoformat(iso_time)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _item_facts(item: ItemDecision, inputs: Sequence[Mapping]) -> ItemFacts:
    declared = next((d for d in inputs if int(d.get("item_no", 1)) == item.item_no), {})
    return ItemFacts(
        item_no=item.item_no,
        overall_probability=item.overall_probability,
        overall_level=item.overall_level,
        top_category=top_category(item),
        declared_at=_utc(declared.get("declared_at")),
        customs_office=declared.get("customs_office"),
        hs_code=declared.get("hs_code"),
        origin_country=declared.get("origin_country"),
    )


def _ledger_item(item: ItemDecision, rebutted: frozenset[str]) -> DecisionItem:
    return DecisionItem(
        item_no=item.item_no,
        selection_probability=item.selection.probability,
        random_selected=item.selection.random,
        selection_reason=selection_reason(item),
        credit_level=item.credit_level,
        highest_level=highest_level({c: r.level for c, r in item.risks.items()}, rebutted),
        measures=tuple(
            DecisionMeasure(
                code=m.code,
                kind=str(m.kind),
                source=m.source,
                instruction_id=m.instruction_id,
                instruction_version=m.instruction_version,
            )
            for m in item.measures
        ),
    )

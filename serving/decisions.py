"""Deciding in the API: the served model, the disposal rules, the published instructions and
the ledger, put together for one request.

The decision itself is ``disposal.decisions.decide`` (shared with the batch flow); here it
is recorded before it is returned, so no caller ever acts on a decision the ledger lacks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException

from disposal.decisions import DeclarationDecision, ItemDecision, decide
from ledger.actors import Principal
from ledger.canonical import json_ready
from ledger.decisions import DecisionItem, DecisionMeasure, NewDecision
from ledger.errors import IdempotencyConflict
from ledger.store import Ledger
from models.scoring import input_hash
from serving.dependencies import LedgerAccess, Published, ServedModel
from serving.holder import LoadedModel
from serving.published import PublishedInstructions

__all__ = ["Decider", "DecisionService", "DeclarationDecision", "selection_reason"]

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
    caller: Principal,
    idempotency_key: str | None,
) -> NewDecision:
    """The ledger record of a decision: the whole decision (``decision_json``, its JSON
    form) and its inputs as payload, and per item what later queries need (measures,
    selection, credit level, level)."""
    inputs = [
        json_ready(dict(d)) for d in declarations if d["declaration_id"] == decision.declaration_id
    ]
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
        items=[_ledger_item(item) for item in decision.items],
        idempotency_key=idempotency_key,
    )


def _ledger_item(item: ItemDecision) -> DecisionItem:
    return DecisionItem(
        item_no=item.item_no,
        selection_probability=item.selection.probability,
        random_selected=item.selection.random,
        selection_reason=selection_reason(item),
        credit_level=item.credit_level,
        highest_level=max((r.level for r in item.risks.values()), default=None),
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


@dataclass(frozen=True)
class DecisionService:
    loaded: LoadedModel
    ledger: Ledger
    published: PublishedInstructions

    def decide(
        self,
        declarations: Sequence[Mapping],
        caller: Principal,
        explain: bool = True,
        idempotency_key: str | None = None,
    ) -> list[dict]:
        """Decide and record, one decision per declaration, each returned as recorded (its
        JSON form, answered as is: serialised once, for the ledger and the caller); a
        replayed request gets the decision recorded the first time."""
        decided = decide(
            self.loaded.scorer,
            declarations,
            self.loaded.rules,
            self.published.current(),
            datetime.now(UTC),
            explain,
        )
        if idempotency_key is not None and len(decided) > 1:
            raise HTTPException(422, "an Idempotency-Key names one declaration's decision")
        return [self._record(d, declarations, caller, idempotency_key) for d in decided]

    def _record(self, decision, declarations, caller, idempotency_key) -> dict:
        decision_json = decision.model_dump(mode="json")
        entry = ledger_entry(decision, decision_json, declarations, caller, idempotency_key)
        try:
            recorded = self.ledger.decisions.record(entry)
        except IdempotencyConflict as conflict:
            raise HTTPException(
                409, f"Idempotency-Key reused for another input: {conflict}"
            ) from None
        return recorded.payload["decision"] if recorded.replayed else decision_json


def decision_service(
    loaded: ServedModel, ledger: LedgerAccess, published: Published
) -> DecisionService:
    return DecisionService(loaded, ledger, published)


Decider = Annotated[DecisionService, Depends(decision_service)]

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

from disposal.decisions import DeclarationDecision, decide
from ledger.actors import Principal
from ledger.entries import ledger_entry, selection_reason
from ledger.errors import IdempotencyConflict
from ledger.store import Ledger
from serving.dependencies import LedgerAccess, Published, ServedModel
from serving.holder import LoadedModel
from serving.published import PublishedInstructions

__all__ = [
    "Decider",
    "DecisionService",
    "DeclarationDecision",
    "ledger_entry",
    "selection_reason",
]


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

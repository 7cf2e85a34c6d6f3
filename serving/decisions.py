"""Deciding in the API: the served model, the disposal rules, the published instructions and
the ledger, put together for one request.

The decision itself is ``disposal.decisions.decide`` (shared with the batch flow); here it
is recorded before it is returned, so no caller ever acts on a decision the ledger lacks.
A declaration is decided again the same way when evidence against its assessment is
accepted (Art. 15, ``DecisionService.redecision``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException

from disposal.decisions import DeclarationDecision, decide
from disposal.rebuttals import Rebuttal
from ledger.actors import Principal, Role
from ledger.decisions import NewDecision, RecordedDecision
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
    "decision_owner",
    "ledger_entry",
    "redecision_link",
    "selection_reason",
    "visible_decision",
]
# Where a decision taken again names what it replaces, in its payload (under the hash).
REDECISION = "redecision"


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

    def redecision(
        self, recorded: RecordedDecision, rebuttal: Rebuttal, caller: Principal
    ) -> NewDecision:
        """The declaration of ``recorded`` decided again from its recorded inputs, with the
        served model, policy and published instructions, its earlier rebuttals and
        ``rebuttal`` set aside, as a ledger entry by ``caller`` that names the decision it
        supersedes, the evidence and whose declaration it is (to record, not recorded)."""
        inputs = recorded.payload["inputs"]
        earlier = recorded.payload["decision"].get("rebuttals", [])
        rebuttals = [*(Rebuttal.model_validate(r) for r in earlier), rebuttal]
        (decided,) = decide(
            self.loaded.scorer,
            inputs,
            self.loaded.rules,
            self.published.current(),
            datetime.now(UTC),
            rebuttals=rebuttals,
        )
        entry = ledger_entry(decided, decided.model_dump(mode="json"), inputs, caller, None)
        link = {
            "supersedes": recorded.decision_id,
            "evidence_id": rebuttal.evidence_id,
            "owner": decision_owner(recorded),
        }
        return replace(entry, payload={**entry.payload, REDECISION: link})


def redecision_link(recorded: RecordedDecision) -> dict[str, Any]:
    """What a decision taken again supersedes and on which evidence (empty otherwise)."""
    return recorded.payload.get(REDECISION, {})


def decision_owner(recorded: RecordedDecision) -> str:
    """Whose declaration it is: the clearance system that asked for the first decision
    (a decision taken again is recorded by the reviewing officer, on its behalf)."""
    return redecision_link(recorded).get("owner", recorded.caller)


def visible_decision(
    ledger: Ledger, decision_id: str, caller: Principal, audit: bool
) -> RecordedDecision:
    """The decision, if it exists and the caller may see it (a clearance system: only
    decisions on its own declarations; 404 otherwise, so ids of others' decisions reveal
    nothing). With ``audit`` the read is audited as ``decision.read``."""
    found = ledger.decisions.get(decision_id, reader=caller if audit else None)
    if found is None or (
        caller.role == Role.clearance_system and decision_owner(found) != caller.name
    ):
        raise HTTPException(404, f"no decision {decision_id}")
    return found


def decision_service(
    loaded: ServedModel, ledger: LedgerAccess, published: Published
) -> DecisionService:
    return DecisionService(loaded, ledger, published)


Decider = Annotated[DecisionService, Depends(decision_service)]

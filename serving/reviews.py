"""Reviewing decisions: evidence and its review (Art. 15), expert assessments (Art. 11).

The one place the API and the reviewers' workbench go through, so both apply the same
rules: who may see which decision (a clearance system: its own declarations), which goods
item a record may name, and what accepting evidence does: the declaration is decided again
(``DecisionService.redecision``: the served model, policy and published instructions,
with the rebutted categories set aside) and the new decision is recorded with the review
in one transaction, by the reviewing officer. Each method checks the caller's role too
(``serving.security``), so a caller that is not a route is held to the same rules.
Refusals are HTTP errors (403 role, 404 unknown or not visible, 409 already reviewed or
superseded, 422 naming the field, 503 no model), as the API answers them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException

from disposal.rebuttals import Rebuttal
from ledger.actors import Principal
from ledger.assessments import NewAssessment, RecordedAssessment
from ledger.decisions import RecordedDecision
from ledger.errors import (
    AlreadyReviewed,
    DecisionSuperseded,
    UnknownDecision,
    UnknownEvidence,
)
from ledger.evidence import PENDING, NewEvidence, RecordedEvidence
from ledger.store import Ledger
from serving.decisions import DecisionService, visible_decision
from serving.dependencies import Holder, LedgerAccess, Published, served_model
from serving.errors import InvalidField
from serving.holder import ModelHolder
from serving.published import PublishedInstructions
from serving.security import ASSESSORS, EVIDENCE_GIVERS, EVIDENCE_REVIEWERS, authorise

_FIELD = re.compile(r"field '([^']+)'")


@dataclass(frozen=True)
class Review:
    """A reviewed evidence and, when it was accepted, the decision taken again."""

    evidence: RecordedEvidence
    redecision: RecordedDecision | None


def invalid(error: ValueError, default: str) -> InvalidField:
    """A domain refusal (``field 'x': …``) as the API's 422 naming the field."""
    named = _FIELD.search(str(error))
    return InvalidField(named.group(1) if named else default, str(error))


@dataclass(frozen=True)
class Reviews:
    ledger: Ledger
    holder: ModelHolder
    published: PublishedInstructions

    def decision(self, decision_id: str, caller: Principal) -> RecordedDecision:
        """The decision if the caller may see it (404 otherwise); not an audited read."""
        return visible_decision(self.ledger, decision_id, caller, audit=False)

    def submit_evidence(
        self, decision_id: str, evidence: NewEvidence, caller: Principal
    ) -> RecordedEvidence:
        """Attach evidence to a decision the caller may see, pending review."""
        authorise(caller, EVIDENCE_GIVERS)
        _check_item(self.decision(decision_id, caller), evidence.item_no)
        try:
            return self.ledger.evidence.submit(decision_id, evidence, caller)
        except DecisionSuperseded as error:
            raise HTTPException(409, f"{error}; give the evidence on that decision") from None

    def evidence_of(self, decision_id: str, caller: Principal) -> list[RecordedEvidence]:
        self.decision(decision_id, caller)
        return self.ledger.evidence.of_decision(decision_id)

    def review_evidence(
        self, decision_id: str, evidence_id: str, accept: bool, reason: str, caller: Principal
    ) -> Review:
        """Reject (recorded only) or accept the evidence; accepting decides the declaration
        again and records that decision with the review, linked both ways."""
        authorise(caller, EVIDENCE_REVIEWERS)
        recorded = self.decision(decision_id, caller)
        evidence = self.ledger.evidence.get(evidence_id)
        if evidence is None or evidence.decision_id != decision_id:
            raise HTTPException(404, f"no evidence {evidence_id} on decision {decision_id}")
        if not reason.strip():
            raise InvalidField("reason", "say why the evidence is accepted or rejected", reason)
        try:
            if not accept:
                return Review(self.ledger.evidence.reject(evidence_id, caller, reason), None)
            _refuse_reviewed(self.ledger, evidence)
            entry = self._decider().redecision(recorded, _rebuttal(recorded, evidence), caller)
            accepted, redecided = self.ledger.evidence.accept(evidence_id, caller, reason, entry)
        except (AlreadyReviewed, DecisionSuperseded) as error:
            raise HTTPException(409, str(error)) from None
        except UnknownEvidence as error:
            raise HTTPException(404, str(error)) from None
        return Review(accepted, redecided)

    def record_assessment(
        self, decision_id: str, assessment: NewAssessment, caller: Principal
    ) -> RecordedAssessment:
        authorise(caller, ASSESSORS)
        _check_item(self.decision(decision_id, caller), assessment.item_no)
        try:
            return self.ledger.assessments.record(decision_id, assessment, caller)
        except UnknownDecision as error:
            raise HTTPException(404, str(error)) from None

    def assessments_of(self, decision_id: str, caller: Principal) -> list[RecordedAssessment]:
        authorise(caller, ASSESSORS)
        self.decision(decision_id, caller)
        return self.ledger.assessments.of_decision(decision_id)

    def _decider(self) -> DecisionService:
        """The scoring path as it stands now (503 while no model is served)."""
        return DecisionService(served_model(self.holder), self.ledger, self.published)


def _check_item(decision: RecordedDecision, item_no: int | None) -> None:
    numbers = [item.item_no for item in decision.items]
    if item_no is not None and item_no not in numbers:
        raise InvalidField("item_no", f"the decision has goods items {numbers}", item_no)


def _refuse_reviewed(ledger: Ledger, evidence: RecordedEvidence) -> None:
    """Before deciding again: reviewed evidence, or evidence on a decision taken again
    already, is refused without scoring (the store checks again, under lock, when it
    records)."""
    if evidence.status != PENDING:
        raise AlreadyReviewed(f"evidence {evidence.evidence_id} was {evidence.status} already")
    successor = ledger.evidence.superseded_by(evidence.decision_id)
    if successor is not None:
        raise DecisionSuperseded(
            f"decision {evidence.decision_id} was taken again as {successor} on other "
            "evidence: reject this one, or have it given again on the new decision"
        )


def _rebuttal(decision: RecordedDecision, evidence: RecordedEvidence) -> Rebuttal:
    return Rebuttal(
        evidence_id=evidence.evidence_id,
        declaration_id=decision.declaration_id,
        item_no=evidence.item_no,
        categories=evidence.categories,
    )


def reviews(ledger: LedgerAccess, holder: Holder, published: Published) -> Reviews:
    return Reviews(ledger, holder, published)


ReviewAccess = Annotated[Reviews, Depends(reviews)]

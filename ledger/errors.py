"""What the ledger's repositories refuse. Each refusal leaves the database unchanged."""

from __future__ import annotations


class LedgerError(Exception):
    """Base of the ledger's refusals."""


class IdempotencyConflict(LedgerError):
    """An idempotency key already recorded by this caller for a different input."""


class UnknownDecision(LedgerError):
    """No decision (or no such goods item in it) with this id."""


class OutcomeAlreadyRecorded(LedgerError):
    """The goods item of this decision has its outcome already."""


class StaleVersion(LedgerError):
    """The instruction's current version is not the one the change was based on."""


class UnknownKey(LedgerError):
    """No API key with this id."""


class NameTakenByOtherRole(LedgerError):
    """The name holds an active key of another role: a name means one role."""


class UnknownEvidence(LedgerError):
    """No evidence with this id (on this decision)."""


class AlreadyReviewed(LedgerError):
    """The evidence was accepted or rejected already: it is reviewed once."""


class DecisionSuperseded(LedgerError):
    """The decision was taken again on accepted evidence: act on the new decision."""


class UnknownWarning(LedgerError):
    """No risk warning with this id."""


class WarningWithdrawn(LedgerError):
    """The risk warning was withdrawn already."""

"""The ledger as one object: its engine and the repositories over it.

Opened once per process (the API at start-up, a command for its run), migrated to the
current schema on opening, and disposed of at the end.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text

from disposal.instructions import Instruction
from ledger.assessments import AssessmentStore
from ledger.audit import AuditLog
from ledger.database import connect, migrate
from ledger.decisions import DecisionLedger
from ledger.evidence import EvidenceStore
from ledger.instructions import PUBLISHED, InstructionStore
from ledger.keys import KeyStore
from ledger.outcomes import OutcomeStore
from ledger.queue import ReviewQueue
from ledger.sessions import SessionStore
from ledger.warnings import WarningStore


@dataclass(frozen=True)
class Ledger:
    engine: Engine
    decisions: DecisionLedger
    outcomes: OutcomeStore
    instructions: InstructionStore
    keys: KeyStore
    audit: AuditLog
    queue: ReviewQueue
    sessions: SessionStore
    evidence: EvidenceStore
    assessments: AssessmentStore
    warnings: WarningStore

    @classmethod
    def open(cls, url: str) -> Ledger:
        """Connect to ``url`` and bring its schema to the current migration."""
        engine = connect(url)
        migrate(engine)
        return cls(
            engine,
            DecisionLedger(engine),
            OutcomeStore(engine),
            InstructionStore(engine),
            KeyStore(engine),
            AuditLog(engine),
            ReviewQueue(engine),
            SessionStore(engine),
            EvidenceStore(engine),
            AssessmentStore(engine),
            WarningStore(engine),
        )

    def published_instructions(self) -> list[Instruction]:
        """Every published instruction's latest version, as the disposal reads them (which
        are in force at a moment is the disposal's to decide, from their validity)."""
        return [Instruction.model_validate(v.payload) for v in self.instructions.list(PUBLISHED)]

    def reachable(self) -> str | None:
        """None when the database answers, else why not (for readiness)."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:  # any driver error means: not reachable now
            return f"decision ledger unreachable: {type(error).__name__}: {error}"
        return None

    def close(self) -> None:
        self.engine.dispose()

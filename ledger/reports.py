"""What the ledger says about how measures worked (Art. 18 §2): hits per instruction.

An instruction *hits* a goods item when a decision applied its measure to it; the item's
outcome, once recorded, says whether the control found something. The hit rate is
findings over items with an outcome (items still awaiting one are counted apart).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import Engine, select

from ledger.database import read_transaction
from ledger.schema import DecisionMeasureRow, OutcomeRow


@dataclass(frozen=True)
class InstructionHits:
    items: int  # goods items the instruction's measures applied to
    with_outcome: int
    findings: int  # of those, with a finding in any category

    @property
    def hit_rate(self) -> float | None:
        return self.findings / self.with_outcome if self.with_outcome else None

    def to_dict(self) -> dict:
        return {**asdict(self), "hit_rate": self.hit_rate}


def instruction_hits(engine: Engine) -> dict[str, InstructionHits]:
    """Per instruction id, over every version: items hit, their outcomes and findings."""
    measure, outcome = DecisionMeasureRow, OutcomeRow
    applied = (
        select(measure.instruction_id, measure.decision_id, measure.item_no)
        .where(measure.instruction_id.is_not(None))
        .distinct()
        .subquery()
    )
    # The findings are JSON (per category): whether any is true is decided here, not in
    # SQL, the same way on SQLite and PostgreSQL.
    query = (
        select(applied.c.instruction_id, outcome.decision_id, outcome.findings)
        .select_from(applied)
        .outerjoin(
            outcome,
            (outcome.decision_id == applied.c.decision_id) & (outcome.item_no == applied.c.item_no),
        )
    )
    totals: dict[str, list[int]] = {}
    with read_transaction(engine) as session:
        for instruction_id, outcome_of, findings in session.execute(query):
            entry = totals.setdefault(instruction_id, [0, 0, 0])
            entry[0] += 1
            entry[1] += outcome_of is not None
            entry[2] += bool(findings) and any(findings.values())
    return {i: InstructionHits(*counts) for i, counts in totals.items()}

"""Control instructions (布控指令): every version of every instruction, kept.

Each change (drafting, publishing, revoking, a new scope) is a new version; none is
updated in place. Versions are numbered 1, 2, … per instruction and a change names the
version it was based on (optimistic concurrency): if another change came first, it is
refused with ``StaleVersion`` instead of silently overwriting it. The lifecycle (who may
publish, four eyes, emergency limits) is the domain's, in ``disposal``; this store keeps
the versions and audits each one in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, func, or_, select
from sqlalchemy.exc import IntegrityError

from ledger.actors import Actor
from ledger.audit import AuditEvent, write_event
from ledger.canonical import json_ready
from ledger.database import read_transaction, write_transaction
from ledger.errors import StaleVersion
from ledger.schema import InstructionRow, utc_now

# The status in which an instruction applies (within its validity); the other statuses
# of the lifecycle are the domain's to name.
PUBLISHED = "published"


@dataclass(frozen=True)
class InstructionVersion:
    instruction_id: str
    version: int
    status: str
    payload: dict[str, Any]
    emergency: bool
    valid_from: datetime | None
    valid_to: datetime | None
    created_by: str
    created_by_role: str
    created_at: datetime


class InstructionStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def save_version(
        self,
        instruction_id: str,
        payload: Mapping[str, Any],
        status: str,
        actor: Actor,
        *,
        action: str,
        expected_version: int | None = None,
        emergency: bool = False,
        valid_from: datetime | None = None,
        valid_to: datetime | None = None,
    ) -> InstructionVersion:
        """Append the next version of the instruction, audited as ``action`` (e.g.
        ``instruction.draft``, ``instruction.publish``) with the previous version as the
        old value. ``expected_version``: the current version the change is based on
        (None for a new instruction); another one raises ``StaleVersion``."""
        try:
            with write_transaction(self._engine) as session:
                current = session.scalars(
                    _history(instruction_id).order_by(InstructionRow.version.desc()).limit(1)
                ).first()
                current_version = None if current is None else current.version
                if current_version != expected_version:
                    raise StaleVersion(
                        f"instruction {instruction_id!r} is at version {current_version}, "
                        f"the change was based on {expected_version}"
                    )
                row = InstructionRow(
                    instruction_id=instruction_id,
                    version=(current_version or 0) + 1,
                    status=status,
                    payload=json_ready(dict(payload)),  # e.g. times as ISO text
                    emergency=emergency,
                    valid_from=valid_from,
                    valid_to=valid_to,
                    created_by=actor.name,
                    created_by_role=str(actor.role),
                    created_at=utc_now(),
                )
                session.add(row)
                old = None if current is None else _version(current)
                saved = _version(row)
                event = AuditEvent(actor, action, "instruction", instruction_id, old, saved)
                write_event(session, event)
        except IntegrityError as error:
            # A concurrent change took the same version number between our read and insert.
            raise StaleVersion(f"instruction {instruction_id!r} changed meanwhile") from error
        return saved

    def current(self, instruction_id: str) -> InstructionVersion | None:
        """The latest version, or None for an unknown instruction."""
        history = self.history(instruction_id)
        return history[-1] if history else None

    def history(self, instruction_id: str) -> list[InstructionVersion]:
        """Every version, oldest first."""
        with read_transaction(self._engine) as session:
            rows = session.scalars(_history(instruction_id).order_by(InstructionRow.version))
            return [_version(row) for row in rows]

    def list(self, status: str | None = None) -> list[InstructionVersion]:
        """The latest version of every instruction (those whose latest version has
        ``status``, if given), by instruction id."""
        query = _latest_versions(None)
        if status is not None:
            query = query.where(InstructionRow.status == status)
        with read_transaction(self._engine) as session:
            return [_version(row) for row in session.scalars(query)]

    def in_force(self, at: datetime | None = None) -> list[InstructionVersion]:
        """The instructions in force at ``at`` (default now): of each instruction, the
        latest version saved by then, if it is published and valid at ``at``. A past
        ``at`` thus gives the instructions as they stood then."""
        at = at or utc_now()
        query = _latest_versions(at).where(
            InstructionRow.status == PUBLISHED,
            InstructionRow.valid_from <= at,
            or_(InstructionRow.valid_to.is_(None), InstructionRow.valid_to > at),
        )
        with read_transaction(self._engine) as session:
            return [_version(row) for row in session.scalars(query)]


def _history(instruction_id: str) -> Select[tuple[InstructionRow]]:
    return select(InstructionRow).where(InstructionRow.instruction_id == instruction_id)


def _latest_versions(saved_by: datetime | None) -> Select[tuple[InstructionRow]]:
    """Of each instruction, its latest version (saved by ``saved_by``, if given)."""
    latest = select(
        InstructionRow.instruction_id, func.max(InstructionRow.version).label("version")
    ).group_by(InstructionRow.instruction_id)
    if saved_by is not None:
        latest = latest.where(InstructionRow.created_at <= saved_by)
    latest = latest.subquery()
    return (
        select(InstructionRow)
        .join(
            latest,
            (InstructionRow.instruction_id == latest.c.instruction_id)
            & (InstructionRow.version == latest.c.version),
        )
        .order_by(InstructionRow.instruction_id)
    )


def _version(row: InstructionRow) -> InstructionVersion:
    return InstructionVersion(
        instruction_id=row.instruction_id,
        version=row.version,
        status=row.status,
        payload=dict(row.payload),
        emergency=row.emergency,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        created_by=row.created_by,
        created_by_role=row.created_by_role,
        created_at=row.created_at,
    )

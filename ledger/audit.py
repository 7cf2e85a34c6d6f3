"""The audit trail (Art. 5): who did what to which record, with old and new values.

Append-only. A change and its audit event are written in the same transaction: the
repositories take the acting :class:`~ledger.actors.Actor` and call :func:`write_event`
in their own transaction, and :meth:`AuditLog.record` accepts the caller's session or
connection for changes made elsewhere, so a change never exists without its record (and
a failed change leaves none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select
from sqlalchemy.orm import Session

from ledger.actors import Actor
from ledger.canonical import json_ready
from ledger.database import read_transaction, write_transaction
from ledger.schema import AuditEventRow, utc_now

AUDIT_EVENTS = AuditEventRow.__table__


@dataclass(frozen=True)
class AuditEvent:
    """One thing done: ``action`` such as ``instruction.publish`` or ``decision.read`` on
    the record ``entity`` / ``entity_id``, with its values before and after."""

    actor: Actor
    action: str
    entity: str
    entity_id: str
    old: Mapping[str, Any] | None = None
    new: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class RecordedAuditEvent:
    event_id: int
    at: datetime
    actor: str
    role: str
    action: str
    entity: str
    entity_id: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None


def write_event(transaction: Session | Connection, event: AuditEvent) -> None:
    """Write ``event`` in the transaction of ``transaction`` (an ORM session or a Core
    connection): it commits or rolls back with it."""
    transaction.execute(
        insert(AUDIT_EVENTS).values(
            at=utc_now(),
            actor=event.actor.name,
            role=str(event.actor.role),
            action=event.action,
            entity=event.entity,
            entity_id=event.entity_id,
            old=None if event.old is None else json_ready(event.old),
            new=None if event.new is None else json_ready(event.new),
        )
    )


class AuditLog:
    """Reads the trail and records events for changes that have no repository here."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def record(self, event: AuditEvent, transaction: Session | Connection | None = None) -> None:
        """Record ``event`` in ``transaction`` (a session or connection in the transaction
        of the change it audits), or in a transaction of its own when there is no change
        to go with."""
        if transaction is not None:
            write_event(transaction, event)
            return
        with write_transaction(self._engine) as own:
            write_event(own, event)

    def events(
        self,
        *,
        entity: str | None = None,
        entity_id: str | None = None,
        actor: str | None = None,
        since: datetime | None = None,
    ) -> list[RecordedAuditEvent]:
        """Events in the order they were written, filtered by what is given."""
        query = select(AuditEventRow).order_by(AuditEventRow.event_id)
        if entity is not None:
            query = query.where(AuditEventRow.entity == entity)
        if entity_id is not None:
            query = query.where(AuditEventRow.entity_id == entity_id)
        if actor is not None:
            query = query.where(AuditEventRow.actor == actor)
        if since is not None:
            query = query.where(AuditEventRow.at >= since)
        with read_transaction(self._engine) as session:
            return [_recorded(row) for row in session.scalars(query)]


def _recorded(row: AuditEventRow) -> RecordedAuditEvent:
    return RecordedAuditEvent(
        event_id=row.event_id,
        at=row.at,
        actor=row.actor,
        role=row.role,
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        old=row.old,
        new=row.new,
    )

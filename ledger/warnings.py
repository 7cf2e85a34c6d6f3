"""Risk warnings (Art. 14, 19): as issued, and their withdrawal.

The rules (validation, lifecycle, what "in force" means) are the domain's, in
``disposal.warnings``; this store keeps each warning as one row whose status changes
once, from issued to withdrawn, each change audited with the values before and after.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Select, or_, select

from disposal.warnings import RiskWarning, WarningStatus, withdraw
from ledger.actors import Actor
from ledger.audit import AuditEvent, write_event
from ledger.database import read_transaction, write_transaction
from ledger.errors import UnknownWarning, WarningWithdrawn
from ledger.schema import RiskWarningRow, utc_now


@dataclass(frozen=True)
class RecordedWarning:
    warning_id: str
    audience: str
    scope: dict[str, Any]
    category: str
    valid_from: datetime
    valid_to: datetime
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    source_signal: dict[str, Any] | None
    issued_by: str
    issued_role: str
    issued_at: datetime
    status: str
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawal_reason: str | None

    def warning(self) -> RiskWarning:
        """The domain object (validated again)."""
        fields = {k: v for k, v in self.__dict__.items() if k != "issued_role"}
        return RiskWarning.model_validate(fields)


class WarningStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def issue(self, warning: RiskWarning, actor: Actor) -> RecordedWarning:
        """Store a newly issued warning, audited as ``warning.issue``."""
        if warning.status is not WarningStatus.ISSUED:
            raise ValueError(f"warning {warning.warning_id} is {warning.status}, not issued")
        with write_transaction(self._engine) as session:
            row = RiskWarningRow(
                warning_id=warning.warning_id,
                audience=str(warning.audience),
                # only the fields given: what a reader of the feed needs to see
                scope=warning.scope.model_dump(mode="json", exclude_defaults=True),
                category=warning.category,
                valid_from=warning.valid_from,
                valid_to=warning.valid_to,
                title_zh=warning.title_zh,
                title_en=warning.title_en,
                text_zh=warning.text_zh,
                text_en=warning.text_en,
                source_signal=warning.source_signal,
                issued_by=warning.issued_by,
                issued_role=str(actor.role),
                issued_at=warning.issued_at,
                status=str(warning.status),
            )
            session.add(row)
            recorded = _recorded(row)
            write_event(
                session,
                AuditEvent(
                    actor, "warning.issue", "risk_warning", warning.warning_id, new=recorded
                ),
            )
        return recorded

    def withdraw(
        self, warning_id: str, actor: Actor, reason: str, at: datetime | None = None
    ) -> RecordedWarning:
        """Withdraw the warning (at ``at``, default now), audited as ``warning.withdraw``.
        Raises ``UnknownWarning`` or ``WarningWithdrawn``; an empty reason is a
        ``disposal.warnings.WarningError``."""
        with write_transaction(self._engine) as session:
            row = session.get(RiskWarningRow, warning_id, with_for_update=True)
            if row is None:
                raise UnknownWarning(f"no risk warning {warning_id!r}")
            if row.status == WarningStatus.WITHDRAWN:
                raise WarningWithdrawn(
                    f"warning {warning_id} was withdrawn by {row.withdrawn_by} at "
                    f"{row.withdrawn_at:%Y-%m-%d %H:%M} UTC"
                )
            old = _recorded(row)
            withdrawn = withdraw(old.warning(), actor.name, reason, at or utc_now())
            row.status = str(withdrawn.status)
            row.withdrawn_at = withdrawn.withdrawn_at
            row.withdrawn_by = withdrawn.withdrawn_by
            row.withdrawal_reason = withdrawn.withdrawal_reason
            new = _recorded(row)
            write_event(
                session, AuditEvent(actor, "warning.withdraw", "risk_warning", warning_id, old, new)
            )
        return new

    def get(self, warning_id: str) -> RecordedWarning | None:
        with read_transaction(self._engine) as session:
            row = session.get(RiskWarningRow, warning_id)
            return None if row is None else _recorded(row)

    def list(
        self,
        *,
        status: str | None = None,
        audience: str | None = None,
        in_force_at: datetime | None = None,
    ) -> list[RecordedWarning]:
        """Warnings, newest issued first, filtered by what is given; ``in_force_at``: only
        those in force then (issued, not withdrawn by then, within validity)."""
        query: Select[tuple[RiskWarningRow]] = select(RiskWarningRow).order_by(
            RiskWarningRow.issued_at.desc(), RiskWarningRow.warning_id
        )
        if status is not None:
            query = query.where(RiskWarningRow.status == status)
        if audience is not None:
            query = query.where(RiskWarningRow.audience == audience)
        if in_force_at is not None:
            query = query.where(
                RiskWarningRow.valid_from <= in_force_at,
                RiskWarningRow.valid_to > in_force_at,
                or_(
                    RiskWarningRow.withdrawn_at.is_(None),
                    RiskWarningRow.withdrawn_at > in_force_at,
                ),
            )
        with read_transaction(self._engine) as session:
            return [_recorded(row) for row in session.scalars(query)]


def _recorded(row: RiskWarningRow) -> RecordedWarning:
    return RecordedWarning(
        warning_id=row.warning_id,
        audience=row.audience,
        scope=dict(row.scope),
        category=row.category,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        title_zh=row.title_zh,
        title_en=row.title_en,
        text_zh=row.text_zh,
        text_en=row.text_en,
        source_signal=None if row.source_signal is None else dict(row.source_signal),
        issued_by=row.issued_by,
        issued_role=row.issued_role,
        issued_at=row.issued_at,
        status=row.status,
        withdrawn_at=row.withdrawn_at,
        withdrawn_by=row.withdrawn_by,
        withdrawal_reason=row.withdrawal_reason,
    )

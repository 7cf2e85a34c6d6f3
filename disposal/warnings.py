"""Risk warnings (Art. 13-14, 19): issued inside customs, to enterprises, to the public or
to other authorities, and withdrawn.

A warning addresses one audience about one risk category in a scope of goods (the same
shape as a control instruction's scope: HS prefixes, origins, routes, parties…), from
``valid_from`` to ``valid_to``, with a title and a text in Chinese and in English (it is
shared with foreign authorities, Art. 19). It may name the monitoring signal it was
proposed from. A warning imposes no measure: it informs; a control instruction acts.
Its lifecycle is issued → withdrawn (with who, when and why); a warning past its
``valid_to`` has expired without a change. Like the instruction lifecycle, every function
here is pure and returns a new object.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from disposal.catalogue import known_categories
from disposal.instructions import InstructionScope, as_utc

MAX_TITLE_CHARS = 200
MAX_TEXT_CHARS = 5000
WARNING_ID_PATTERN = r"^RW-[0-9]{8}-[0-9A-F]{8}$"


class WarningAudience(StrEnum):
    """Whom a warning is for (Art. 14: inside customs, units and the public, other
    authorities at home and abroad)."""

    CUSTOMS_INTERNAL = "customs_internal"
    ENTERPRISES = "enterprises"
    PUBLIC = "public"
    OTHER_AUTHORITIES = "other_authorities"


class WarningStatus(StrEnum):
    ISSUED = "issued"
    WITHDRAWN = "withdrawn"


class WarningError(ValueError):
    """An invalid warning or a step its lifecycle does not allow; ``field`` names the
    field at fault (None when it is the warning's state, not a field)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class RiskWarning(BaseModel):
    """One risk warning, as issued (and, once withdrawn, with its withdrawal)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    warning_id: str = Field(pattern=WARNING_ID_PATTERN)
    audience: WarningAudience
    scope: InstructionScope = Field(description="The goods concerned (as an instruction's).")
    category: str = Field(description="The Art. 2 risk category it warns of.")
    valid_from: datetime
    valid_to: datetime
    title_zh: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    title_en: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    text_zh: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    text_en: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    source_signal: dict[str, Any] | None = Field(
        None, description="The monitoring signal it was proposed from, as that signal reads."
    )
    issued_by: str = Field(min_length=1)
    issued_at: datetime
    status: WarningStatus = WarningStatus.ISSUED
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawal_reason: str | None = None

    @field_validator("valid_from", "valid_to", "issued_at", "withdrawn_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        return known_categories((value,))[0]

    @model_validator(mode="after")
    def _consistent(self) -> RiskWarning:
        if self.valid_to <= self.valid_from:
            raise ValueError("field 'valid_to' must be after valid_from")
        withdrawal = (self.withdrawn_at, self.withdrawn_by, self.withdrawal_reason)
        if self.status is WarningStatus.WITHDRAWN and not all(withdrawal):
            raise ValueError("field 'withdrawal_reason': a withdrawal names who, when and why")
        if self.status is WarningStatus.ISSUED and any(v is not None for v in withdrawal):
            raise ValueError("field 'status': an issued warning has no withdrawal")
        return self


def new_warning_id(at: datetime) -> str:
    """``RW-<yyyymmdd>-<8 hex>``: the issue date (UTC) for a reader, random for uniqueness."""
    return f"RW-{as_utc(at):%Y%m%d}-{uuid.uuid4().hex[:8].upper()}"


def _build(data: dict[str, Any]) -> RiskWarning:
    """Validate a warning, turning the first problem into a ``WarningError`` that names
    its field (every problem is in the message)."""
    try:
        return RiskWarning.model_validate(data)
    except ValidationError as error:
        problems, fields = [], []
        for e in error.errors():
            field = ".".join(str(p) for p in e["loc"])
            message = e["msg"].removeprefix("Value error, ")
            if not field and message.startswith("field '"):
                field = message.split("'", 2)[1]
            fields.append(field or "warning")
            problems.append(f"field {field!r}: {message}" if e["loc"] else message)
        raise WarningError("; ".join(problems), fields[0]) from None


def issue(
    *,
    audience: WarningAudience | str,
    scope: InstructionScope | dict,
    category: str,
    valid_from: datetime,
    valid_to: datetime,
    title_zh: str,
    title_en: str,
    text_zh: str,
    text_en: str,
    issued_by: str,
    at: datetime,
    source_signal: dict[str, Any] | None = None,
) -> RiskWarning:
    """A new warning, issued at ``at``; one that would end by then is refused."""
    if as_utc(valid_to) <= as_utc(at):
        raise WarningError(
            "field 'valid_to': the warning would end before it is issued", "valid_to"
        )
    return _build(
        {
            "warning_id": new_warning_id(at),
            "audience": audience,
            "scope": scope,
            "category": category,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "title_zh": title_zh,
            "title_en": title_en,
            "text_zh": text_zh,
            "text_en": text_en,
            "source_signal": source_signal,
            "issued_by": issued_by,
            "issued_at": at,
        }
    )


def withdraw(warning: RiskWarning, by: str, reason: str, at: datetime) -> RiskWarning:
    """The warning withdrawn now by ``by``, saying why; withdrawn once only."""
    if warning.status is WarningStatus.WITHDRAWN:
        raise WarningError(f"warning {warning.warning_id} is already withdrawn")
    if not reason.strip():
        raise WarningError("field 'reason': say why the warning is withdrawn", "reason")
    return _build(
        {
            **warning.model_dump(),
            "status": WarningStatus.WITHDRAWN,
            "withdrawn_at": at,
            "withdrawn_by": by,
            "withdrawal_reason": reason.strip(),
        }
    )


def is_in_force(warning: RiskWarning, at: datetime) -> bool:
    """Issued, not withdrawn by ``at``, and ``at`` within its validity."""
    at = as_utc(at)
    withdrawn = warning.withdrawn_at is not None and warning.withdrawn_at <= at
    return not withdrawn and warning.valid_from <= at < warning.valid_to

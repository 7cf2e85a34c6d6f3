"""Control instructions (布控指令, Art. 12-13) and emergency instructions (Art. 17).

An instruction imposes measures on the goods items in its scope, for the categories it
addresses, from ``valid_from`` to ``valid_to``, with a reason written for the examining
officer. Its lifecycle is drafted → published → expired (derived from ``valid_to``) or
revoked. Every lifecycle function is pure: it returns the next version (``version`` + 1)
and never changes the one it was given, so every version can be kept.

- ``edit`` saves new content of a draft as its next version and keeps who edited it.
- ``publish`` needs a second person (four eyes): the publisher neither drafted nor edited
  the instruction.
- ``publish_emergency`` (Art. 17) takes effect at once with one publisher; an emergency
  instruction has an owner and lasts at most 30 days. It overrides the model for its
  scope (see ``disposal.disposition``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from disposal.catalogue import MeasureCatalogue, known_categories
from disposal.items import ItemAssessment, ItemColumns, utc_naive
from sources.contracts import (
    COUNTRY_PATTERN,
    HS_PREFIX_PATTERN,
    PARTY_ID_PATTERN,
    TRADE_MODE_PATTERN,
)

EMERGENCY_MAX_DAYS = 30  # Art. 17 emergency measures are short-lived; renew to extend
# A route is where the goods come from and where they enter: origin country (ISO 3166-1
# alpha-2) → port of entry code, written "BR->2200".
ROUTE_SEPARATOR = "->"
ROUTE_PATTERN = r"^[A-Z]{2}->[0-9]{4}$"
MAX_REASON_CHARS = 500

HsPrefix = Annotated[str, StringConstraints(pattern=HS_PREFIX_PATTERN)]
Country = Annotated[str, StringConstraints(pattern=COUNTRY_PATTERN)]
PartyId = Annotated[str, StringConstraints(pattern=PARTY_ID_PATTERN)]
Route = Annotated[str, StringConstraints(pattern=ROUTE_PATTERN)]
TradeMode = Annotated[str, StringConstraints(pattern=TRADE_MODE_PATTERN)]


class InstructionStatus(StrEnum):
    DRAFTED = "drafted"
    PUBLISHED = "published"
    EXPIRED = "expired"  # derived: a published instruction past its valid_to
    REVOKED = "revoked"


class InstructionError(ValueError):
    """A lifecycle step that is not allowed, or an invalid instruction (names the field)."""


class NotADraft(InstructionError):
    """A step only a draft allows (editing, publishing) asked of a published or revoked
    instruction: a conflict with its state, not an invalid field."""


class FourEyesViolation(InstructionError):
    """The publisher of an ordinary instruction drafted or edited it."""


class InstructionScope(BaseModel):
    """The goods items an instruction applies to: every given field must match (a list
    matches when any of its values does); an empty scope is refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    hs_prefixes: tuple[HsPrefix, ...] = Field((), description="HS code starts with.")
    origin_countries: tuple[Country, ...] = ()
    consignee_ids: tuple[PartyId, ...] = ()
    declarant_ids: tuple[PartyId, ...] = ()
    routes: tuple[Route, ...] = Field(
        (), description="Origin country -> port of entry, e.g. 'BR->2200'."
    )
    trade_modes: tuple[TradeMode, ...] = ()
    value_min_cny: float | None = Field(None, ge=0, description="Customs value at least.")
    value_max_cny: float | None = Field(None, ge=0, description="Customs value at most.")

    @model_validator(mode="after")
    def _bounded(self) -> InstructionScope:
        if not any(v not in ((), None) for v in self.model_dump().values()):
            raise ValueError("an instruction's scope needs at least one field")
        low, high = self.value_min_cny, self.value_max_cny
        if low is not None and high is not None and low > high:
            raise ValueError("value_min_cny is above value_max_cny")
        return self


class Instruction(BaseModel):
    """One version of a control instruction."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    instruction_id: str = Field(pattern=r"^[A-Za-z0-9-]{3,64}$")
    version: int = Field(ge=1)
    status: InstructionStatus
    emergency: bool = False
    scope: InstructionScope
    measures: tuple[str, ...] = Field(min_length=1, description="Measure codes imposed.")
    categories: tuple[str, ...] = Field(min_length=1, description="Risk categories addressed.")
    priority: int = Field(0, ge=0, description="Higher first when several instructions apply.")
    reason: str = Field(
        min_length=1,
        max_length=MAX_REASON_CHARS,
        description="For the examining officer: what to check, no sensitive detail.",
    )
    valid_from: datetime
    valid_to: datetime
    owner: str | None = Field(None, description="Who answers for it (required in emergency).")
    drafted_by: str = Field(min_length=1)
    drafted_at: datetime
    edited_by: tuple[str, ...] = Field(
        (), description="Who edited the draft after drafting it, each once, first edit first."
    )
    edited_at: datetime | None = Field(None, description="Last edit of the draft.")
    published_by: str | None = None
    published_at: datetime | None = None
    revoked_by: str | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = None

    @field_validator(
        "valid_from", "valid_to", "drafted_at", "edited_at", "published_at", "revoked_at"
    )
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return None if value is None else as_utc(value)

    @field_validator("categories")
    @classmethod
    def _known_categories(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return known_categories(value)

    @model_validator(mode="after")
    def _consistent(self) -> Instruction:
        problems = _problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def authors(self) -> frozenset[str]:
        """Everyone who wrote its content: the drafter and every editor (four eyes)."""
        return frozenset((self.drafted_by, *self.edited_by))


def _problems(i: Instruction) -> list[str]:
    problems = []
    if i.valid_to <= i.valid_from:
        problems.append("field 'valid_to' must be after valid_from")
    if i.emergency and not i.owner:
        problems.append("field 'owner': an emergency instruction needs an owner (Art. 17)")
    if i.emergency and i.valid_to - i.valid_from > timedelta(days=EMERGENCY_MAX_DAYS):
        problems.append(
            f"field 'valid_to': an emergency instruction lasts at most {EMERGENCY_MAX_DAYS} days"
        )
    if len(set(i.measures)) != len(i.measures):
        problems.append("field 'measures': a measure is listed twice")
    if i.status is InstructionStatus.EXPIRED:
        problems.append("field 'status': 'expired' is derived from valid_to, not stored")
    if i.status is InstructionStatus.PUBLISHED and not (i.published_by and i.published_at):
        problems.append("field 'published_by': a published instruction names its publisher")
    if i.status is InstructionStatus.REVOKED and not (
        i.revoked_by and i.revoked_at and i.revoke_reason
    ):
        problems.append("field 'revoke_reason': a revocation names who, when and why")
    return problems


def as_utc(at: datetime) -> datetime:
    """An aware UTC datetime (a naive one is taken to be UTC, as in the lake)."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def new_instruction_id() -> str:
    return f"INS-{uuid.uuid4().hex[:12].upper()}"


def _build(data: dict[str, Any]) -> Instruction:
    """Validate a version, turning validation errors into one ``InstructionError`` that
    names every field."""
    try:
        return Instruction.model_validate(data)
    except ValidationError as error:
        lines = []
        for e in error.errors():
            field = ".".join(str(p) for p in e["loc"])
            message = e["msg"].removeprefix("Value error, ")
            lines.append(f"field {field!r}: {message}" if field else message)
        raise InstructionError("; ".join(lines)) from None


def _next(instruction: Instruction, **changes: Any) -> Instruction:
    return _build({**instruction.model_dump(), **changes, "version": instruction.version + 1})


def draft(
    *,
    instruction_id: str,
    scope: InstructionScope | dict,
    measures: tuple[str, ...] | list[str],
    categories: tuple[str, ...] | list[str],
    reason: str,
    valid_from: datetime,
    valid_to: datetime,
    drafted_by: str,
    at: datetime,
    catalogue: MeasureCatalogue,
    priority: int = 0,
    emergency: bool = False,
    owner: str | None = None,
) -> Instruction:
    """Version 1 of a new instruction, not yet in force. Measures must be in the catalogue."""
    _require_catalogued(measures, catalogue)
    return _build(
        {
            "instruction_id": instruction_id,
            "version": 1,
            "status": InstructionStatus.DRAFTED,
            "emergency": emergency,
            "scope": scope,
            "measures": tuple(measures),
            "categories": tuple(categories),
            "priority": priority,
            "reason": reason,
            "valid_from": valid_from,
            "valid_to": valid_to,
            "owner": owner,
            "drafted_by": drafted_by,
            "drafted_at": at,
        }
    )


def edit(
    instruction: Instruction,
    *,
    scope: InstructionScope | dict,
    measures: tuple[str, ...] | list[str],
    categories: tuple[str, ...] | list[str],
    reason: str,
    valid_from: datetime,
    valid_to: datetime,
    edited_by: str,
    at: datetime,
    catalogue: MeasureCatalogue,
    priority: int = 0,
    emergency: bool = False,
    owner: str | None = None,
) -> Instruction:
    """The next version of a draft with this content (all of it: what is not given takes
    its default, as in ``draft``). The editor joins ``edited_by``: whoever drafted or
    edited an instruction cannot also be its four-eyes publisher."""
    _require_draft(instruction, "edited")
    _require_catalogued(measures, catalogue)
    editors = instruction.edited_by
    if edited_by not in editors:
        editors = (*editors, edited_by)
    return _next(
        instruction,
        scope=scope,
        measures=tuple(measures),
        categories=tuple(categories),
        priority=priority,
        reason=reason,
        valid_from=valid_from,
        valid_to=valid_to,
        emergency=emergency,
        owner=owner,
        edited_by=editors,
        edited_at=at,
    )


def _require_catalogued(measures: tuple[str, ...] | list[str], catalogue: MeasureCatalogue) -> None:
    unknown = [code for code in measures if code not in catalogue.measures]
    if unknown:
        raise InstructionError(
            f"field 'measures': {unknown} not in catalogue {catalogue.version} "
            f"({', '.join(catalogue.measures)})"
        )


def publish(instruction: Instruction, publisher: str, at: datetime) -> Instruction:
    """Publish a draft; four eyes: the publisher neither drafted nor edited it."""
    _require_draft(instruction, "published")
    if publisher in instruction.authors:
        wrote = "drafted" if publisher == instruction.drafted_by else "edited"
        raise FourEyesViolation(
            f"instruction {instruction.instruction_id}: {publisher!r} {wrote} it and cannot "
            "publish it too; a second person with the publisher role must"
        )
    if as_utc(at) >= instruction.valid_to:
        raise InstructionError(
            f"field 'valid_to': instruction {instruction.instruction_id} ends before it is "
            "published"
        )
    return _next(
        instruction, status=InstructionStatus.PUBLISHED, published_by=publisher, published_at=at
    )


def publish_emergency(instruction: Instruction, publisher: str, at: datetime) -> Instruction:
    """Art. 17: an emergency instruction takes effect at once (``valid_from`` becomes
    ``at``) with one publisher, who may be its drafter; it keeps its owner and its
    ``valid_to``, which must fall within 30 days of ``at``."""
    _require_draft(instruction, "published")
    if not instruction.emergency:
        raise InstructionError(
            f"field 'emergency': instruction {instruction.instruction_id} is not an emergency "
            "instruction; publish it with four eyes"
        )
    return _next(
        instruction,
        status=InstructionStatus.PUBLISHED,
        valid_from=at,
        published_by=publisher,
        published_at=at,
    )


def revoke(instruction: Instruction, revoker: str, reason: str, at: datetime) -> Instruction:
    """Withdraw a draft or end a published instruction now; the reason is kept."""
    if instruction.status is InstructionStatus.REVOKED:
        raise InstructionError(f"instruction {instruction.instruction_id} is already revoked")
    if not reason.strip():
        raise InstructionError("field 'revoke_reason': say why the instruction is revoked")
    return _next(
        instruction,
        status=InstructionStatus.REVOKED,
        revoked_by=revoker,
        revoked_at=at,
        revoke_reason=reason,
    )


def _require_draft(instruction: Instruction, to: str) -> None:
    if instruction.status is not InstructionStatus.DRAFTED:
        raise NotADraft(
            f"instruction {instruction.instruction_id} is {instruction.status}; only a draft "
            f"can be {to}"
        )


def status_at(instruction: Instruction, at: datetime) -> InstructionStatus:
    """The status at a moment, as the version's history says: revoked from its revocation,
    a draft until its publication, expired from ``valid_to``."""
    at = as_utc(at)
    if instruction.revoked_at is not None and at >= instruction.revoked_at:
        return InstructionStatus.REVOKED
    if instruction.published_at is None or at < instruction.published_at:
        return InstructionStatus.DRAFTED
    if at >= instruction.valid_to:
        return InstructionStatus.EXPIRED
    return InstructionStatus.PUBLISHED


def in_force_mask(instruction: Instruction, at: np.ndarray) -> np.ndarray:
    """For moments ``at`` (numpy UTC times): published by then, within validity, not yet
    revoked. A revoked version was in force between its publication and revocation."""
    if instruction.published_at is None:
        return np.zeros(len(at), dtype=bool)
    start = max(instruction.valid_from, instruction.published_at)
    end = instruction.valid_to
    if instruction.revoked_at is not None:
        end = min(end, instruction.revoked_at)
    return (at >= utc_naive(start)) & (at < utc_naive(end))


def is_in_force(instruction: Instruction, at: datetime) -> bool:
    return bool(in_force_mask(instruction, np.array([utc_naive(at)]))[0])


def scope_mask(scope: InstructionScope, items: ItemColumns) -> np.ndarray:
    """Which items the scope covers: every given field matches."""
    mask = np.ones(len(items), dtype=bool)
    if scope.hs_prefixes:
        prefixes = tuple(scope.hs_prefixes)
        mask &= np.array([code.startswith(prefixes) for code in items.scores.hs_code], bool)
    for values, column in (
        (scope.origin_countries, items.origin_country),
        (scope.consignee_ids, items.consignee_id),
        (scope.declarant_ids, items.declarant_id),
        (scope.trade_modes, items.trade_mode),
    ):
        if values:
            mask &= np.isin(column, list(values))
    if scope.routes:
        routes = items.origin_country + ROUTE_SEPARATOR + items.port_code
        mask &= np.isin(routes, list(scope.routes))
    if scope.value_min_cny is not None:
        mask &= items.value_cny >= scope.value_min_cny
    if scope.value_max_cny is not None:
        mask &= items.value_cny <= scope.value_max_cny
    return mask


def matches(instruction: Instruction, item: ItemAssessment, at: datetime) -> bool:
    """Whether the instruction is in force at ``at`` and its scope covers the item."""
    items = ItemColumns.from_items([item], decision_key="", at=at)
    return bool((in_force_mask(instruction, items.at) & scope_mask(instruction.scope, items))[0])

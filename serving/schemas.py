"""Request and response models of the scoring API.

The declaration model is generated from ``sources.contracts.DECLARATIONS``, so the API
accepts exactly what the data contract describes (patterns, allowed values, ranges)
and a request that breaks it gets a 422 naming the field and the reason. The response
is the scoring core's own :class:`models.decision.Decision`, answered as it is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator, model_validator

from disposal.decisions import DeclarationDecision, ItemDecision
from disposal.disposition import AppliedMeasure
from disposal.instructions import Instruction, InstructionScope, status_at
from disposal.test_run import UntilBasis
from disposal.warnings import MAX_TEXT_CHARS, MAX_TITLE_CHARS, WarningAudience
from ledger.assessments import CONCLUSIONS, MAX_LEVEL, MIN_LEVEL
from ledger.evidence import (
    MAX_DOCUMENT_REFERENCE_CHARS,
    SHA256_PATTERN,
    NewEvidence,
    RecordedEvidence,
)
from reassessment.signals import RouteSignals
from serving.decisions import redecision_link
from sources.contracts import (
    DECLARATIONS,
    INSPECTION_OUTCOMES,
    RISK_CATEGORIES,
    TIME_RANGE_END,
    TIME_RANGE_START,
    Column,
    time_range_text,
)

MAX_BATCH = 1000

# Fields a clearance system may omit, with the value assumed.
_DEFAULTS: dict[str, Any] = {
    "item_no": 1,
    "licence_codes": "",
    "provenance_channel": "single_window",
}
_TYPES = {"string": str, "int": int, "float": float, "bool": bool, "datetime": datetime}

# The time range of every contract (why it exists: sources.contracts); the data lake
# validation checks the same range.
_TIME_RANGE_TEXT = time_range_text(TIME_RANGE_START, TIME_RANGE_END)
DECLARED_AT_RULE = f"Naive times are UTC, aware ones are converted; must lie in {_TIME_RANGE_TEXT}."


def _field(column: Column):
    annotation: Any = _TYPES[column.dtype]
    if column.allowed:
        annotation = Literal[column.allowed]  # type: ignore[valid-type]
    constraints: dict[str, Any] = {"description": column.description}
    if column.name == "declared_at":
        constraints["description"] += " " + DECLARED_AT_RULE
    if column.pattern and not column.allowed:
        constraints["pattern"] = column.pattern
    if column.min_value is not None:
        constraints["ge"] = column.min_value
    if column.max_value is not None:
        constraints["le"] = column.max_value
    if column.dtype == "float":
        constraints["allow_inf_nan"] = False
    default = _DEFAULTS.get(column.name, ...)
    if column.nullable:
        annotation = annotation | None
        default = _DEFAULTS.get(column.name)
    return annotation, Field(default, **constraints)


class _DeclarationBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("declared_at", check_fields=False)
    @classmethod
    def _declared_at_in_range(cls, value: datetime) -> datetime:
        # Compared as aware datetimes: converting 0001-01-01T00:00+08:00 to UTC overflows.
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        if not TIME_RANGE_START <= aware < TIME_RANGE_END:
            raise ValueError(f"declared_at must lie in {_TIME_RANGE_TEXT}")
        return value

    @model_validator(mode="after")
    def _weights_consistent(self):
        if self.gross_weight_kg < self.net_weight_kg:  # type: ignore[attr-defined]
            raise ValueError("gross_weight_kg must be at least net_weight_kg")
        return self


Declaration = create_model(
    "Declaration",
    __base__=_DeclarationBase,
    __doc__="One goods item of an import declaration (the declarations data contract).",
    **{c.name: _field(c) for c in DECLARATIONS.columns},
)


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    declaration: Declaration  # type: ignore[valid-type]


class BatchScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    declarations: list[Declaration] = Field(  # type: ignore[valid-type]
        min_length=1,
        max_length=MAX_BATCH,
        description=f"1 to {MAX_BATCH} goods declarations, each goods item "
        "(declaration_id, item_no) once.",
    )

    @field_validator("declarations")
    @classmethod
    def _each_item_once(cls, declarations: list) -> list:
        # (declaration_id, item_no) is the contract's key: a repeated item is a caller's
        # error, and its two decisions could not be told apart.
        first: dict[tuple[str, int], int] = {}
        for index, d in enumerate(declarations):
            key = (d.declaration_id, d.item_no)
            if key in first:
                raise ValueError(
                    f"declarations {first[key]} and {index} are the same goods item "
                    f"(declaration_id {key[0]}, item_no {key[1]})"
                )
            first[key] = index
        return declarations


class DeclarationScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[Declaration] = Field(  # type: ignore[valid-type]
        min_length=1,
        max_length=999,
        description="Every goods item of one declaration (same declaration_id, distinct item_no).",
    )

    @field_validator("items")
    @classmethod
    def _one_declaration(cls, items: list) -> list:
        ids = {d.declaration_id for d in items}
        if len(ids) > 1:
            raise ValueError(
                f"items of one declaration share its declaration_id, got {sorted(ids)}"
            )
        numbers = [d.item_no for d in items]
        if len(set(numbers)) != len(numbers):
            raise ValueError(f"item_no must be distinct within a declaration, got {numbers}")
        return items


class BatchDecision(BaseModel):
    model_version: str | None
    decisions: list[DeclarationDecision] = Field(description="One decision per declaration.")


class ItemScoreResponse(ItemDecision):
    """The decision on a one-item declaration, flattened: the item's risks and measures
    with the decision's id, versions and disposition."""

    decision_id: str
    decided_at: datetime
    capacity_thresholds_version: str
    policy_version: str
    catalogue_version: str
    disposition: AppliedMeasure
    blocks_release: bool


_DECLARATION_LEVEL = tuple(
    name for name in ItemScoreResponse.model_fields if name not in ItemDecision.model_fields
)


def item_score_json(decision: dict) -> dict:
    """A one-item declaration's decision (JSON form) as ``ItemScoreResponse``: the item's
    fields with the decision's id, versions and disposition."""
    return {**decision["items"][0], **{name: decision[name] for name in _DECLARATION_LEVEL}}


class CategoryFinding(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    found: bool = Field(description="The inspection found a violation in this category.")
    description: str = Field(
        "", max_length=500, description="What was found, for the record (no personal data)."
    )


_OUTCOME_COLUMNS = {c.name: c for c in INSPECTION_OUTCOMES.columns}


class _OutcomeBase(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("inspected_at", "outcome_known_at", check_fields=False)
    @classmethod
    def _in_time_range(cls, value: datetime) -> datetime:
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        if not TIME_RANGE_START <= aware < TIME_RANGE_END:
            raise ValueError(f"must lie in {_TIME_RANGE_TEXT}")
        return aware

    @model_validator(mode="after")
    def _known_after_inspection(self):
        # the inspection outcomes contract's own rule
        if self.outcome_known_at < self.inspected_at:  # type: ignore[attr-defined]
            raise ValueError("outcome_known_at must not be before inspected_at")
        return self


OutcomeRequest = create_model(
    "OutcomeRequest",
    __base__=_OutcomeBase,
    __doc__="What an inspection of one goods item found (Art. 18: the label the models learn "
    "from). Categories not listed were inspected and found clear.",
    item_no=(int, Field(1, ge=1, le=999, description="Goods item of the decision inspected.")),
    inspected_at=_field(_OUTCOME_COLUMNS["inspected_at"]),
    outcome_known_at=_field(_OUTCOME_COLUMNS["outcome_known_at"]),
    findings=(
        dict[Literal[RISK_CATEGORIES], CategoryFinding],  # type: ignore[valid-type]
        Field(default_factory=dict, description="Per Art. 2 category inspected: the finding."),
    ),
    duty_recovered_cny=(
        float,
        Field(
            0.0,
            ge=0.0,
            allow_inf_nan=False,
            description=_OUTCOME_COLUMNS["duty_recovered_cny"].description
            + " Assessed after inspection beyond what was declared (CNY).",
        ),
    ),
    seized=(bool, Field(False, description="Goods were seized.")),
)


class RecordedDecisionResponse(BaseModel):
    """A decision as the ledger holds it, with its link in the tamper-evident chain."""

    decision_id: str
    sequence: int = Field(description="Position in the ledger's hash chain.")
    recorded_at: datetime
    caller: str
    idempotency_key: str | None
    record_hash: str
    previous_hash: str
    decision: DeclarationDecision
    inputs: list[dict[str, Any]] = Field(description="The goods items as declared.")
    supersedes: str | None = Field(
        None,
        description="Art. 15: the decision this one replaces, the declaration having been "
        "decided again on accepted evidence (recorded in this decision's hashed payload).",
    )
    evidence_id: str | None = Field(
        None, description="The accepted evidence this decision was taken again on."
    )
    superseded_by: str | None = Field(
        None,
        description="The decision that replaced this one on accepted evidence: act on that "
        "one. Both stay in the ledger.",
    )

    @classmethod
    def of(cls, recorded, superseded_by: str | None = None) -> RecordedDecisionResponse:
        link = redecision_link(recorded)
        return cls(
            decision_id=recorded.decision_id,
            sequence=recorded.sequence,
            recorded_at=recorded.created_at,
            caller=recorded.caller,
            idempotency_key=recorded.idempotency_key,
            record_hash=recorded.record_hash,
            previous_hash=recorded.previous_hash,
            decision=recorded.payload["decision"],
            inputs=recorded.payload["inputs"],
            supersedes=link.get("supersedes"),
            evidence_id=link.get("evidence_id"),
            superseded_by=superseded_by,
        )


class InstructionDraft(BaseModel):
    """A control instruction as an analyst drafts it (布控指令)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    scope: InstructionScope
    measures: list[str] = Field(min_length=1, description="Measure codes of the catalogue.")
    categories: list[str] = Field(min_length=1, description="Art. 2 risk categories addressed.")
    priority: int = Field(0, ge=0, description="Higher first when several apply.")
    reason: str = Field(min_length=1, description="For the examining officer; no sensitive detail.")
    valid_from: datetime | None = Field(None, description="Default: now.")
    valid_to: datetime
    owner: str | None = Field(None, description="Who answers for it (emergency: required).")
    emergency: bool = Field(False, description="Art. 17 (or use /v1/instructions/emergency).")


class Revocation(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(min_length=1, description="Why the instruction is revoked.")


class InstructionResponse(BaseModel):
    instruction_id: str
    version: int
    status: str = Field(description="Status of this version as stored.")
    status_now: str = Field(description="drafted, published, expired or revoked, now.")
    instruction: Instruction
    hits: dict[str, Any] | None = Field(
        None,
        description="Goods items it applied to, of them with an outcome, and with a finding "
        "(hit rate = findings / outcomes).",
    )

    @classmethod
    def of(
        cls, instruction: Instruction, hits=None, now: datetime | None = None
    ) -> InstructionResponse:
        return cls(
            instruction_id=instruction.instruction_id,
            version=instruction.version,
            status=str(instruction.status),
            status_now=str(status_at(instruction, now or datetime.now(UTC))),
            instruction=instruction,
            hits=None if hits is None else hits.to_dict(),
        )


class MonitoringSignals(RouteSignals):
    """Route signals up to now, or up to the lake's last declaration when it ends earlier."""

    requested_until: datetime = Field(description="When the signals were asked for.")
    until_basis: UntilBasis = Field(
        description="'requested': the windows end now; 'lake_end': at the lake's latest "
        "declared_at, because the lake ends earlier (historical demo data)."
    )


def _listed_once(values: list) -> list:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"listed more than once: {repeated}")
    return values


class EvidenceSubmission(BaseModel):
    """Evidence that a risk the decision assessed is absent or low (Art. 15)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    item_no: int | None = Field(
        None, ge=1, le=999, description="The goods item it concerns; omit: the whole declaration."
    )
    categories: list[Literal[RISK_CATEGORIES]] = Field(  # type: ignore[valid-type]
        min_length=1, description="The Art. 2 risk categories it rebuts."
    )
    document_reference: str = Field(
        min_length=1,
        max_length=MAX_DOCUMENT_REFERENCE_CHARS,
        description="Which document (certificate, lab report number…); no personal data.",
    )
    document_sha256: str = Field(
        pattern=SHA256_PATTERN,
        description="SHA-256 of the document's bytes, lowercase hex: the document shown later "
        "can be checked against the one reviewed.",
    )
    description: str = Field(min_length=1, description="What the evidence shows.")

    @field_validator("categories")
    @classmethod
    def _once(cls, value: list) -> list:
        return _listed_once(value)

    def as_new(self) -> NewEvidence:
        """The evidence to store (its own checks raise ``ValueError``)."""
        return NewEvidence(
            item_no=self.item_no,
            categories=tuple(self.categories),
            document_reference=self.document_reference,
            document_sha256=self.document_sha256,
            description=self.description,
        )


class EvidenceReview(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    accept: bool = Field(
        description="true: the evidence convinces, the declaration is decided again with the "
        "rebutted categories set aside; false: rejected, recorded only."
    )
    reason: str = Field(min_length=1, description="Why, for the record.")


class ReviewResponse(BaseModel):
    evidence: RecordedEvidence
    decision: RecordedDecisionResponse | None = Field(
        None, description="When accepted: the decision taken again (``supersedes`` the old one)."
    )


class AssessmentRequest(BaseModel):
    """An expert's assessment of a decision's risk (Art. 11)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    item_no: int | None = Field(None, ge=1, le=999, description="Omit: the whole declaration.")
    category: Literal[RISK_CATEGORIES] | None = Field(  # type: ignore[valid-type]
        None, description="Omit: every category."
    )
    conclusion: Literal[CONCLUSIONS]  # type: ignore[valid-type]
    level: int = Field(ge=MIN_LEVEL, le=MAX_LEVEL, description="The level the expert would give.")
    comment: str = Field(min_length=1, description="What the assessment rests on.")


class WarningRequest(BaseModel):
    """A risk warning to issue (Art. 14)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    audience: WarningAudience
    scope: InstructionScope = Field(description="The goods concerned (as an instruction's scope).")
    category: str = Field(description="The Art. 2 risk category it warns of.")
    valid_from: datetime | None = Field(None, description="Default: now.")
    valid_to: datetime
    title_zh: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    title_en: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    text_zh: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    text_en: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    source_signal: dict[str, Any] | None = Field(
        None, description="The monitoring signal it was proposed from, as that signal reads."
    )


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: str = Field(min_length=1, description="Why the warning is withdrawn.")


class WarningResponse(BaseModel):
    warning_id: str
    audience: WarningAudience
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
    status: str = Field(description="issued or withdrawn.")
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawal_reason: str | None
    in_force_now: bool = Field(description="Issued, not withdrawn, and now within validity.")


FEED_VERSION = "https://jsonfeed.org/version/1.1"


class FeedWarning(BaseModel):
    """The warning in both languages, for systems that act on it (the ``_customs``
    extension of a JSON Feed item)."""

    audience: WarningAudience
    category: str
    scope: dict[str, Any]
    valid_from: datetime
    valid_to: datetime
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str


class FeedItem(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str = Field(description="The warning id.")
    title: str
    content_text: str
    date_published: datetime = Field(description="When it was issued.")
    date_modified: datetime
    language: str
    customs: FeedWarning = Field(alias="_customs")


class WarningFeed(BaseModel):
    """The risk warnings in force now, as a JSON Feed 1.1 document."""

    version: Literal[FEED_VERSION] = FEED_VERSION  # type: ignore[valid-type]
    title: str
    home_page_url: str | None = None
    feed_url: str | None = None
    description: str
    language: str
    items: list[FeedItem]

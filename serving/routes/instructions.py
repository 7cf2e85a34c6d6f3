"""Control instructions (布控指令): draft, edit, try, publish with four eyes, revoke,
emergencies.

The lifecycle rules are the domain's (``disposal.instructions``); every version is kept in
the ledger with an audit record of the change. A draft is edited with ``PUT`` and
``If-Match: <version>`` (the version the edit is based on: another edit in between is
refused with 412, not overwritten). Publication by anyone who drafted or edited the
instruction is refused (403): a second person with the publisher role publishes. An
emergency instruction (Art. 17) takes effect at once with one publisher, for at most 30
days, with an owner. A test run shows what a scope would have hit in the last weeks of
the lake's history (``disposal.test_run``), before anyone publishes it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Query, Response

from disposal import instructions as lifecycle
from disposal.instructions import FourEyesViolation, Instruction, InstructionError, NotADraft
from disposal.test_run import TEST_RUN_WEEKS, ScopeTestRun
from ledger.actors import Principal
from ledger.errors import StaleVersion
from ledger.reports import instruction_hits
from serving.dependencies import LedgerAccess, Published, RecentHistory, ServedModel
from serving.errors import InvalidField
from serving.schemas import InstructionDraft, InstructionResponse, Revocation
from serving.security import Drafter, Publisher, Staff

router = APIRouter(prefix="/v1/instructions", tags=["instructions"])
_FIELD = re.compile(r"field '([^']+)'")
_ENTITY_TAG = re.compile(r'^(?:W/)?"?([0-9]+)"?$')
MAX_TEST_RUN_WEEKS = 26
Weeks = Annotated[
    int, Query(ge=1, le=MAX_TEST_RUN_WEEKS, description="Weeks of history before now.")
]


def _invalid(error: InstructionError) -> InvalidField:
    named = _FIELD.search(str(error))
    return InvalidField(named.group(1) if named else "instruction", str(error))


def current_instruction(ledger, instruction_id: str) -> Instruction:
    stored = ledger.instructions.current(instruction_id)
    if stored is None:
        raise HTTPException(404, f"no instruction {instruction_id}")
    return Instruction.model_validate(stored.payload)


def _save(
    ledger,
    instruction: Instruction,
    caller: Principal,
    action: str,
    based_on: int | None,
    stale_status: int = 409,
):
    try:
        ledger.instructions.save_version(
            instruction.instruction_id,
            instruction.model_dump(mode="json"),
            str(instruction.status),
            caller,
            action=action,
            expected_version=based_on,
            emergency=instruction.emergency,
            valid_from=instruction.valid_from,
            valid_to=instruction.valid_to,
        )
    except StaleVersion as error:
        raise HTTPException(stale_status, str(error)) from None


def _content(body: InstructionDraft, loaded, now: datetime) -> dict[str, Any]:
    """What a draft or an edit says (all of it: what is not given takes its default), as
    the lifecycle functions take it; who and when are theirs to add."""
    return {
        "scope": body.scope,
        "measures": body.measures,
        "categories": body.categories,
        "reason": body.reason,
        "valid_from": body.valid_from or now,
        "valid_to": body.valid_to,
        "catalogue": loaded.rules.catalogue,
        "priority": body.priority,
        "owner": body.owner,
    }


def _drafted(body: InstructionDraft, caller: Principal, loaded, emergency: bool) -> Instruction:
    now = datetime.now(UTC)
    try:
        return lifecycle.draft(
            instruction_id=lifecycle.new_instruction_id(),
            **_content(body, loaded, now),
            drafted_by=caller.name,
            at=now,
            emergency=emergency or body.emergency,
        )
    except InstructionError as error:
        raise _invalid(error) from None


@router.post("", status_code=201, response_model=InstructionResponse)
def draft_instruction(
    body: InstructionDraft, ledger: LedgerAccess, loaded: ServedModel, caller: Drafter
) -> InstructionResponse:
    """Draft an instruction; it applies only once a second person publishes it."""
    instruction = _drafted(body, caller, loaded, emergency=False)
    _save(ledger, instruction, caller, "instruction.draft", None)
    return InstructionResponse.of(instruction)


@router.post("/test-run", response_model=ScopeTestRun)
def test_run_draft(
    body: InstructionDraft,
    loaded: ServedModel,
    history: RecentHistory,
    caller: Drafter,
    weeks: Weeks = TEST_RUN_WEEKS,
) -> ScopeTestRun:
    """What this draft's scope would have hit in the last weeks (nothing is saved): goods
    items and declarations, their share, and the finding rate in its categories among
    those inspected, beside the rate over every inspected item."""
    drafted = _drafted(body, caller, loaded, emergency=False)  # refused as a draft would be
    return history.test_run(drafted.scope, datetime.now(UTC), weeks, drafted.categories)


@router.get("/{instruction_id}/test-run", response_model=ScopeTestRun)
def test_run_instruction(
    instruction_id: str,
    ledger: LedgerAccess,
    history: RecentHistory,
    caller: Staff,
    weeks: Weeks = TEST_RUN_WEEKS,
) -> ScopeTestRun:
    """A test run of the instruction's latest version, whatever its status."""
    return history.test_run(current_instruction(ledger, instruction_id), datetime.now(UTC), weeks)


@router.put("/{instruction_id}", response_model=InstructionResponse)
def edit_instruction(
    instruction_id: str,
    body: InstructionDraft,
    response: Response,
    ledger: LedgerAccess,
    loaded: ServedModel,
    caller: Drafter,
    if_match: Annotated[
        str | None, Header(description='The version the edit is based on, e.g. "2".')
    ] = None,
) -> InstructionResponse:
    """Save new content of a draft as its next version (all of it, as when drafting). A
    published or revoked instruction → 409; If-Match missing → 428, not the current
    version → 412. The editor may not publish it afterwards (four eyes)."""
    based_on = _based_on(if_match)
    current = current_instruction(ledger, instruction_id)
    if current.version != based_on:
        raise HTTPException(
            412, f"instruction {instruction_id} is at version {current.version}, not {based_on}"
        )
    now = datetime.now(UTC)
    try:
        edited = lifecycle.edit(
            current,
            **_content(body, loaded, now),
            edited_by=caller.name,
            at=now,
            emergency=body.emergency,
        )
    except NotADraft as error:
        raise HTTPException(409, str(error)) from None
    except InstructionError as error:
        raise _invalid(error) from None
    _save(ledger, edited, caller, "instruction.edit", current.version, stale_status=412)
    response.headers["ETag"] = _entity_tag(edited.version)
    return InstructionResponse.of(edited)


def _based_on(if_match: str | None) -> int:
    if if_match is None:
        raise HTTPException(
            428, 'an edit names the version it is based on: send If-Match: "<version>"'
        )
    tag = _ENTITY_TAG.match(if_match.strip())
    if tag is None:
        raise InvalidField("If-Match", 'a version number, e.g. "2"', if_match)
    return int(tag.group(1))


def _entity_tag(version: int) -> str:
    return f'"{version}"'


@router.post("/emergency", status_code=201, response_model=InstructionResponse)
def emergency_instruction(
    body: InstructionDraft,
    ledger: LedgerAccess,
    loaded: ServedModel,
    published: Published,
    caller: Publisher,
) -> InstructionResponse:
    """Art. 17: an emergency instruction, in force at once (one publisher, ≤ 30 days,
    an owner); it overrides the model for its scope."""
    drafted = _drafted(body, caller, loaded, emergency=True)
    try:
        instruction = lifecycle.publish_emergency(drafted, caller.name, datetime.now(UTC))
    except InstructionError as error:
        raise _invalid(error) from None
    _save(ledger, drafted, caller, "instruction.draft", None)
    _save(ledger, instruction, caller, "instruction.emergency_publish", drafted.version)
    published.invalidate()
    return InstructionResponse.of(instruction)


@router.post("/{instruction_id}/publish", response_model=InstructionResponse)
def publish_instruction(
    instruction_id: str, ledger: LedgerAccess, published: Published, caller: Publisher
) -> InstructionResponse:
    """Publish a draft (four eyes: not by anyone who drafted or edited it)."""
    current = current_instruction(ledger, instruction_id)
    now = datetime.now(UTC)
    try:
        if current.emergency:
            instruction = lifecycle.publish_emergency(current, caller.name, now)
        else:
            instruction = lifecycle.publish(current, caller.name, now)
    except FourEyesViolation as error:
        raise HTTPException(403, str(error)) from None
    except InstructionError as error:
        raise HTTPException(409, str(error)) from None
    _save(ledger, instruction, caller, "instruction.publish", current.version)
    published.invalidate()
    return InstructionResponse.of(instruction)


@router.post("/{instruction_id}/revoke", response_model=InstructionResponse)
def revoke_instruction(
    instruction_id: str,
    body: Revocation,
    ledger: LedgerAccess,
    published: Published,
    caller: Publisher,
) -> InstructionResponse:
    """Withdraw a draft or end a published instruction now, saying why."""
    current = current_instruction(ledger, instruction_id)
    try:
        instruction = lifecycle.revoke(current, caller.name, body.reason, datetime.now(UTC))
    except InstructionError as error:
        raise HTTPException(409, str(error)) from None
    _save(ledger, instruction, caller, "instruction.revoke", current.version)
    published.invalidate()
    return InstructionResponse.of(instruction)


@router.get("", response_model=list[InstructionResponse])
def list_instructions(
    ledger: LedgerAccess, caller: Staff, status: str | None = None
) -> list[InstructionResponse]:
    """Every instruction's latest version, with its status now and how often it hit
    (Art. 18: goods items it applied to, their outcomes and findings)."""
    hits = instruction_hits(ledger.engine)
    now = datetime.now(UTC)
    listed = []
    for stored in ledger.instructions.list():
        instruction = Instruction.model_validate(stored.payload)
        response = InstructionResponse.of(instruction, hits.get(instruction.instruction_id), now)
        if status is None or response.status_now == status:
            listed.append(response)
    return listed


@router.get("/{instruction_id}", response_model=list[InstructionResponse])
def instruction_history(
    instruction_id: str, response: Response, ledger: LedgerAccess, caller: Staff
) -> list[InstructionResponse]:
    """Every version of one instruction, oldest first; ``ETag``: the latest version (what
    an edit sends back as If-Match)."""
    history = ledger.instructions.history(instruction_id)
    if not history:
        raise HTTPException(404, f"no instruction {instruction_id}")
    response.headers["ETag"] = _entity_tag(history[-1].version)
    return [InstructionResponse.of(Instruction.model_validate(v.payload)) for v in history]

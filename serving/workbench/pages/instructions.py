"""Control instructions (布控指令) in the workbench: list, draft, publish (a second
publisher), revoke, emergency publication. Each action goes through the same functions as
the API (``serving.routes.instructions``), so the lifecycle rules and the audit are one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from disposal.instructions import Instruction, status_at
from disposal.test_run import TEST_RUN_WEEKS, ScopeTestRun
from ledger.reports import instruction_hits
from serving.dependencies import LedgerAccess, Published, ServedModel
from serving.history import HistoryUnavailable
from serving.routes import instructions as api
from serving.schemas import InstructionDraft, Revocation
from serving.workbench.auth import AnyReviewer, Drafter, Publisher, checked_form
from serving.workbench.forms import (
    SCOPE_LISTS,
    form_text,
    refusals,
    scope_of,
)
from serving.workbench.templating import render, speaker_of
from sources.contracts import RISK_CATEGORIES

router = APIRouter()


def _fields(form) -> dict[str, Any]:
    """The submitted form as the template redisplays it (checkbox groups as lists)."""
    return {
        **{k: v for k, v in form.items() if k not in ("measures", "categories")},
        "measures": form.getlist("measures"),
        "categories": form.getlist("categories"),
    }


def draft_body(form) -> dict[str, Any]:
    """The form as an ``InstructionDraft`` body (lists comma-separated; times in UTC)."""
    body = {
        "scope": scope_of(form),
        "measures": form.getlist("measures"),
        "categories": form.getlist("categories"),
        "priority": form_text(form, "priority") or 0,
        "reason": form_text(form, "reason"),
        "valid_from": form_text(form, "valid_from"),
        "valid_to": form_text(form, "valid_to"),
        "owner": form_text(form, "owner"),
    }
    return {k: v for k, v in body.items() if v is not None}


def _form_page(request, session, loaded, form, errors, status_code=200, **extra) -> HTMLResponse:
    return render(
        request,
        "instruction_form.html",
        session,
        status_code,
        nav="instructions",
        form=form,
        errors=errors,
        measures=list(loaded.rules.catalogue.measures.values()),
        categories=RISK_CATEGORIES,
        **{"test_run": None, "editing": None, **extra},
    )


def _form_again(request, session, loaded, form, body, errors, editing=None) -> HTMLResponse:
    """The form as submitted, with why it was refused (422), or with the test run of its
    scope (nothing saved)."""
    test_run = None if errors else _test_run(request, body)
    status_code = 422 if errors else 200
    return _form_page(
        request,
        session,
        loaded,
        _fields(form),
        errors,
        status_code,
        test_run=test_run,
        editing=editing,
    )


@router.get("/instructions", response_class=HTMLResponse)
def instructions_page(request: Request, ledger: LedgerAccess, session: AnyReviewer):
    hits = instruction_hits(ledger.engine)
    now = datetime.now(UTC)
    listed = []
    for stored in ledger.instructions.list():
        instruction = Instruction.model_validate(stored.payload)
        listed.append(
            (instruction, str(status_at(instruction, now)), hits.get(instruction.instruction_id))
        )
    listed.sort(key=lambda row: row[0].drafted_at, reverse=True)
    return render(request, "instructions.html", session, nav="instructions", listed=listed)


@router.get("/instructions/new", response_class=HTMLResponse)
def new_instruction_page(request: Request, loaded: ServedModel, session: Drafter):
    return _form_page(request, session, loaded, {}, [])


@router.post("/instructions/new", response_model=None)
async def submit_instruction(
    request: Request,
    ledger: LedgerAccess,
    loaded: ServedModel,
    published: Published,
    session: Drafter,
) -> HTMLResponse | RedirectResponse:
    """Test the scope, save a draft, or (a publisher) publish an emergency instruction."""
    form = await request.form()
    checked_form(session, str(form.get("csrf", "")))
    speaker = speaker_of(request)
    action = form.get("action", "test")
    body, errors = refusals(lambda: InstructionDraft.model_validate(draft_body(form)), speaker)
    if errors or action == "test":
        return _form_again(request, session, loaded, form, body, errors)
    caller = session.principal
    if action == "emergency":
        saved, errors = refusals(
            lambda: api.emergency_instruction(body, ledger, loaded, published, caller), speaker
        )
    else:
        saved, errors = refusals(
            lambda: api.draft_instruction(body, ledger, loaded, caller), speaker
        )
    if errors:
        return _form_page(request, session, loaded, _fields(form), errors, 422)
    return RedirectResponse(f"/workbench/instructions/{saved.instruction_id}", 303)


def _test_run(request: Request, subject: InstructionDraft | Instruction) -> ScopeTestRun | None:
    """How many goods items of the last four weeks the scope would have hit, and the
    finding rate among those inspected (None while the lake holds no batch yet)."""
    try:
        history = request.app.state.history.current()
        if isinstance(subject, Instruction):
            return history.test_run(subject, datetime.now(UTC), TEST_RUN_WEEKS)
        return history.test_run(
            subject.scope, datetime.now(UTC), TEST_RUN_WEEKS, tuple(subject.categories)
        )
    except HistoryUnavailable:
        return None


def _as_form(instruction: Instruction) -> dict[str, Any]:
    """An instruction's content as the form's fields (for editing a draft)."""
    scope = instruction.scope.model_dump(exclude_none=True)
    fields = {name: ", ".join(scope.get(name, ())) for name in SCOPE_LISTS}
    for bound in ("value_min_cny", "value_max_cny"):
        if bound in scope:
            fields[bound] = str(scope[bound])
    times = {"valid_from": instruction.valid_from, "valid_to": instruction.valid_to}
    return {
        **fields,
        **{k: v.strftime("%Y-%m-%dT%H:%M") for k, v in times.items()},
        "reason": instruction.reason,
        "priority": str(instruction.priority),
        "owner": instruction.owner or "",
        "measures": list(instruction.measures),
        "categories": list(instruction.categories),
        "version": str(instruction.version),
    }


@router.get("/instructions/{instruction_id}/edit", response_class=HTMLResponse)
def edit_instruction_page(
    instruction_id: str,
    request: Request,
    ledger: LedgerAccess,
    loaded: ServedModel,
    session: Drafter,
) -> HTMLResponse:
    current = api.current_instruction(ledger, instruction_id)
    return _form_page(request, session, loaded, _as_form(current), [], editing=current)


@router.post("/instructions/{instruction_id}/edit", response_model=None)
async def submit_edit(
    instruction_id: str,
    request: Request,
    ledger: LedgerAccess,
    loaded: ServedModel,
    session: Drafter,
) -> HTMLResponse | RedirectResponse:
    """Test the edited scope, or save it as the draft's next version (based on the version
    the form was opened on: a concurrent edit is refused, not overwritten)."""
    form = await request.form()
    checked_form(session, str(form.get("csrf", "")))
    speaker = speaker_of(request)
    current = api.current_instruction(ledger, instruction_id)
    body, errors = refusals(lambda: InstructionDraft.model_validate(draft_body(form)), speaker)
    if not errors and form.get("action") == "save":
        _, errors = refusals(
            lambda: api.edit_instruction(
                instruction_id,
                body,
                Response(),
                ledger,
                loaded,
                session.principal,
                if_match=str(form.get("version", "")),
            ),
            speaker,
        )
        if not errors:
            return RedirectResponse(f"/workbench/instructions/{instruction_id}", 303)
    return _form_again(request, session, loaded, form, body, errors, editing=current)


@router.get("/instructions/{instruction_id}", response_class=HTMLResponse)
def instruction_page(
    instruction_id: str, request: Request, ledger: LedgerAccess, session: AnyReviewer
) -> HTMLResponse:
    history = ledger.instructions.history(instruction_id)
    if not history:
        return render(request, "not_found.html", session, 404, what=instruction_id)
    versions = [Instruction.model_validate(v.payload) for v in history]
    current = versions[-1]
    hits = instruction_hits(ledger.engine).get(instruction_id)
    return render(
        request,
        "instruction.html",
        session,
        nav="instructions",
        instruction=current,
        versions=versions,
        status_now=str(status_at(current, datetime.now(UTC))),
        hits=hits,
        error=request.query_params.get("error"),
        test_run=_test_run(request, current),
    )


def _act(instruction_id: str, call, speaker) -> RedirectResponse:
    _, errors = refusals(call, speaker)
    target = f"/workbench/instructions/{instruction_id}"
    if errors:
        target += f"?error={quote(errors[0].message)}"
    return RedirectResponse(target, 303)


@router.post("/instructions/{instruction_id}/publish")
async def publish(
    instruction_id: str,
    request: Request,
    ledger: LedgerAccess,
    published: Published,
    session: Publisher,
) -> RedirectResponse:
    form = await request.form()
    checked_form(session, str(form.get("csrf", "")))
    return _act(
        instruction_id,
        lambda: api.publish_instruction(instruction_id, ledger, published, session.principal),
        speaker_of(request),
    )


@router.post("/instructions/{instruction_id}/revoke")
async def revoke(
    instruction_id: str,
    request: Request,
    ledger: LedgerAccess,
    published: Published,
    session: Publisher,
) -> RedirectResponse:
    form = await request.form()
    checked_form(session, str(form.get("csrf", "")))

    def call():
        body = Revocation.model_validate({"reason": form_text(form, "reason")})
        return api.revoke_instruction(instruction_id, body, ledger, published, session.principal)

    return _act(instruction_id, call, speaker_of(request))

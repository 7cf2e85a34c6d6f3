"""Liveness and readiness, for the orchestrator running the API."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from serving.dependencies import Holder, LedgerAccess

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(holder: Holder, ledger: LedgerAccess) -> JSONResponse:
    """Readiness: 200 only once a model and the entity state are loaded and the decision
    ledger answers (a decision that cannot be recorded is not given)."""
    current = holder.current
    if current is None:
        return JSONResponse({"status": "not ready", "reason": holder.last_error or "loading"}, 503)
    unreachable = ledger.reachable()
    if unreachable is not None:
        return JSONResponse({"status": "not ready", "reason": unreachable}, 503)
    return JSONResponse(
        {
            "status": "ready",
            "model_version": current.scorer.model_version,
            "entity_state_built_through": current.scorer.state.built_through,
        }
    )

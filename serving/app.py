"""FastAPI app for clearance systems: real-time risk scores with reasons.

The model (``models:/customs-risk@champion``) and the online entity state are loaded
at start-up, and ``serving.reload`` swaps in a new champion or a rebuilt entity state
while running. A local copy of the model is kept so the API starts even when the
tracking store is unreachable or slow, or the champion's bundle does not load; while
nothing is loaded, ``/readyz`` says so with 503 and scoring answers 503, and loading is
retried in the background.
"""

from __future__ import annotations

import logging
import math
import threading
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from config.settings import Settings, get_settings
from serving.holder import (
    LoadedModel,
    ModelHolder,
    load_champion,
    load_local_copy,
    load_served_model,
)
from serving.reload import start_watcher
from serving.schemas import BatchDecision, BatchScoreRequest, Decision, ScoreRequest

API_VERSION = "v1"
RETRY_SECONDS = 30.0
# A 422 echoes the offending input; a whole 1,001-item batch or a huge string is not echoed.
MAX_ECHOED_ITEMS = 10
MAX_ECHOED_CHARS = 200
UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's 400 detail
log = logging.getLogger("customs_risk.serving")


def json_safe_input(value: Any) -> Any:
    """An offending input as it can be echoed in a JSON error.

    Non-finite floats become their names ("NaN", "Infinity"), and long lists and strings
    are cut, so the error response itself never fails to encode nor repeats a whole batch.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: json_safe_input(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        if len(value) > MAX_ECHOED_ITEMS:
            return f"<list of {len(value)} items>"
        return [json_safe_input(item) for item in value]
    if isinstance(value, str) and len(value) > MAX_ECHOED_CHARS:
        return value[:MAX_ECHOED_CHARS] + "…"
    return value


def _load_champion_into(holder: ModelHolder, settings: Settings) -> None:
    try:
        holder.swap(load_champion(settings))
        log.info("champion loaded from the registry")
    except Exception as error:
        holder.record_error(f"champion not loaded from the registry: {error}")
        log.warning("champion not loaded from the registry: %s", error)


def _load_until_ready(
    holder: ModelHolder, settings: Settings, stop: threading.Event, first: threading.Thread
) -> None:
    first.join()  # the first attempt may still succeed: no second download meanwhile
    while not stop.is_set() and holder.current is None:
        try:
            holder.offer(load_served_model(settings))
            log.info("model loaded")
        except Exception as error:
            holder.record_error(str(error))
            log.error("model not loaded: %s; retrying in %.0f s", error, RETRY_SECONDS)
            stop.wait(RETRY_SECONDS)


def start_loading(app: FastAPI, settings: Settings, stop: threading.Event) -> None:
    """Load what to serve before the API takes traffic, without waiting on a slow registry.

    The champion is asked from the registry in a thread; start-up waits for it at most
    ``startup_registry_wait_seconds`` (MLflow retries an unreachable server for minutes),
    then serves the local copy and lets the champion replace it when it arrives. With
    neither, loading is retried in the background while ``/readyz`` answers 503.
    """
    holder: ModelHolder = app.state.holder
    first = threading.Thread(
        target=_load_champion_into, args=(holder, settings), name="champion-load", daemon=True
    )
    app.state.champion_load = first
    first.start()
    first.join(settings.startup_registry_wait_seconds)
    if holder.current is None:
        try:
            if holder.offer(load_local_copy(settings)):
                log.warning("serving the local copy until the champion is loaded")
        except Exception as error:
            registry = holder.last_error or "still loading"
            holder.record_error(f"no model: registry: {registry}; local copy: {error}")
            log.error("model not loaded at start-up: %s", holder.last_error)
    if holder.current is None:
        threading.Thread(
            target=_load_until_ready, args=(holder, settings, stop, first), daemon=True
        ).start()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; settings are read when it starts, not at import."""

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        resolved = settings or get_settings()
        app.state.settings = resolved
        app.state.holder = ModelHolder()
        stop = threading.Event()
        start_loading(app, resolved, stop)
        start_watcher(app.state.holder, resolved, stop)
        yield
        stop.set()

    app = FastAPI(
        title="Customs risk scoring",
        version=API_VERSION,
        description=(
            "Per-category risk of import goods declarations (GACC Order No. 271): calibrated "
            "probability, risk level 1-4 and the reasons (TreeSHAP log-odds contributions)."
        ),
        lifespan=lifespan,
    )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError):
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"] if p != "body"),
                "reason": e["msg"],
                "input": json_safe_input(e.get("input")),
            }
            for e in error.errors()
        ]
        return JSONResponse(
            status_code=422,
            content=jsonable_encoder({"detail": "invalid request", "errors": errors}),
        )

    @app.exception_handler(StarletteHTTPException)
    async def unreadable_body(request: Request, error: StarletteHTTPException):
        # FastAPI answers 400 when a JSON body cannot even be decoded (e.g. not UTF-8):
        # for a caller it is invalid input like any other, so it gets the same 422.
        if error.status_code == 400 and error.detail == UNREADABLE_BODY:
            return JSONResponse(
                status_code=422,
                content={
                    "detail": "invalid request",
                    "errors": [
                        {"field": "body", "reason": "not UTF-8 encoded JSON", "input": None}
                    ],
                },
            )
        return await http_exception_handler(request, error)

    def served(request: Request) -> LoadedModel:
        holder: ModelHolder = request.app.state.holder
        if holder.current is None:
            raise HTTPException(503, f"model not loaded: {holder.last_error or 'starting'}")
        return holder.current

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"])
    def readyz(request: Request) -> JSONResponse:
        """Readiness: 200 only once a model and the entity state are loaded."""
        holder: ModelHolder = request.app.state.holder
        current = holder.current
        if current is None:
            return JSONResponse(
                {"status": "not ready", "reason": holder.last_error or "loading"}, 503
            )
        return JSONResponse(
            {
                "status": "ready",
                "model_version": current.scorer.model_version,
                "entity_state_built_through": current.scorer.state.built_through,
            }
        )

    @app.get("/v1/model", tags=["scoring"])
    def model_info(request: Request, loaded: LoadedModel = Depends(served)) -> dict:
        """The served model: version, categories, metrics, where it was loaded from, and
        the last failed reload (null once a reload succeeds)."""
        holder: ModelHolder = request.app.state.holder
        error, error_at = holder.last_error, holder.last_error_at
        scorer = loaded.scorer
        return {
            "model_name": request_settings(app).model_name,
            "alias": request_settings(app).model_alias,
            "model_version": scorer.model_version,
            "thresholds_version": scorer.thresholds_version,
            "source": loaded.source,
            "loaded_at": loaded.loaded_at,
            "last_reload_error": {"error": error, "at": error_at} if error else None,
            "categories": {
                c: {
                    "level_cutoffs": m.level_cutoffs,
                    "calibration": m.calibrator.method,
                    "test_metrics": {
                        k: m.metrics.get(k)
                        for k in ("auc_roc", "auc_pr", "ece", "brier", "precision_at")
                    },
                }
                for c, m in scorer.model.categories.items()
            },
            "not_scored": scorer.model.not_scored,
            "features": list(scorer.model.spec.names),
            "entity_state_built_through": scorer.state.built_through,
            "trained": scorer.model.metadata,
        }

    @app.post("/v1/score", response_model=Decision, tags=["scoring"])
    def score(
        body: ScoreRequest, explain: bool = True, loaded: LoadedModel = Depends(served)
    ) -> dict:
        """Score one goods declaration. ``?explain=false`` omits reasons (faster)."""
        return loaded.scorer.score([body.declaration.model_dump()], explain=explain)[0]

    @app.post("/v1/score/batch", response_model=BatchDecision, tags=["scoring"])
    def score_batch(
        body: BatchScoreRequest, explain: bool = True, loaded: LoadedModel = Depends(served)
    ) -> dict:
        """Score up to 1,000 goods declarations at once. ``?explain=false`` omits reasons."""
        decisions = loaded.scorer.score(
            [d.model_dump() for d in body.declarations], explain=explain
        )
        return {"model_version": loaded.scorer.model_version, "decisions": decisions}

    return app


def request_settings(app: FastAPI) -> Settings:
    return app.state.settings

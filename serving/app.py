"""FastAPI app for clearance systems: real-time risk scores with reasons.

This module only assembles the app: its lifespan, routers (``serving.routes``) and error
handlers (``serving.errors``). The model (``models:/customs-risk@champion``) and the online
entity state are loaded at start-up (``serving.lifecycle``), and ``serving.reload`` swaps
in a new champion or a rebuilt entity state while running. A local copy of the model is
kept so the API starts even when the tracking store is unreachable or slow, or the
champion's bundle does not load; while nothing is loaded, ``/readyz`` says so with 503 and
scoring answers 503, and loading is retried in the background.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from config.settings import Settings, get_settings
from ledger.store import Ledger
from serving.errors import add_error_handlers
from serving.history import LakeHistory
from serving.holder import ModelHolder
from serving.lifecycle import start_loading
from serving.logs import mask_identifiers_in_logs
from serving.published import PublishedInstructions
from serving.reload import start_watcher
from serving.routes import (
    assessments,
    decisions,
    evidence,
    instructions,
    model,
    monitoring,
    operations,
    scoring,
    warnings,
)
from serving.workbench.router import install_workbench
from sources.lake import DataLake

API_VERSION = "v1"
DESCRIPTION = (
    "Per-category risk of import goods declarations (GACC Order No. 271): calibrated "
    "probability, risk level 1-4 and the reasons (TreeSHAP log-odds contributions); the "
    "measures to apply (Art. 12-17: disposal policy, control instructions, random "
    "selection), each decision recorded in a tamper-evident ledger (Art. 4). Every endpoint "
    "but /healthz and /readyz needs an API key (Authorization: Bearer) with a role."
)


def lifespan_with(
    settings: Settings | None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Load on start (settings read then, not at import), stop the loaders on shutdown."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolved = settings or get_settings()
        mask_identifiers_in_logs()
        app.state.settings = resolved
        app.state.holder = ModelHolder()
        app.state.ledger = Ledger.open(resolved.resolved_database_url)
        app.state.keys = app.state.ledger.keys
        app.state.published = PublishedInstructions(
            app.state.ledger, resolved.instruction_refresh_seconds
        )
        app.state.history = LakeHistory(DataLake(resolved.data_dir))  # read at first use
        stop = threading.Event()
        app.state.champion_load = start_loading(app.state.holder, resolved, stop)
        start_watcher(app.state.holder, resolved, stop)
        yield
        stop.set()
        app.state.ledger.close()

    return lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    """The scoring API; ``settings`` default to the environment's, read at start-up."""
    app = FastAPI(
        title="Customs risk scoring",
        version=API_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan_with(settings),
    )
    add_error_handlers(app)
    routers = (
        operations.router,
        model.router,
        scoring.router,
        decisions.router,
        evidence.router,
        assessments.router,
        instructions.router,
        monitoring.router,
        warnings.router,
    )
    for router in routers:
        app.include_router(router)
    install_workbench(app)
    return app

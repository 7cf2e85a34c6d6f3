"""What a route needs from the running app, as ``Annotated`` dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from config.settings import Settings
from ledger.store import Ledger
from serving.history import History, HistoryUnavailable, LakeHistory
from serving.holder import LoadedModel, ModelHolder
from serving.published import PublishedInstructions


def model_holder(request: Request) -> ModelHolder:
    return request.app.state.holder


def app_settings(request: Request) -> Settings:
    """The settings the app was started with (resolved in its lifespan, not at import)."""
    return request.app.state.settings


def ledger_of(request: Request) -> Ledger:
    return request.app.state.ledger


def published_of(request: Request) -> PublishedInstructions:
    return request.app.state.published


Holder = Annotated[ModelHolder, Depends(model_holder)]
LedgerAccess = Annotated[Ledger, Depends(ledger_of)]
Published = Annotated[PublishedInstructions, Depends(published_of)]
AppSettings = Annotated[Settings, Depends(app_settings)]


def served_model(holder: Holder) -> LoadedModel:
    """The model being served; 503 while none is loaded."""
    current = holder.current  # one read: a swap meanwhile does not change what is returned
    if current is None:
        raise HTTPException(503, f"model not loaded: {holder.last_error or 'starting'}")
    return current


ServedModel = Annotated[LoadedModel, Depends(served_model)]


def lake_history(request: Request) -> LakeHistory:
    return request.app.state.history


def history_now(lake: Annotated[LakeHistory, Depends(lake_history)]) -> History:
    """The lake's history as it is now; 503 while the lake has no batch to read."""
    try:
        return lake.current()
    except HistoryUnavailable as error:
        raise HTTPException(503, f"{error}: run the pipeline (make run)") from None


RecentHistory = Annotated[History, Depends(history_now)]

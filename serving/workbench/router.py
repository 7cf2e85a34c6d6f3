"""The workbench assembled: its pages under ``/workbench``, its static files, and how its
refusals are answered (the sign-in page, a 403 page) instead of JSON."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from serving.workbench.auth import (
    PREFIX,
    BadForm,
    NotAllowed,
    SignInRequired,
    current_session,
    sign_in_redirect,
)
from serving.workbench.pages import (
    decisions,
    instructions,
    monitoring,
    queue,
    reviews,
    signin,
    warnings,
)
from serving.workbench.templating import render
from serving.workbench.timing import ServerTiming

STATIC = Path(__file__).parent / "static"


def workbench_router() -> APIRouter:
    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    for pages in (signin, queue, decisions, reviews, instructions, warnings, monitoring):
        router.include_router(pages.router)
    return router


def install_workbench(app: FastAPI) -> None:
    app.include_router(workbench_router())
    app.add_middleware(ServerTiming)
    app.mount(f"{PREFIX}/static", StaticFiles(directory=STATIC), name="workbench-static")

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, error: SignInRequired) -> RedirectResponse:
        return sign_in_redirect(error.next_path)

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, error: NotAllowed) -> HTMLResponse:
        session = current_session(request)
        roles = ", ".join(str(r) for r in error.allowed)
        return render(request, "forbidden.html", session, 403, roles=roles)

    @app.exception_handler(BadForm)
    async def _bad_form(request: Request, error: BadForm) -> HTMLResponse:
        return render(request, "forbidden.html", None, 403, roles=None)

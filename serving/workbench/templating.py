"""Rendering a workbench page: the Jinja2 environment, the language, the signed-in
reviewer, and the headers every page carries."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from ledger.sessions import Session
from serving.workbench.i18n import DEFAULT_LANGUAGE, LANGUAGE_NAMES, Speaker, chosen_language
from serving.workbench.labels import domain_label

TEMPLATES = Jinja2Templates(directory=Path(__file__).parent / "templates")
LANGUAGE_COOKIE = "wb_lang"
# Nothing but this application's own files: no CDN, no inline script.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def speaker_of(request: Request) -> Speaker:
    return Speaker(chosen_language(request.cookies.get(LANGUAGE_COOKIE, DEFAULT_LANGUAGE)))


def render(
    request: Request,
    template: str,
    session: Session | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page ``template`` in the reviewer's language."""
    speaker = speaker_of(request)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {
            "speaker": speaker,
            "_": speaker.gettext,
            "ngettext": speaker.ngettext,
            "lang": speaker.language,
            "languages": LANGUAGE_NAMES,
            "session": session,
            "csrf": session.csrf_token if session else "",
            "label": lambda kind, code: domain_label(kind, code, speaker),
            **context,
        },
        status_code=status_code,
    )
    response.headers.update(SECURITY_HEADERS)
    return response

"""The API's error answers: one JSON shape for invalid input, and no bare 500.

Invalid input of any kind (a field, a body that is not JSON or not UTF-8) is a 422 naming
the field, the reason and the offending input. An unexpected failure while answering is
a JSON 500 carrying a request id, logged with its traceback under that id, so a caller
can report it and an operator can find it.
"""

from __future__ import annotations

import logging
import math
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

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


class InvalidField(Exception):
    """Input that passed the request model but not a rule that needs stored records (e.g.
    an outcome inspected before its goods were declared): answered like any invalid field."""

    def __init__(
        self,
        field: str,
        reason: str,
        value: Any = None,
        *,
        template: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason, self.value = field, reason, value
        # the reason as a message-catalogue id and its values, for pages that translate it
        self.template, self.params = template or reason, params


async def invalid_field(request: Request, error: InvalidField) -> JSONResponse:
    return _invalid([{"field": error.field, "reason": error.reason, "input": error.value}])


def _invalid(errors: list[dict]) -> JSONResponse:
    return JSONResponse(
        status_code=422,
        content=jsonable_encoder({"detail": "invalid request", "errors": errors}),
    )


async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    """422 listing each invalid field with its reason and (bounded) input."""
    return _invalid(
        [
            {
                "field": ".".join(str(p) for p in e["loc"] if p != "body"),
                "reason": e["msg"],
                "input": json_safe_input(e.get("input")),
            }
            for e in error.errors()
        ]
    )


async def unreadable_body(request: Request, error: StarletteHTTPException) -> JSONResponse:
    """The 422 of invalid input for a body that cannot be decoded; other HTTP errors as is."""
    # FastAPI answers 400 when a JSON body cannot even be decoded (e.g. not UTF-8):
    # for a caller it is invalid input like any other, so it gets the same 422.
    if error.status_code == 400 and error.detail == UNREADABLE_BODY:
        return JSONResponse(
            status_code=422,
            content={
                "detail": "invalid request",
                "errors": [{"field": "body", "reason": "not UTF-8 encoded JSON", "input": None}],
            },
        )
    return await http_exception_handler(request, error)


async def unexpected_error(request: Request, error: Exception) -> JSONResponse:
    """JSON 500 with a request id; the traceback goes to the log only, under that id."""
    request_id = str(uuid.uuid4())
    log.error(
        "request %s (%s %s) failed", request_id, request.method, request.url.path, exc_info=error
    )
    return JSONResponse(
        status_code=500, content={"detail": "internal error", "request_id": request_id}
    )


async def ledger_unavailable(request: Request, error: DBAPIError) -> JSONResponse:
    """503 when the ledger cannot be reached: nothing is acknowledged that is not recorded."""
    log.error("ledger unavailable on %s %s: %s", request.method, request.url.path, error.orig)
    return JSONResponse(
        status_code=503,
        content={"detail": "decision ledger unavailable: nothing was recorded; retry"},
        headers={"Retry-After": "5"},
    )


def add_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(InvalidField, invalid_field)
    app.add_exception_handler(DBAPIError, ledger_unavailable)
    app.add_exception_handler(StarletteHTTPException, unreadable_body)
    app.add_exception_handler(Exception, unexpected_error)

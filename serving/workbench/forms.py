"""Form input for the workbench: parsed into the API's own request models, and their
validation errors said in the reviewer's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException
from pydantic import ValidationError

from serving.errors import InvalidField
from serving.workbench.i18n import N_, Speaker

# pydantic error types → message ids (English, translated by the catalogue); the limit of
# a bound comes from the error's context.
_MESSAGES = {
    "missing": N_("This field is required."),
    "datetime_parsing": N_("Enter a date and time."),
    "datetime_from_date_parsing": N_("Enter a date and time."),
    "datetime_type": N_("Enter a date and time."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "int_parsing": N_("Enter a whole number."),
    "finite_number": N_("Enter a finite number."),
    "greater_than_equal": N_("Enter a value of at least %(ge)s."),
    "greater_than": N_("Enter a value above %(gt)s."),
    "less_than_equal": N_("Enter a value of at most %(le)s."),
    "string_too_long": N_("Enter at most %(max_length)s characters."),
    "string_too_short": N_("Enter at least %(min_length)s characters."),
}
# Messages the request models' own validators raise, kept in the catalogue as they are.
KNOWN_REASONS = (
    N_("outcome_known_at must not be before inspected_at"),
    N_("must lie in [2000-01-01, 2100-01-01) UTC"),
    N_("before the goods were declared (%(declared_at)s)"),
    N_("the decision has goods items %(items)s"),
)


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


def _message(error: dict[str, Any], speaker: Speaker) -> str:
    template = _MESSAGES.get(error["type"])
    if template is not None:
        context = {k: v for k, v in (error.get("ctx") or {}).items() if k != "error"}
        try:
            return speaker.gettext(template, **context)
        except (KeyError, TypeError):
            return speaker.gettext(template.split("%")[0].strip())
    reason = str(error["msg"]).removeprefix("Value error, ")
    return speaker.gettext(reason)


def validation_errors(error: ValidationError, speaker: Speaker) -> list[FieldError]:
    """Each invalid field of ``error`` with its reason in the reviewer's language."""
    return [
        FieldError(".".join(str(p) for p in e["loc"]) or "form", _message(e, speaker))
        for e in error.errors()
    ]


def invalid_field_error(error: InvalidField, speaker: Speaker) -> FieldError:
    params = {
        k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in error.params.items()
    }
    return FieldError(error.field, speaker.gettext(error.template, **params))


def refusals(call: Callable[[], Any], speaker: Speaker) -> tuple[Any, list[FieldError]]:
    """``call()``'s result and no errors, or None and why it was refused, in the reader's
    language: the request model's errors per field, a rule that needs stored records
    (``InvalidField``), a domain check's ``ValueError``, or the API's own refusal."""
    try:
        return call(), []
    except ValidationError as error:
        return None, validation_errors(error, speaker)
    except InvalidField as error:
        return None, [invalid_field_error(error, speaker)]
    except ValueError as error:
        return None, [FieldError("form", speaker.gettext(str(error)))]
    except HTTPException as error:
        return None, [FieldError("form", str(error.detail))]


def form_text(form, name: str) -> str | None:
    """A text field's value; None when empty, so the model's default or "required" applies."""
    value = form.get(name)
    return value.strip() or None if isinstance(value, str) else None


# An instruction's or a warning's scope as form fields: lists are comma-separated.
SCOPE_LISTS = (
    "hs_prefixes",
    "origin_countries",
    "consignee_ids",
    "declarant_ids",
    "routes",
    "trade_modes",
)


def _listed(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").replace("，", ",").split(",") if part.strip()]


def scope_of(form) -> dict[str, Any]:
    """The scope fields of ``form`` as an ``InstructionScope`` body (empty ones left out)."""
    scope: dict[str, Any] = {name: _listed(form.get(name)) for name in SCOPE_LISTS}
    for bound in ("value_min_cny", "value_max_cny"):
        scope[bound] = form_text(form, bound)
    return {k: v for k, v in scope.items() if v}

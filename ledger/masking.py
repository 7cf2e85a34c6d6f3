"""Enterprise and person identifiers out of the logs (Art. 5).

:func:`mask_identifier` keeps a short head and tail of an identifier, enough for an
operator to tell two apart, not enough to look one up. :class:`IdentifierMaskingFilter`
applies it to log records: to every 18-character code of the unified social credit code
alphabet (GB 32100, which also covers resident identity numbers) and to the values of
the party fields ``consignee_id``, ``declarant_id`` and ``overseas_trader_id`` whatever
their format. Declaration numbers are 18 digits too; written as ``declaration_id=…`` (or
as a JSON field) they are left as they are, since they name a declaration, not a party.

Attach the filter to the handlers (a filter on a logger does not see its children's
records): ``handler.addFilter(IdentifierMaskingFilter())``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

PARTY_FIELDS: tuple[str, ...] = ("consignee_id", "declarant_id", "overseas_trader_id")
# Shown of an identifier: head and tail, e.g. 91NL…53A4T, if at least HIDDEN characters
# stay hidden; else two at each end if the identifier has at least SHORT_LENGTH; else none.
SHOWN_HEAD, SHOWN_TAIL, HIDDEN = 4, 5, 9
SHORT_SHOWN, SHORT_LENGTH = 2, 8
MASK = "…"

_IDENTIFIERS = re.compile(
    # a declaration number, kept: consumed here so the code pattern below does not see it
    r"(?P<kept>\bdeclaration_id[\"']?\s*[:=]\s*[\"']?[0-9A-Za-z-]+)"
    # a party field's value, any format (not a %-placeholder of a log message's template)
    rf"|(?P<label>\b(?:{'|'.join(PARTY_FIELDS)})[\"']?\s*[:=]\s*[\"']?)"
    r"(?P<party>[^\s\"',;&)}\]%][^\s\"',;&)}\]]*)"
    # an 18-character code standing alone (unified social credit code, identity number)
    r"|(?<![0-9A-Za-z])(?P<code>[0-9A-HJ-NPQRTUWXY]{18})(?![0-9A-Za-z])"
)


def mask_identifier(value: str) -> str:
    """``91NLNAGQCXXGE53A4T`` → ``91NL…53A4T``; short values keep less, or nothing.
    A masked value stays as it is, so masking twice is masking once."""
    if MASK in value:
        return value
    if len(value) >= SHOWN_HEAD + SHOWN_TAIL + HIDDEN:
        return value[:SHOWN_HEAD] + MASK + value[-SHOWN_TAIL:]
    if len(value) >= SHORT_LENGTH:
        return value[:SHORT_SHOWN] + MASK + value[-SHORT_SHOWN:]
    return MASK


def mask_identifiers(text: str) -> str:
    """``text`` with every identifier it shows masked (see the module's note)."""

    def masked(match: re.Match[str]) -> str:
        if match["kept"]:
            return match["kept"]
        if match["party"]:
            return match["label"] + mask_identifier(match["party"])
        return mask_identifier(match["code"])

    return _IDENTIFIERS.sub(masked, text)


class _MaskedText:
    """Stands for a log argument that is neither text nor a number: formats as the
    argument would (``%s`` or ``%r``), masked."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def __str__(self) -> str:
        return mask_identifiers(str(self._value))

    def __repr__(self) -> str:
        return mask_identifiers(repr(self._value))


def _masked_argument(value: Any) -> Any:
    if isinstance(value, str):
        return mask_identifiers(value)
    if value is None or isinstance(value, int | float):
        return value  # %d and %f need the number; a number is not an identifier
    return _MaskedText(value)


class IdentifierMaskingFilter(logging.Filter):
    """Masks identifiers in a record's message, arguments, party-field extras and
    exception text; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = mask_identifiers(record.msg)
        # Arguments are masked one by one and kept, as some formatters read them
        # (uvicorn's access log unpacks them).
        if isinstance(record.args, Mapping):
            record.args = {key: _masked_argument(v) for key, v in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_masked_argument(v) for v in record.args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record: logging reports it, unchanged
        if (masked := mask_identifiers(message)) != message:
            # A field's name in the message and its value in an argument: only the whole
            # line shows that the value is a party identifier.
            record.msg, record.args = masked, None
        for field in PARTY_FIELDS:
            value = getattr(record, field, None)
            if isinstance(value, str):
                setattr(record, field, mask_identifier(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_identifiers(record.exc_text)
        return True

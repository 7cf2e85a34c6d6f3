"""The API's logs carry no enterprise or person identifiers (Art. 5).

The masking filter is attached to every handler that writes the API's records (the root
logger's and uvicorn's), once the server has configured its logging: a filter on a
logger would not see the records its children propagate.
"""

from __future__ import annotations

import logging

from ledger.masking import IdentifierMaskingFilter

LOGGERS = (None, "uvicorn", "uvicorn.error", "uvicorn.access", "customs_risk")


def mask_identifiers_in_logs() -> None:
    masking = IdentifierMaskingFilter()
    for name in LOGGERS:
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, IdentifierMaskingFilter) for f in handler.filters):
                handler.addFilter(masking)

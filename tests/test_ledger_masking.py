"""Identifiers of enterprises and persons are masked in logs."""

from __future__ import annotations

import io
import logging

import pytest

from ledger.masking import IdentifierMaskingFilter, mask_identifier, mask_identifiers

USCC = "91NLNAGQCXXGE53A4T"


@pytest.mark.parametrize(
    ("value", "masked"),
    [(USCC, "91NL…53A4T"), ("OT-004587", "OT…87"), ("IMP-1", "…"), ("91NL…53A4T", "91NL…53A4T")],
)
def test_mask_identifier_keeps_a_short_head_and_tail(value, masked):
    assert mask_identifier(value) == masked


def test_codes_and_party_fields_are_masked_declaration_numbers_kept():
    text = (
        '{"declaration_id": "220020260000000001", "consignee_id": "91NLNAGQCXXGE53A4T", '
        '"overseas_trader_id": "OT-004587"} person 11010519491231002X, hs 2204210000'
    )
    assert mask_identifiers(text) == (
        '{"declaration_id": "220020260000000001", "consignee_id": "91NL…53A4T", '
        '"overseas_trader_id": "OT…87"} person 1101…1002X, hs 2204210000'
    )
    assert mask_identifiers("declarant_id=IMP-00042&x=1") == "declarant_id=IM…42&x=1"


@pytest.fixture
def log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(IdentifierMaskingFilter())
    handler.setFormatter(
        logging.Formatter("%(message)s|%(consignee_id)s", defaults={"consignee_id": "-"})
    )
    logger = logging.getLogger("test_ledger_masking")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def test_the_filter_masks_messages_arguments_extras_and_tracebacks(log):
    logger, stream = log
    logger.info("scored consignee_id=%s in %d ms", "IMP-00042", 7)
    logger.info("payload %s", {"declarant_id": "AB-123456", "n": 1})
    logger.info("seen %s", USCC, extra={"consignee_id": USCC})
    try:
        raise ValueError(f"no credit level for {USCC}")
    except ValueError:
        logger.exception("failed")
    written = stream.getvalue()
    assert USCC not in written and "IMP-00042" not in written and "AB-123456" not in written
    lines = written.splitlines()
    assert lines[0] == "scored consignee_id=IM…42 in 7 ms|-"
    assert lines[1] == "payload {'declarant_id': 'AB…56', 'n': 1}|-"
    assert lines[2] == "seen 91NL…53A4T|91NL…53A4T"
    assert lines[-1] == "ValueError: no credit level for 91NL…53A4T"


def test_arguments_stay_arguments_when_nothing_else_needs_masking(log):
    logger, _ = log
    records = []
    logger.addFilter(lambda record: records.append(record) or True)
    logger.info('%s "%s %s"', "127.0.0.1", "GET", f"/v1/decisions?consignee_id={USCC}")
    [record] = records
    IdentifierMaskingFilter().filter(record)
    # uvicorn's access formatter unpacks the arguments: they must still be there
    assert record.args == ("127.0.0.1", "GET", "/v1/decisions?consignee_id=91NL…53A4T")

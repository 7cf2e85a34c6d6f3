"""The ledger tests' databases (every test runs on SQLite and on PostgreSQL) and sample
decisions.

SQLite is a file in the test's temporary folder. PostgreSQL is the server at
``CUSTOMS_RISK_TEST_POSTGRES_URL`` (default: database ``test`` on 127.0.0.1:5432); each
test gets a schema of its own, created before and dropped after, and its connections
find the tables there through ``search_path``. When no server answers the PostgreSQL
cases skip, except in CI (``CI`` set), where they fail; a server that answers but refuses
the connection fails them everywhere.

``tests/conftest.py`` registers this module as a plugin, so every test can ask for the
fixtures ``database_url`` and ``engine``.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from functools import cache

import pytest
from sqlalchemy import Engine, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from ledger.actors import Principal, Role
from ledger.database import connect, migrate
from ledger.decisions import DecisionItem, DecisionMeasure, NewDecision

POSTGRES_URL = os.environ.get(
    "CUSTOMS_RISK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


@cache
def postgres_answers() -> bool:
    """Whether anything listens at the server's address (a server that answers but refuses
    the connection is a failure, not a reason to skip)."""
    url = make_url(POSTGRES_URL)
    try:
        socket.create_connection((url.host or "localhost", url.port or 5432), timeout=3).close()
    except OSError:
        return False
    return True


def require_postgres() -> None:
    if postgres_answers():
        return
    message = f"no PostgreSQL server answers at {make_url(POSTGRES_URL).render_as_string()}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path) -> Iterator[str]:
    """An empty database of each backend, as a URL ``ledger.database.connect`` takes."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    require_postgres()
    schema = f"ledger_test_{uuid.uuid4().hex[:12]}"
    server = create_engine(POSTGRES_URL, poolclass=NullPool)
    with server.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with server.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        server.dispose()


@pytest.fixture
def engine(database_url) -> Iterator[Engine]:
    """The database migrated to the latest revision."""
    engine = connect(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


CLEARANCE = Principal(name="clearance-system-1", role=Role.clearance_system, key_id="0a1b2c3d4e5f")


def sample_decision(declaration_id: str = "220020260000000001", **fields) -> NewDecision:
    """A two-item decision as the API would record it (``fields`` override)."""
    items = (
        DecisionItem(
            item_no=1,
            selection_probability=0.02,
            selection_reason="model",
            credit_level="regular",
            highest_level=4,
            measures=(
                DecisionMeasure("P01", "physical_inspection", "model"),
                DecisionMeasure("L01", "sampling_lab_test", "instruction", "instr-1", 2),
            ),
        ),
        DecisionItem(item_no=2, selection_probability=0.02, credit_level="regular"),
    )
    values = {
        "declaration_id": declaration_id,
        "caller": CLEARANCE,
        "input_hash": "a" * 64,
        "model_version": "7",
        "thresholds_version": "7",
        "policy_version": "policy-2026.1",
        "catalogue_version": "measures-2026.1",
        "disposition": "physical_inspection",
        "payload": {
            "declaration_id": declaration_id,
            "items": [
                {"item_no": 1, "categories": {"food_safety": {"probability": 0.31, "level": 4}}},
                {"item_no": 2, "categories": {"food_safety": {"probability": 0.004, "level": 1}}},
            ],
            "disposition": {"kind": "physical_inspection", "item_no": 1},
            "note": "进口葡萄酒",
        },
        "items": items,
    }
    return NewDecision(**{**values, **fields})

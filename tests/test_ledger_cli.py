"""``customs-risk ledger`` and ``customs-risk keys`` end to end, on the settings' database."""

from __future__ import annotations

import json

import pytest
from ledger_testing import sample_decision
from sqlalchemy import text
from typer.testing import CliRunner

from config.settings import get_settings
from customs_risk.cli import app
from ledger.database import head_revision
from ledger.decisions import DecisionLedger
from ledger.keys import KeyStore

runner = CliRunner()


@pytest.fixture
def settings_database(engine, database_url, monkeypatch):
    """The commands' settings point at the test database."""
    monkeypatch.setenv("CUSTOMS_RISK_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield engine
    get_settings.cache_clear()


def verify_json():
    result = runner.invoke(app, ["ledger", "verify", "--json"])
    return result.exit_code, json.loads(result.stdout)


def test_ledger_verify_reports_the_chain_and_a_hand_edited_row(settings_database):
    engine = settings_database
    ledger = DecisionLedger(engine)
    decisions = [ledger.record(sample_decision(f"22002026000000000{n}")) for n in range(4)]
    assert verify_json() == (0, {"decisions": 4, "intact": True, "first_broken": None})
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE decisions SET payload = :p WHERE decision_id = :id"),
            {"p": '{"disposition":"release"}', "id": decisions[2].decision_id},
        )
    assert verify_json() == (
        1,
        {"decisions": 4, "intact": False, "first_broken": decisions[2].decision_id},
    )
    readable = runner.invoke(app, ["ledger", "verify"])
    assert readable.exit_code == 1
    assert "broken" in readable.stdout and decisions[2].decision_id in readable.stdout


def test_ledger_migrate_reports_the_revision(settings_database):
    result = runner.invoke(app, ["ledger", "migrate"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"ledger at revision {head_revision()}")


def test_keys_create_list_revoke(settings_database):
    engine = settings_database
    created = runner.invoke(app, ["keys", "create", "--role", "publisher", "--name", "zhao"])
    assert created.exit_code == 0, created.output
    plaintext = created.stdout.strip().splitlines()[-1]
    principal = KeyStore(engine).authenticate(plaintext)
    assert (principal.name, principal.role) == ("zhao", "publisher")
    listed = runner.invoke(app, ["keys", "list"])
    assert principal.key_id in listed.stdout and plaintext not in listed.stdout
    refused = runner.invoke(app, ["keys", "create", "--role", "officer", "--name", "zhao"])
    assert refused.exit_code == 1 and "refused" in refused.stdout
    assert runner.invoke(app, ["keys", "revoke", principal.key_id]).exit_code == 0
    assert KeyStore(engine).authenticate(plaintext) is None
    assert runner.invoke(app, ["keys", "revoke", "no-such-key"]).exit_code == 1

"""Engines and migrations: an empty database reaches the schema of ``ledger.schema``."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

import ledger
from ledger.database import alembic_config, connect, current_revision, head_revision, migrate
from ledger.schema import Base


def schema_differences(engine) -> list:
    with engine.connect() as connection:
        return compare_metadata(MigrationContext.configure(connection), Base.metadata)


def test_migrate_creates_every_table_from_an_empty_database(database_url, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the migrations are found from any working directory
    engine = connect(database_url)
    assert current_revision(engine) is None
    assert migrate(engine) == head_revision() == current_revision(engine)
    tables = set(inspect(engine).get_table_names())
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    with engine.connect() as connection:
        head = connection.execute(text("SELECT sequence, record_hash FROM chain_head")).all()
    assert head == [(0, "0" * 64)]
    engine.dispose()


def test_migrate_again_changes_nothing(engine):
    assert migrate(engine) == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM chain_head")).scalar() == 1


def test_the_migrated_schema_is_the_metadata(engine):
    assert schema_differences(engine) == []


def test_the_comparison_sees_a_missing_index(engine):
    with engine.begin() as connection:
        connection.execute(text("DROP INDEX ix_decisions_declaration_id"))
    differences = schema_differences(engine)
    assert [d[0] for d in differences] == ["add_index"]


def test_downgrade_removes_the_tables_and_upgrade_restores_them(engine):
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert schema_differences(engine) == []


def test_sqlite_runs_in_wal_mode_with_foreign_keys(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'nested' / 'ledger.db'}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
    engine.dispose()


def test_foreign_keys_hold_on_both_backends(engine):
    with pytest.raises(Exception, match=r"(?i)foreign key"), engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO decision_items (decision_id, item_no, random_selected, "
                "selection_probability) VALUES ('no-such-decision', 1, false, 0.1)"
            )
        )


def test_the_migrations_ship_with_the_package():
    """Installed without the source tree, the package still finds its migrations: every
    folder of it is a package (setuptools installs only packages) and every file that
    is not Python is declared as package data."""
    root = Path(ledger.__file__).parent
    pyproject = tomllib.loads((root.parent / "pyproject.toml").read_text())
    declared = set(pyproject["tool"]["setuptools"]["package-data"]["ledger"])
    files = [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    data = {p.relative_to(root).as_posix() for p in files if p.suffix != ".py"}
    assert data == declared
    folders = {p.parent for p in files if p.suffix == ".py"}
    assert all((folder / "__init__.py").is_file() for folder in folders)
    assert (root / "migrations" / "env.py").is_file()


def test_a_plain_postgresql_url_means_psycopg_3():
    engine = connect("postgresql://someone@db.example/ledger")  # not connected yet
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")

"""Alembic environment: runs the migrations on the connection ``ledger.database.migrate``
passes in (no alembic.ini, no URL in a file)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from ledger.schema import Base

# Any fixed number, the same in every process: PostgreSQL serialises on it, so two API
# workers starting together do not both create the tables.
MIGRATION_LOCK_KEY = 271_0004


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(
            "run the ledger migrations with ledger.database.migrate(engine) "
            "or `customs-risk ledger migrate`"
        )
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite alters a table by copying it; batch mode writes later migrations that way.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


run_migrations()

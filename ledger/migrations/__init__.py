"""Alembic migrations of the ledger schema; run by ``ledger.database.migrate``."""

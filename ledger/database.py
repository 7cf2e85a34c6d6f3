"""Engines, migrations and transactions of the ledger database (SQLite or PostgreSQL).

``connect(url)`` gives an engine set up for the backend; ``migrate(engine)`` brings its
schema to the latest revision with Alembic, from any working directory (the migrations
ship inside the package). Repositories open one short transaction per operation: an ORM
session (:func:`write_transaction`, :func:`read_transaction`) or, on the hot path, a
Core connection (:func:`write_connection`, :func:`read_connection`).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# SQLite: how long a writer waits for another's lock before failing. Appends hold it for
# a few milliseconds; waiting this long means something is stuck, not busy.
SQLITE_BUSY_TIMEOUT_SECONDS = 15.0
# PostgreSQL: connections kept open per process, and extra ones under a burst.
POSTGRES_POOL_SIZE = 5
POSTGRES_MAX_OVERFLOW = 10
# Execution option naming the BEGIN a SQLite transaction starts with (see _sqlite_begin).
SQLITE_BEGIN = "ledger_sqlite_begin"
# One lock per SQLite engine that its writing threads queue on. SQLite's own wait for a
# busy database polls with growing sleeps, so under a burst a writer can wait hundreds of
# milliseconds while others keep winning; the lock serves threads in turn. Writers in
# other processes still meet at SQLite's lock (several API workers: use PostgreSQL).
_SQLITE_WRITERS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def connect(url: str) -> Engine:
    """An engine for ``url``: ``sqlite:///path`` or ``postgresql+psycopg://…``.

    SQLite runs in WAL mode (readers do not block the writer), with foreign keys enforced
    and ``synchronous=FULL``, so a committed decision survives a power cut, not only a
    crash. PostgreSQL (``postgresql://`` is taken as psycopg 3) gets a pool whose
    connections are checked before use.
    """
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        # Plain postgresql:// would mean psycopg2; the platform installs psycopg 3.
        parsed = parsed.set(drivername="postgresql+psycopg")
    return create_engine(
        parsed,
        pool_size=POSTGRES_POOL_SIZE,
        max_overflow=POSTGRES_MAX_OVERFLOW,
        pool_pre_ping=True,
    )


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    database = engine.url.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record) -> None:
        # The driver's own transaction handling would not BEGIN before a SELECT or DDL;
        # _sqlite_begin emits every BEGIN instead.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Connection) -> None:
        # IMMEDIATE takes the write lock at once: a transaction that reads and then writes
        # would otherwise fail with "database is locked" when another writer got there
        # between its read and its write, instead of waiting the busy timeout.
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    _SQLITE_WRITERS[engine] = threading.Lock()
    return engine


def _writers_turn(engine: Engine) -> AbstractContextManager:
    """Wait for this process's other writers to the same SQLite database (no-op on
    PostgreSQL, whose row lock on the chain head queues writers fairly)."""
    return _SQLITE_WRITERS.get(engine) or nullcontext()


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Session]:
    """A session in one read-write transaction, committed on success, rolled back on any
    error. On SQLite it holds the database's write lock from its first statement."""
    with (
        _writers_turn(engine),
        Session(engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})) as session,
        session.begin(),
    ):
        yield session


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A connection in one read-write transaction, for Core statements where the ORM's
    overhead counts (the decision append): committed on success, rolled back on error;
    on SQLite it holds the write lock from its first statement."""
    with (
        _writers_turn(engine),
        engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}).begin() as connection,
    ):
        yield connection


@contextmanager
def read_connection(engine: Engine, *, snapshot: bool = False) -> Iterator[Connection]:
    """A connection in one read transaction (``snapshot``: as for read_transaction)."""
    with engine.connect() as connection:
        if snapshot and engine.dialect.name == "postgresql":
            connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            yield connection


@contextmanager
def read_transaction(engine: Engine, *, snapshot: bool = False) -> Iterator[Session]:
    """A session in one read transaction. With ``snapshot`` all its reads see the database
    as it was at the first one (PostgreSQL's default isolation gives each statement its
    own view; SQLite's WAL always reads one snapshot per transaction)."""
    with Session(engine) as session, session.begin():
        if snapshot and engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code: no alembic.ini, any working directory.

    With ``connection`` the migrations run on it; without, Alembic commands that need no
    database (``history``, ``revision`` without autogenerate) still work.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> str:
    """Bring the schema to the latest revision (idempotent); returns that revision.

    One transaction: on PostgreSQL a failed migration leaves the schema as it was (DDL is
    transactional), and concurrent starters wait for each other (see migrations/env.py).
    """
    immediate = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
    with immediate.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    return head_revision()


def head_revision() -> str:
    """The latest revision the package ships."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "ledger/migrations/versions holds no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: never migrated)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()

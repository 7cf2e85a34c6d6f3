"""Workbench sessions: a reviewer signs in with a personal API key and gets a session.

The browser holds a random session token in a cookie; the ledger keeps only its hash,
the key it was opened with and when it ends. A session ends at sign-out, at its expiry,
or when its key is revoked (checked on every use), and it has the key's role.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select, update

from ledger.actors import Principal, Role
from ledger.audit import AuditEvent, write_event
from ledger.database import read_connection, write_connection
from ledger.schema import Base, utc_now

SESSIONS = Base.metadata.tables["workbench_sessions"]
KEYS = Base.metadata.tables["api_keys"]
TOKEN_BYTES = 32


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    """A signed-in reviewer: who, until when, and the token's form-protection secret."""

    principal: Principal
    expires_at: datetime
    csrf_token: str


def csrf_token(token: str) -> str:
    """The token a session's forms carry: derived from the session token, so only a page
    of this session can know it (a cross-site form cannot)."""
    return hmac.new(token.encode("utf-8"), b"workbench-form", hashlib.sha256).hexdigest()


class SessionStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def open(self, principal: Principal, lifetime: timedelta) -> tuple[str, Session]:
        """A new session for ``principal`` (authenticated by key): its token and itself."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        now = utc_now()
        with write_connection(self._engine) as connection:
            connection.execute(
                insert(SESSIONS).values(
                    session_hash=_hash(token),
                    key_id=principal.key_id,
                    created_at=now,
                    expires_at=now + lifetime,
                )
            )
            write_event(connection, AuditEvent(principal, "session.open", "key", principal.key_id))
        return token, Session(principal, now + lifetime, csrf_token(token))

    def resolve(self, token: str) -> Session | None:
        """The live session of ``token``: None when unknown, ended, expired or its key
        revoked."""
        query = (
            select(SESSIONS.c.expires_at, KEYS.c.key_id, KEYS.c.name, KEYS.c.role)
            .join(KEYS, KEYS.c.key_id == SESSIONS.c.key_id)
            .where(
                SESSIONS.c.session_hash == _hash(token),
                SESSIONS.c.ended_at.is_(None),
                SESSIONS.c.expires_at > utc_now(),
                KEYS.c.revoked_at.is_(None),
            )
        )
        with read_connection(self._engine) as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        principal = Principal(name=row.name, role=Role(row.role), key_id=row.key_id)
        return Session(principal, row.expires_at, csrf_token(token))

    def end(self, token: str, principal: Principal) -> None:
        """Sign out: the session cannot be used again."""
        with write_connection(self._engine) as connection:
            connection.execute(
                update(SESSIONS)
                .where(SESSIONS.c.session_hash == _hash(token), SESSIONS.c.ended_at.is_(None))
                .values(ended_at=utc_now())
            )
            write_event(connection, AuditEvent(principal, "session.end", "key", principal.key_id))

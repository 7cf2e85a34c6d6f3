"""API keys (Art. 5): created once, stored as a hash, checked on every request.

A key reads ``cr_<key_id>_<secret>``: the key id is public (it finds the row and names
the key in lists and logs), the secret is 32 random bytes. Only the SHA-256 of the whole
key is stored. A fast hash is enough here, unlike for passwords: with 256 random bits
there is nothing to guess, so a slow key-derivation function would only add its cost
to every request.

A name holds one role: creating a key for a name that has an active key of another role
is refused (decisions and audit events record the name as the caller, so the name must
mean one set of rights). Several active keys of one name and role are allowed, which is
how a key is rotated: create the new one, switch the caller over, revoke the old one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from ledger.actors import Actor, Principal, Role
from ledger.audit import AuditEvent, write_event
from ledger.database import read_connection, read_transaction, write_transaction
from ledger.errors import NameTakenByOtherRole, UnknownKey
from ledger.schema import NAME, ApiKeyRow, utc_now

KEY_PREFIX = "cr"
KEY_ID_BYTES = 6  # 12 hex characters: enough to find a row, not a secret
SECRET_BYTES = 32
API_KEYS = ApiKeyRow.__table__


@dataclass(frozen=True)
class ApiKey:
    """A key as listed: everything but the key itself."""

    key_id: str
    name: str
    role: Role
    created_at: datetime
    created_by: str
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def key_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


class KeyStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def create(self, role: Role | str, name: str, *, actor: Actor) -> tuple[str, ApiKey]:
        """A new key for ``name`` with ``role``: the plaintext (shown once, never stored)
        and the stored key. Raises ``NameTakenByOtherRole`` (see the module's note)."""
        role, name = Role(role), name.strip()
        if not name or len(name) > NAME:
            raise ValueError(f"a key name has 1 to {NAME} characters, got {name!r}")
        key_id = secrets.token_hex(KEY_ID_BYTES)
        plaintext = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
        with write_transaction(self._engine) as session:
            other_role = session.scalars(
                select(ApiKeyRow.role).where(
                    ApiKeyRow.name == name,
                    ApiKeyRow.role != role.value,
                    ApiKeyRow.revoked_at.is_(None),
                )
            ).first()
            if other_role is not None:
                raise NameTakenByOtherRole(f"{name!r} has an active {other_role} key")
            row = ApiKeyRow(
                key_id=key_id,
                name=name,
                role=role.value,
                key_hash=key_hash(plaintext),
                created_at=utc_now(),
                created_by=actor.name,
            )
            session.add(row)
            created = _api_key(row)
            write_event(session, AuditEvent(actor, "key.create", "api_key", key_id, new=created))
        return plaintext, created

    def authenticate(self, plaintext: str) -> Principal | None:
        """Who holds ``plaintext``, or None for a malformed, unknown or revoked key."""
        prefix, _, rest = plaintext.partition("_")
        key_id, _, secret = rest.partition("_")
        if prefix != KEY_PREFIX or not key_id or not secret:
            return None
        # A Core read: this runs on every request.
        with read_connection(self._engine) as connection:
            row = connection.execute(
                select(API_KEYS.c.name, API_KEYS.c.role, API_KEYS.c.key_hash).where(
                    API_KEYS.c.key_id == key_id, API_KEYS.c.revoked_at.is_(None)
                )
            ).first()
        # Constant time: how long the comparison takes says nothing about the hash.
        if row is None or not hmac.compare_digest(row.key_hash, key_hash(plaintext)):
            return None
        return Principal(name=row.name, role=Role(row.role), key_id=key_id)

    def revoke(self, key_id: str, *, actor: Actor) -> ApiKey:
        """Revoke a key from now on; revoking a revoked key changes nothing."""
        with write_transaction(self._engine) as session:
            row = session.get(ApiKeyRow, key_id)
            if row is None:
                raise UnknownKey(key_id)
            if row.revoked_at is not None:
                return _api_key(row)
            old = _api_key(row)
            row.revoked_at = utc_now()
            revoked = _api_key(row)
            write_event(
                session, AuditEvent(actor, "key.revoke", "api_key", key_id, old=old, new=revoked)
            )
        return revoked

    def list(self) -> list[ApiKey]:
        """Every key, active and revoked, oldest first."""
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.key_id)
        with read_transaction(self._engine) as session:
            return [_api_key(row) for row in session.scalars(query)]


def _api_key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        key_id=row.key_id,
        name=row.name,
        role=Role(row.role),
        created_at=row.created_at,
        created_by=row.created_by,
        revoked_at=row.revoked_at,
    )

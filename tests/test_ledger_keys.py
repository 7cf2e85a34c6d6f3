"""API keys: shown once, stored as a hash, revocable; a name holds one role."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from ledger.actors import Actor, Principal, Role
from ledger.audit import AuditLog
from ledger.errors import NameTakenByOtherRole, UnknownKey
from ledger.keys import KeyStore

ADMIN = Actor(name="admin-chen", role=Role.admin)


def test_a_created_key_authenticates_its_holder(engine):
    store = KeyStore(engine)
    plaintext, key = store.create(Role.officer, "officer-li", actor=ADMIN)
    assert plaintext.startswith(f"cr_{key.key_id}_")
    assert store.authenticate(plaintext) == Principal("officer-li", Role.officer, key.key_id)
    assert key.active and key.created_by == "admin-chen"


def test_wrong_malformed_and_revoked_keys_authenticate_nobody(engine):
    store = KeyStore(engine)
    plaintext, key = store.create(Role.clearance_system, "clearance-1", actor=ADMIN)
    assert store.authenticate(plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")) is None
    assert store.authenticate(f"cr_{'0' * 12}_{plaintext.split('_', 2)[2]}") is None
    for malformed in ("", "cr_", "Bearer " + plaintext, plaintext.replace("cr_", "xx_", 1)):
        assert store.authenticate(malformed) is None
    revoked = store.revoke(key.key_id, actor=ADMIN)
    assert not revoked.active
    assert store.authenticate(plaintext) is None
    assert store.revoke(key.key_id, actor=ADMIN) == revoked  # again: nothing changes
    with pytest.raises(UnknownKey):
        store.revoke("no-such-key", actor=ADMIN)


def test_only_a_hash_of_the_key_is_stored(engine):
    plaintext, key = KeyStore(engine).create(Role.publisher, "publisher-zhao", actor=ADMIN)
    secret = plaintext.split("_", 2)[2]
    with engine.connect() as connection:
        stored = [
            str(value)
            for table in ("api_keys", "audit_events")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
            for value in row
        ]
    assert key.key_id in stored
    assert not any(secret in value for value in stored)


def test_a_name_holds_one_role_and_may_rotate_its_keys(engine):
    store = KeyStore(engine)
    first, old = store.create(Role.analyst, "analyst-wang", actor=ADMIN)
    second, new = store.create(Role.analyst, "analyst-wang", actor=ADMIN)  # rotation
    assert store.authenticate(first).key_id == old.key_id
    assert store.authenticate(second).key_id == new.key_id
    with pytest.raises(NameTakenByOtherRole):
        store.create(Role.publisher, "analyst-wang", actor=ADMIN)
    store.revoke(old.key_id, actor=ADMIN)
    store.revoke(new.key_id, actor=ADMIN)
    _, publisher = store.create(Role.publisher, "analyst-wang", actor=ADMIN)  # name free again
    assert [k.key_id for k in store.list()] == [old.key_id, new.key_id, publisher.key_id]


def test_keys_are_created_and_revoked_on_the_record(engine):
    store = KeyStore(engine)
    _, key = store.create("officer", "officer-li", actor=ADMIN)
    store.revoke(key.key_id, actor=ADMIN)
    events = AuditLog(engine).events(entity="api_key", entity_id=key.key_id)
    assert [(e.actor, e.action) for e in events] == [
        ("admin-chen", "key.create"),
        ("admin-chen", "key.revoke"),
    ]
    assert events[1].old["revoked_at"] is None and events[1].new["revoked_at"] is not None


def test_unknown_roles_and_empty_names_are_refused(engine):
    store = KeyStore(engine)
    with pytest.raises(ValueError):
        store.create("superuser", "x", actor=ADMIN)
    with pytest.raises(ValueError):
        store.create(Role.officer, "  ", actor=ADMIN)
    assert store.list() == []

"""API keys for the serving tests: every route but health and readiness needs one."""

from __future__ import annotations


def clearance_key(settings) -> str:
    """A new clearance-system key in the ledger of ``settings``."""
    return keys_for(settings, {"test-clearance": "clearance_system"})["test-clearance"]


def keys_for(settings, roles: dict[str, str]) -> dict[str, str]:
    """New keys in the ledger of ``settings``: name → role in, name → key out."""
    from ledger.actors import Actor, Role
    from ledger.store import Ledger

    ledger = Ledger.open(settings.resolved_database_url)
    try:
        return {
            name: ledger.keys.create(Role(role), name, actor=Actor("tests", Role.admin))[0]
            for name, role in roles.items()
        }
    finally:
        ledger.close()


def keyed_client(settings, **kwargs):
    """A test client of the app on ``settings`` that sends a clearance system's key."""
    from fastapi.testclient import TestClient

    from serving.app import create_app

    headers = {"Authorization": f"Bearer {clearance_key(settings)}"}
    return TestClient(create_app(settings), headers=headers, **kwargs)


# One principal per role a test may need, two publishers for four eyes.
PRINCIPALS = {
    "clearance": "clearance_system",
    "officer": "officer",
    "analyst": "analyst",
    "publisher": "publisher",
    "publisher-2": "publisher",
}


def role_keys(settings) -> dict[str, str]:
    """New keys in the ledger of ``settings``, by principal name (``PRINCIPALS``)."""
    from ledger.actors import Actor, Role
    from ledger.store import Ledger

    ledger = Ledger.open(settings.resolved_database_url)
    try:
        return {
            name: ledger.keys.create(Role(role), f"test-{name}", actor=Actor("tests", Role.admin))[
                0
            ]
            for name, role in PRINCIPALS.items()
        }
    finally:
        ledger.close()

"""One API key per role for trying the platform after ``make run`` (Art. 5 roles).

The keys are kept in a git-ignored file under the data folder (``CUSTOMS_RISK_DEMO_KEYS_FILE``),
readable by the owner only, and reused by later runs while they still authenticate. Two
publishers exist so the four-eyes publication of a control instruction can be tried.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from config.settings import Settings
from ledger.actors import Actor, Role
from ledger.database import connect, migrate
from ledger.keys import KeyStore

DEMO_PRINCIPALS: tuple[tuple[str, Role], ...] = (
    ("demo-clearance", Role.clearance_system),
    ("demo-officer", Role.officer),
    ("demo-analyst", Role.analyst),
    ("demo-publisher", Role.publisher),
    ("demo-publisher-2", Role.publisher),
    ("demo-admin", Role.admin),
)

MAKE_RUN = Actor("make run", Role.admin)


def issue_demo_keys(settings: Settings) -> dict[str, str]:
    """Demo principal name → key, creating the keys that do not authenticate any more."""
    path = settings.resolved_demo_keys_file
    engine = connect(settings.resolved_database_url)
    try:
        migrate(engine)
        store = KeyStore(engine)
        kept = json.loads(path.read_text()) if path.exists() else {}
        keys = {}
        for name, role in DEMO_PRINCIPALS:
            key = kept.get(name)
            if key is None or store.authenticate(key) is None:
                key, _ = store.create(role, name, actor=MAKE_RUN)
            keys[name] = key
    finally:
        engine.dispose()
    _write_private(path, json.dumps(keys, indent=1) + "\n")
    return keys


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    tmp.replace(path)

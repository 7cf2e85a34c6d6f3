"""Who acts on the platform: roles (Art. 5), actors and authenticated principals."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a key may do; the API maps each route to the roles allowed on it."""

    # score, read its own decisions, post outcomes and evidence
    clearance_system = "clearance_system"
    officer = "officer"  # examine decisions, record inspection results, review evidence
    analyst = "analyst"  # draft control instructions, expert assessments, risk warnings
    publisher = "publisher"  # publish and revoke instructions (four eyes), emergencies
    admin = "admin"  # keys and operations


@dataclass(frozen=True)
class Actor:
    """Whoever makes a change or reads a record: a key's name and its role, or an
    operator at the command line."""

    name: str
    role: str


@dataclass(frozen=True)
class Principal(Actor):
    """An actor authenticated by an API key (``key_id``: which of the name's keys)."""

    key_id: str

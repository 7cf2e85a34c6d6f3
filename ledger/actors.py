"""Who acts on the platform: roles (Art. 5), actors and authenticated principals."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a key may do; the API maps each route to the roles allowed on it."""

    clearance_system = "clearance_system"  # score, read its own decisions, post outcomes
    officer = "officer"  # examine decisions, record inspection results
    analyst = "analyst"  # draft control instructions
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

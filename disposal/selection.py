"""Random selection by a keyed hash: reproducible, auditable, unpredictable (双随机).

``draw(key, subject, purpose)`` is HMAC-SHA256 under the secret ``key`` (setting
``CUSTOMS_RISK_SELECTION_KEY``) of the purpose and the subject, read as a number uniform
in [0, 1). An item is selected when its draw is below its selection probability.

Why a keyed hash rather than a random number generator:

- **Reproducible and auditable.** The same key, subject and purpose always give the same
  draw, so an auditor holding the key recomputes every selection from the decision record
  and checks that no pick was added or removed by hand.
- **Unpredictable without the secret.** A declarant who knows the subject (a declaration
  number) cannot compute the draw, so cannot time or shape a declaration to escape it.
- **Not re-rollable.** The subject is the declaration's key and the item number, not a
  fresh request id: lodging the same declaration again gives the same draw.

Each use has its own ``purpose`` (random selection, exploration), so its draws are
independent of the others' for the same item.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

import numpy as np

RANDOM_SELECTION = "random-selection"
EXPLORATION = "exploration"
# 53 bits: every draw is an exactly representable double, uniform on a 2^-53 grid.
_BITS = 53


def draw(key: str, subject: str, purpose: str) -> float:
    """Uniform in [0, 1) from HMAC-SHA256(key, purpose ␟ subject)."""
    return float(draws(key, [subject], purpose)[0])


def draws(key: str, subjects: Iterable[str], purpose: str) -> np.ndarray:
    """``draw`` for many subjects (the key's HMAC state is prepared once)."""
    # The unit separator keeps (purpose, subject) pairs apart: "ab"+"c" is not "a"+"bc".
    keyed = hmac.new(key.encode(), f"{purpose}\x1f".encode(), hashlib.sha256)
    values = []
    for subject in subjects:
        mac = keyed.copy()
        mac.update(subject.encode())
        values.append(int.from_bytes(mac.digest()[:8], "big") >> (64 - _BITS))
    return np.array(values, dtype=float) / 2.0**_BITS


def item_subject(decision_key: str, item_no: int) -> str:
    """The subject of a goods item's draw: its declaration's key and its number."""
    return f"{decision_key}:{item_no}"

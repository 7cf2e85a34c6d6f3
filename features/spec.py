"""Feature spec: the frozen encoding that turns feature columns into a model matrix.

Categorical vocabularies are learned from the training rows and saved with the model,
so serving encodes a request exactly as training did. A level never seen in training
becomes missing (NaN), which LightGBM routes like a missing value.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.definitions import CATEGORICAL_FEATURES, FEATURE_NAMES, FEATURES_BY_NAME


@dataclass(frozen=True)
class FeatureSpec:
    """Ordered feature names and categorical vocabularies (level → integer code)."""

    names: tuple[str, ...]
    vocabularies: dict[str, dict[str, int]]

    def __post_init__(self) -> None:
        # Reverse vocabularies, derived once: reasons decode several values per request.
        inverse = {n: {c: lvl for lvl, c in v.items()} for n, v in self.vocabularies.items()}
        object.__setattr__(self, "_inverse", inverse)

    @classmethod
    def fit(cls, features: pd.DataFrame | Mapping[str, np.ndarray]) -> FeatureSpec:
        """Learn vocabularies from training features (levels sorted for determinism)."""
        vocabularies = {}
        for name in CATEGORICAL_FEATURES:
            levels = sorted({str(v) for v in np.asarray(features[name], dtype=object) if v})
            vocabularies[name] = {level: i for i, level in enumerate(levels)}
        return cls(FEATURE_NAMES, vocabularies)

    @property
    def categorical_indices(self) -> list[int]:
        return [i for i, n in enumerate(self.names) if n in self.vocabularies]

    def encode(self, features: pd.DataFrame | Mapping[str, np.ndarray]) -> np.ndarray:
        """Model matrix (rows × features, float64) in spec order."""
        n = len(features[self.names[0]])
        matrix = np.empty((n, len(self.names)), dtype=np.float64)
        for j, name in enumerate(self.names):
            column = features[name]
            if name in self.vocabularies:
                vocab = self.vocabularies[name]
                matrix[:, j] = [vocab.get(v, np.nan) for v in np.asarray(column, dtype=object)]
            else:
                matrix[:, j] = np.asarray(column, dtype=np.float64)
        return matrix

    def decode_value(self, name: str, value: float):
        """Human-readable value of one encoded feature (categorical level or number)."""
        if name in self.vocabularies:
            if value != value:
                return None
            return self._inverse[name].get(int(value))
        return None if value != value else float(value)

    def label(self, name: str, lang: str = "en") -> str:
        """The feature's reviewer label in ``lang`` ("zh-CN" or "en"). English by default:
        the scoring API's reasons carry the English label."""
        return FEATURES_BY_NAME[name].label_in(lang)

    def to_dict(self) -> dict:
        return {"names": list(self.names), "vocabularies": self.vocabularies}

    @classmethod
    def from_dict(cls, data: dict) -> FeatureSpec:
        return cls(tuple(data["names"]), {k: dict(v) for k, v in data["vocabularies"].items()})

    def fingerprint(self) -> str:
        """Short hash of the spec: two models agree on inputs iff their fingerprints match."""
        payload = json.dumps(self.to_dict(), sort_keys=True).encode()
        return hashlib.sha256(payload).hexdigest()[:16]

"""The risk model as served: per-category boosters, calibrators, level cut-offs, spec.

A :class:`RiskModel` is what MLflow registers (as the artifacts of a pyfunc model) and
what the API loads. Scoring uses the LightGBM booster directly on a numpy matrix:
``pred_contrib`` gives TreeSHAP contributions (identical to shap's TreeExplainer) whose
sum is the raw log-odds, so one booster call yields both the score and its reasons.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.stats import beta

from features.spec import FeatureSpec
from models.calibration import Calibrator

# Levels 1-4 follow inspection capacity c (the share of declarations customs can
# inspect, ``CUSTOMS_RISK_INSPECTION_CAPACITY``): level 3 and above = the top c of recent
# declarations by probability, level 4 the top c/5 (immediate attention), level 2 the top
# 4c (document checks). With c = 5 %: top 1 % / 5 % / 20 %.


def level_top_shares(capacity: float) -> tuple[float, float, float]:
    """Shares of declarations at level ≥ 2, ≥ 3 and 4 for an inspection capacity."""
    if not 0 < capacity <= 0.2:
        raise ValueError("inspection capacity must be in (0, 0.2]")
    return (4 * capacity, capacity, capacity / 5)


BUNDLE_FORMAT = 1


@dataclass
class CategoryModel:
    """One Art. 2 category's calibrated model."""

    category: str
    booster: lgb.Booster
    calibrator: Calibrator
    level_cutoffs: list[float]  # calibrated probability at which levels 2, 3, 4 start
    metrics: dict = field(default_factory=dict)
    # Calibration support (Art. 16): held-out rows per probability bin and their findings.
    support: dict = field(default_factory=dict)

    def uncertainty(self, probability: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per score: held-out rows behind its calibration bin, and a 90 % interval.

        The interval is the Jeffreys interval of the bin's observed finding rate: narrow
        where many held-out declarations with this score were seen, wide where few were.
        """
        edges, counts, low, high = self._support_bins()
        index = np.clip(np.searchsorted(edges, probability, side="right") - 1, 0, len(counts) - 1)
        return counts[index], low[index], high[index]

    def _support_bins(self):
        # Bins are fixed once trained: compute their intervals once, not per request.
        cached = self.__dict__.get("_bins")
        if cached is None:
            edges = np.asarray(self.support.get("edges", [0.0]), dtype=float)
            n = np.asarray(self.support.get("counts", [0]), dtype=float)
            k = np.asarray(self.support.get("positives", [0]), dtype=float)
            low = np.where(k > 0, beta.ppf(0.05, k + 0.5, n - k + 0.5), 0.0)
            high = np.where(k < n, beta.ppf(0.95, k + 0.5, n - k + 0.5), 1.0)
            cached = (edges, n, np.nan_to_num(low), np.nan_to_num(high, nan=1.0))
            self.__dict__["_bins"] = cached
        return cached

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """TreeSHAP contributions in log-odds; the last column is the expected value."""
        return np.asarray(self.booster.predict(matrix, pred_contrib=True))

    def probability_from_contributions(self, contributions: np.ndarray) -> np.ndarray:
        """Calibrated probability from TreeSHAP contributions (they sum to the raw score)."""
        return self.calibrator.apply(contributions.sum(axis=1))

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated probability of a finding in this category."""
        return self.calibrator.apply(self.booster.predict(matrix, raw_score=True))

    def level(self, probability: np.ndarray) -> np.ndarray:
        """Risk level 1-4 from the calibrated probability."""
        return 1 + np.searchsorted(self.level_cutoffs, probability, side="right")


@dataclass
class RiskModel:
    """All category models plus what is needed to read them."""

    spec: FeatureSpec
    categories: dict[str, CategoryModel]
    not_scored: dict[str, str]  # category → why it has no model (e.g. too few labels)
    metadata: dict = field(default_factory=dict)
    # cut-offs of the probability of any finding, for the overall level
    overall_cutoffs: list[float] = field(default_factory=list)

    def overall(self, probabilities: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Probability of a finding in any scored category, and its level 1-4.

        Categories are combined as if independent given the declaration; the overall level
        uses its own capacity cut-offs, so its shares match the capacity instead of
        growing with the number of categories (as a maximum of levels would).
        """
        if not probabilities:
            return np.zeros(0), np.zeros(0, dtype=int)
        clear = np.prod([1.0 - p for p in probabilities.values()], axis=0)
        overall = 1.0 - clear
        return overall, 1 + np.searchsorted(self.overall_cutoffs, overall, side="right")

    def predict_proba(self, matrix: np.ndarray) -> dict[str, np.ndarray]:
        """Calibrated probabilities per scored category for an encoded matrix."""
        return {c: m.probability(matrix) for c, m in self.categories.items()}

    def probability_table(self, features: pd.DataFrame) -> pd.DataFrame:
        """``probability_<category>`` columns for rows of (unencoded) features."""
        probabilities = self.predict_proba(self.spec.encode(features))
        return pd.DataFrame({f"probability_{c}": p for c, p in probabilities.items()})

    def save(self, directory: Path) -> Path:
        """Write the bundle as plain files: model.json, spec.json, boosters/<category>.txt."""
        directory = Path(directory)
        (directory / "boosters").mkdir(parents=True, exist_ok=True)
        for category, model in self.categories.items():
            model.booster.save_model(str(directory / "boosters" / f"{category}.txt"))
        (directory / "spec.json").write_text(json.dumps(self.spec.to_dict(), indent=1))
        manifest = {
            "format": BUNDLE_FORMAT,
            "metadata": self.metadata,
            "not_scored": self.not_scored,
            "overall_cutoffs": self.overall_cutoffs,
            "categories": {
                c: {
                    "calibrator": m.calibrator.to_dict(),
                    "level_cutoffs": m.level_cutoffs,
                    "support": m.support,
                    "metrics": m.metrics,
                }
                for c, m in self.categories.items()
            },
        }
        (directory / "model.json").write_text(json.dumps(manifest, indent=1, default=str))
        return directory

    @classmethod
    def load(cls, directory: Path) -> RiskModel:
        """Read a bundle written by :meth:`save`."""
        directory = Path(directory)
        manifest = json.loads((directory / "model.json").read_text())
        if manifest.get("format") != BUNDLE_FORMAT:
            raise ValueError(f"unsupported model bundle format {manifest.get('format')!r}")
        spec = FeatureSpec.from_dict(json.loads((directory / "spec.json").read_text()))
        categories = {
            c: CategoryModel(
                c,
                lgb.Booster(model_file=str(directory / "boosters" / f"{c}.txt")),
                Calibrator.from_dict(entry["calibrator"]),
                list(entry["level_cutoffs"]),
                entry.get("metrics", {}),
                entry.get("support", {}),
            )
            for c, entry in manifest["categories"].items()
        }
        return cls(
            spec,
            categories,
            manifest["not_scored"],
            manifest["metadata"],
            manifest["overall_cutoffs"],
        )

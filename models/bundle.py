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

from features.spec import FeatureSpec
from models.calibration import Band, Calibrator

# Levels 1-4 follow inspection capacity c (the share of declarations customs can
# inspect, ``CUSTOMS_RISK_INSPECTION_CAPACITY``): level 3 and above = at most the top c of
# recent declarations by probability, level 4 at most the top c/5 (immediate attention),
# level 2 at most the top 4c (document checks). With c = 5 %: top 1 % / 5 % / 20 %.
#
# A probability p is at level k when p is strictly above level k's cut-off (and not above
# level k+1's). So p = 0 is always level 1 (cut-offs are never negative), and declarations
# tied at a cut-off all take the lower level: ties never push a level past its share.
# Cut-offs are observed recent probabilities and never decrease with the level; where two
# are equal, the level between them holds no recent declaration and is marked
# indistinguishable (``CategoryModel.indistinct_levels``) rather than silently empty.


def level_top_shares(capacity: float) -> tuple[float, float, float]:
    """Shares of declarations at level ≥ 2, ≥ 3 and 4 for an inspection capacity."""
    if not 0 < capacity <= 0.2:
        raise ValueError("inspection capacity must be in (0, 0.2]")
    return (4 * capacity, capacity, capacity / 5)


def level_cutoffs(probabilities: np.ndarray, shares: tuple[float, ...]) -> list[float]:
    """Cut-offs of levels 2, 3, 4 from recent declarations' probabilities: per top share,
    the lowest recent probability with at most that share of declarations strictly above
    it (so ties at the cut-off stay below; 0 when the share reaches the zeros)."""
    descending = np.sort(np.asarray(probabilities, dtype=float))[::-1]
    if not len(descending):
        raise ValueError("no recent probabilities to set level cut-offs on")
    cutoffs = []
    for share in shares:
        allowed = int(np.floor(share * len(descending) + 1e-9))  # rows that may be above
        cutoff = descending[allowed] if allowed < len(descending) else 0.0
        cutoffs.append(max(float(cutoff), 0.0))
    return cutoffs


def levels(cutoffs: list[float], probability: np.ndarray) -> np.ndarray:
    """Level 1-4: one plus the number of cut-offs strictly below the probability."""
    return 1 + np.searchsorted(cutoffs, probability, side="left")


def indistinct_levels(cutoffs: list[float], probabilities: np.ndarray) -> list[int]:
    """Levels 2-4 that no recent declaration reaches: ties (equal cut-offs, or a tie block
    wider than the level's share) leave them nothing to distinguish."""
    counts = np.bincount(levels(cutoffs, probabilities), minlength=5)
    return [k for k in (2, 3, 4) if counts[k] == 0]


BUNDLE_FORMAT = 1
REFERENCE_SCORES_FILE = "reference_scores.parquet"


@dataclass
class CategoryModel:
    """One Art. 2 category's calibrated model."""

    category: str
    booster: lgb.Booster
    calibrator: Calibrator
    level_cutoffs: list[float]  # calibrated probability above which levels 2, 3, 4 start
    metrics: dict = field(default_factory=dict)
    # Calibration support (Art. 16): held-out rows per probability bin and their findings.
    support: dict = field(default_factory=dict)
    # 90 % band of the calibration map (bootstrap of the calibration window); None in a
    # bundle trained before it existed: its interval is then [0, 1] (nothing known).
    band: Band | None = None
    indistinct_levels: list[int] = field(default_factory=list)  # no recent declaration

    def uncertainty(
        self, raw_score: np.ndarray, probability: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per score: held-out rows behind its calibration bin, and the 90 % interval of the
        calibrated probability (the bootstrap band of the calibration map, holding the
        served probability)."""
        support = self.calibration_support(probability)
        if self.band is None:
            return support, np.zeros_like(probability), np.ones_like(probability)
        low, high = self.band.interval(raw_score, probability)
        return support, low, high

    def calibration_support(self, probability: np.ndarray) -> np.ndarray:
        """Held-out rows whose calibrated score fell in the same bin as each probability."""
        edges = self.__dict__.get("_edges")
        if edges is None:  # fixed once trained: convert once, not per request
            edges = np.asarray(self.support.get("edges", [0.0]), dtype=float)
            counts = np.asarray(self.support.get("counts", [0]), dtype=int)
            self.__dict__["_edges"], self.__dict__["_counts"] = edges, counts
        # edges[0] is 0 and probabilities are not negative: the index is a bin's
        index = np.searchsorted(edges, probability, side="right") - 1
        return self.__dict__["_counts"][np.maximum(index, 0)]

    def contributions(self, matrix: np.ndarray) -> np.ndarray:
        """TreeSHAP contributions in log-odds; the last column is the expected value."""
        return np.asarray(self.booster.predict(matrix, pred_contrib=True))

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Calibrated probability of a finding in this category."""
        return self.calibrator.apply(self.booster.predict(matrix, raw_score=True))

    def level(self, probability: np.ndarray) -> np.ndarray:
        """Risk level 1-4 from the calibrated probability (level k above its cut-off)."""
        return levels(self.level_cutoffs, probability)


@dataclass
class RiskModel:
    """All category models plus what is needed to read them."""

    spec: FeatureSpec
    categories: dict[str, CategoryModel]
    not_scored: dict[str, str]  # category → why it has no model (e.g. too few labels)
    metadata: dict = field(default_factory=dict)
    # cut-offs of the probability of any finding, by the capacity like a category's
    overall_cutoffs: list[float] = field(default_factory=list)
    # Recent declarations' calibrated probabilities (the period that set the cut-offs), for
    # policies that derive their own thresholds from the score distribution: columns
    # ``probability_<category>``, ``consignee_credit_level``, ``low_support``, ``hs_code``.
    reference_scores: pd.DataFrame = field(default_factory=pd.DataFrame)

    @staticmethod
    def combined_probability(probabilities: dict[str, np.ndarray]) -> np.ndarray:
        """Probability of a finding in any category, the categories taken as independent."""
        return 1.0 - np.prod([1.0 - p for p in probabilities.values()], axis=0)

    def overall(
        self,
        probabilities: dict[str, np.ndarray],
        category_levels: dict[str, np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Probability of a finding in any scored category, and the overall level.

        The overall level is the highest of the categories' levels and the level of the
        combined probability (by its own capacity cut-offs): it never hides a category's
        level, and it still rises when several moderate risks add up. ``category_levels``
        saves recomputing levels the caller already has.
        """
        if not probabilities:
            return np.zeros(0), np.zeros(0, dtype=int)
        if category_levels is None:
            category_levels = {c: self.categories[c].level(p) for c, p in probabilities.items()}
        combined = self.combined_probability(probabilities)
        combined_level = levels(self.overall_cutoffs, combined)
        return combined, np.max([*category_levels.values(), combined_level], axis=0)

    def predict_proba(self, matrix: np.ndarray) -> dict[str, np.ndarray]:
        """Calibrated probabilities per scored category for an encoded matrix."""
        return {c: m.probability(matrix) for c, m in self.categories.items()}

    def probability_table(self, features: pd.DataFrame) -> pd.DataFrame:
        """``probability_<category>`` columns for rows of (unencoded) features."""
        probabilities = self.predict_proba(self.spec.encode(features))
        return pd.DataFrame({f"probability_{c}": p for c, p in probabilities.items()})

    def save(self, directory: Path) -> Path:
        """Write the bundle as plain files: model.json, spec.json, boosters/<category>.txt,
        reference_scores.parquet."""
        directory = Path(directory)
        (directory / "boosters").mkdir(parents=True, exist_ok=True)
        for category, model in self.categories.items():
            model.booster.save_model(str(directory / "boosters" / f"{category}.txt"))
        (directory / "spec.json").write_text(json.dumps(self.spec.to_dict(), indent=1))
        self.reference_scores.to_parquet(directory / REFERENCE_SCORES_FILE, index=False)
        manifest = {
            "format": BUNDLE_FORMAT,
            "metadata": self.metadata,
            "not_scored": self.not_scored,
            "overall_cutoffs": self.overall_cutoffs,
            "categories": {
                c: {
                    "calibrator": m.calibrator.to_dict(),
                    "level_cutoffs": m.level_cutoffs,
                    "indistinct_levels": m.indistinct_levels,
                    "support": m.support,
                    "band": m.band.to_dict() if m.band else None,
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
                Band.from_dict(entry["band"]) if entry.get("band") else None,
                list(entry.get("indistinct_levels", [])),
            )
            for c, entry in manifest["categories"].items()
        }
        reference = directory / REFERENCE_SCORES_FILE
        return cls(
            spec,
            categories,
            manifest["not_scored"],
            manifest["metadata"],
            manifest["overall_cutoffs"],
            pd.read_parquet(reference) if reference.exists() else pd.DataFrame(),
        )

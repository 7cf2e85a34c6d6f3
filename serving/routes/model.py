"""The served model, described: what a caller's scores come from."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from serving.dependencies import AppSettings, Holder, ServedModel
from serving.security import principal

# Any role may read what it is being scored with; a key is still needed (Art. 5).
router = APIRouter(prefix="/v1", tags=["scoring"], dependencies=[Depends(principal)])
REPORTED_TEST_METRICS = (
    "auc_roc",
    "auc_pr",
    "ece",
    "ece_relative",
    "observed_to_expected",
    "observed_to_expected_low",
    "observed_to_expected_high",
    "interval_coverage",
    "brier",
    "precision_at",
)


@router.get("/model")
def model_info(loaded: ServedModel, holder: Holder, settings: AppSettings) -> dict:
    """The served model: version, categories, metrics, where it was loaded from, and
    the last failed reload (null once a reload succeeds)."""
    error, error_at = holder.last_error, holder.last_error_at
    scorer = loaded.scorer
    return {
        "model_name": settings.model_name,
        "alias": settings.model_alias,
        "model_version": scorer.model_version,
        "thresholds_version": scorer.thresholds_version,
        "source": loaded.source,
        "loaded_at": loaded.loaded_at,
        "last_reload_error": {"error": error, "at": error_at} if error else None,
        "categories": {
            c: {
                "level_cutoffs": m.level_cutoffs,
                "indistinct_levels": m.indistinct_levels,
                "calibration": m.calibrator.method,
                "test_metrics": {k: m.metrics.get(k) for k in REPORTED_TEST_METRICS},
            }
            for c, m in scorer.model.categories.items()
        },
        "not_scored": scorer.model.not_scored,
        "features": list(scorer.model.spec.names),
        "entity_state_built_through": scorer.state.built_through,
        "trained": scorer.model.metadata,
    }

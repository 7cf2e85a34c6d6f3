"""Per-declaration reasons: the top TreeSHAP contributions, labelled for reviewers.

Contributions come from LightGBM's TreeSHAP (``pred_contrib``), the same values shap's
TreeExplainer computes, in log-odds of the uncalibrated model.
"""

from __future__ import annotations

import numpy as np

from features.spec import FeatureSpec
from models.decision import Reason


def reasons(
    contributions: np.ndarray, row: np.ndarray, spec: FeatureSpec, top: int
) -> list[Reason]:
    """Top contributions (by magnitude) of one declaration, with reviewer labels.

    ``contributions`` is one row of ``pred_contrib`` (last entry = expected value);
    ``row`` the encoded feature values.
    """
    per_feature = contributions[:-1]
    order = np.argsort(-np.abs(per_feature), kind="stable")[:top]
    return [
        Reason.trusted(
            feature=spec.names[j],
            label=spec.label(spec.names[j]),
            value=spec.decode_value(spec.names[j], row[j]),
            contribution=round(float(per_feature[j]), 6),
        )
        for j in order
        if per_feature[j] != 0.0
    ]

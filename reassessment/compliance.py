"""How compliant the declared goods are, estimated without the model's selection bias.

Targeted inspections find violations where the model and the rules already look, so
their hit rate says nothing about the goods nobody inspects. Random selection (双随机,
Art. 7 and 16) draws items with a known probability π, independent of the score: weighting
each random pick by 1/π (the Hájek inverse-probability-weighted estimator) estimates the
finding rate of *all* declared items, per risk category and credit level. The naive rate
among every inspected item is reported beside it, to show how far selection moves it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy.stats import beta, norm

from reassessment.effectiveness import credit_names
from sources.contracts import RISK_CATEGORIES

ALL_LEVELS = "all"
INTERVAL = 0.90


@dataclass(frozen=True)
class ComplianceEstimate:
    """Estimated finding rate of one category among declared items of one credit level."""

    category: str
    credit_level: str
    random_picks: int  # matured random selections behind the estimate
    findings: int
    estimate: float  # inverse-probability-weighted finding rate (NaN without random picks)
    low: float  # 90 % interval
    high: float
    naive_rate: float  # finding rate among all inspected items (selection-biased)
    inspected: int

    def to_dict(self) -> dict:
        return asdict(self)


def ipw_rate(found: np.ndarray, probability: np.ndarray) -> tuple[float, float, float]:
    """Hájek estimate of a rate from draws with inclusion ``probability``, and its 90 %
    interval. With one probability for all draws this is the plain rate, and the interval
    is Jeffreys'; otherwise a normal interval on the linearised variance."""
    n = len(found)
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    y = found.astype(float)
    weight = 1.0 / probability
    estimate = float(np.sum(weight * y) / np.sum(weight))
    if np.allclose(probability, probability[0]):
        k = y.sum()
        tail = (1 - INTERVAL) / 2
        low = beta.ppf(tail, k + 0.5, n - k + 0.5) if k > 0 else 0.0
        high = beta.ppf(1 - tail, k + 0.5, n - k + 0.5) if k < n else 1.0
        return estimate, float(low), float(high)
    share = weight / weight.sum()
    se = float(np.sqrt(np.sum(share**2 * (y - estimate) ** 2)))
    z = norm.ppf(0.5 + INTERVAL / 2)
    return estimate, max(0.0, estimate - z * se), min(1.0, estimate + z * se)


def matured_inspections(
    declarations: pd.DataFrame, outcomes: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """Inspected items declared before ``as_of`` whose outcome was known by then, with the
    consignee's credit level name (``declarations`` carries ``consignee_credit_level``)."""
    keys = ["declaration_id", "item_no"]
    items = declarations.loc[declarations["declared_at"] < as_of, [*keys, "consignee_credit_level"]]
    items = items.assign(credit=credit_names(items["consignee_credit_level"]))
    known = outcomes[outcomes["outcome_known_at"] < as_of]
    return items.merge(known, on=keys, how="inner")


def compliance_estimates(inspected: pd.DataFrame) -> list[ComplianceEstimate]:
    """Estimates per category, for every credit level and for all levels together.

    ``inspected``: matured inspection outcomes joined to their items, with
    ``selection_reason``, ``selection_probability``, ``credit`` (the Order No. 282 name)
    and the ``finding_<category>`` columns. Only ``random`` picks with a recorded
    probability enter the estimate: exploration draws sample low-support items only, so
    they do not represent the declared goods.
    """
    random = inspected[
        (inspected["selection_reason"] == "random") & inspected["selection_probability"].gt(0)
    ]
    groups = [(ALL_LEVELS, random, inspected)] + [
        (level, random[random["credit"] == level], inspected[inspected["credit"] == level])
        for level in sorted(inspected["credit"].dropna().unique())
    ]
    estimates = []
    for level, picks, everything in groups:
        probability = picks["selection_probability"].to_numpy(dtype=float)
        for category in RISK_CATEGORIES:
            column = f"finding_{category}"
            found = picks[column].to_numpy(dtype=bool)
            estimate, low, high = ipw_rate(found, probability)
            naive = everything[column].to_numpy(dtype=bool)
            estimates.append(
                ComplianceEstimate(
                    category=category,
                    credit_level=level,
                    random_picks=len(found),
                    findings=int(found.sum()),
                    estimate=estimate,
                    low=low,
                    high=high,
                    naive_rate=float(naive.mean()) if len(naive) else float("nan"),
                    inspected=len(naive),
                )
            )
    return estimates

"""Shared inputs of the disposal tests: the shipped configuration, hand-made items and a
synthetic score sample shaped like a month of the demo's scored goods items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from config.settings import declared_default
from disposal.catalogue import MeasureCatalogue
from disposal.items import ItemAssessment
from disposal.policy import DisposalPolicy, PolicyThresholds, derive_thresholds
from sources.contracts import CREDIT_LEVELS, RISK_CATEGORIES

KEY = "test-selection-key-0123456789"
AT = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
# The generator's Order No. 282 mix (sources.generator.CREDIT_SHARES), best to worst.
CREDIT_SHARES = (0.05, 0.10, 0.825, 0.02, 0.005)
# Mean probability of a finding per category, and how credit shifts the odds of one.
BASE_RATES = dict(zip(RISK_CATEGORIES, (0.006, 0.003, 0.01, 0.01, 0.02, 0.04, 0.012), strict=True))
CREDIT_ODDS = (0.5, 0.7, 1.0, 2.5, 4.0)


def catalogue() -> MeasureCatalogue:
    return MeasureCatalogue.load(declared_default("measure_catalogue"))


def policy(cat: MeasureCatalogue | None = None) -> DisposalPolicy:
    return DisposalPolicy.load(declared_default("disposal_policy"), cat or catalogue())


def synthetic_scores(n: int, seed: int, start: datetime = AT) -> pd.DataFrame:
    """n scored goods items over 10 days: Beta-distributed calibrated probabilities (a
    long right tail, as real scores), credit levels in the demo's mix, 8 % low-support."""
    rng = np.random.default_rng(seed)
    credit = rng.choice(len(CREDIT_LEVELS), size=n, p=CREDIT_SHARES)
    declaration = np.arange(n) // 3  # three goods items per declaration, lodged at once
    lodged = rng.uniform(0, 10 * 86400, declaration[-1] + 1)[declaration]
    frame = pd.DataFrame(
        {
            "declaration_id": [f"D{seed:03d}{d:07d}" for d in declaration],
            "item_no": np.arange(n) % 3 + 1,
            "declared_at": pd.Timestamp(start.replace(tzinfo=None))
            + pd.to_timedelta(lodged.round(), unit="s"),
            "hs_code": rng.choice(
                [
                    "0207120000",
                    "0303890000",
                    "8471300000",
                    "6403990000",
                    "3004909000",
                    "1001990000",
                    "4403990000",
                ],
                size=n,
            ),
            "origin_country": rng.choice(["BR", "US", "DE", "VN", "TH"], size=n),
            "consignee_id": [f"C{c:05d}" for c in rng.integers(0, 3000, n)],
            "declarant_id": [f"B{c:04d}" for c in rng.integers(0, 200, n)],
            "port_code": rng.choice(["2200", "5100", "4200"], size=n),
            "trade_mode": rng.choice(["0110", "9610", "1210"], size=n),
            "value_cny": rng.lognormal(10, 1.5, n),
            "declared_duty_cny": rng.lognormal(10, 1.5, n) * rng.choice([0.0, 0.05, 0.1], n),
            "consignee_credit_level": np.array(CREDIT_LEVELS, dtype=object)[credit],
            "low_support": rng.random(n) < 0.08,
        }
    )
    odds_factor = np.array(CREDIT_ODDS)[credit]
    for category, rate in BASE_RATES.items():
        shape = 0.4
        p = rng.beta(shape, shape * (1 - rate) / rate, n)
        odds = p / (1 - p) * odds_factor
        frame[f"probability_{category}"] = odds / (1 + odds)
        frame[f"level_{category}"] = levels(frame[f"probability_{category}"].to_numpy())
    return frame


def levels(p: np.ndarray) -> np.ndarray:
    """Levels as the models set them: top 1 % → 4, top 5 % → 3, top 20 % → 2."""
    cuts = np.quantile(p, [0.80, 0.95, 0.99])
    return 1 + (p > cuts[0]) + (p > cuts[1]) + (p > cuts[2])


def thresholds_for(
    pol: DisposalPolicy, cat: MeasureCatalogue, reference: pd.DataFrame
) -> PolicyThresholds:
    return derive_thresholds(pol, reference, catalogue=cat, reference_id="synthetic")


def item(item_no: int = 1, **changes) -> ItemAssessment:
    """A hand-made goods item: low scores, regular consignee, frozen chicken from Brazil."""
    fields = {
        "item_no": item_no,
        "hs_code": "0207120000",
        "origin_country": "BR",
        "consignee_id": "91310000MA1FL0001X",
        "declarant_id": "91310000MA1FL0002Y",
        "port_code": "2200",
        "trade_mode": "0110",
        "value_cny": 120_000.0,
        "probabilities": dict.fromkeys(RISK_CATEGORIES, 0.001),
        "levels": dict.fromkeys(RISK_CATEGORIES, 1),
        "low_support": False,
        "credit_level": "regular",
        "declared_duty_cny": 6_000.0,
    }
    return ItemAssessment(**(fields | changes))


def at(days: float = 0.0) -> datetime:
    return AT + timedelta(days=days)

"""The selection loop on the public KCS data: a world nobody here wrote.

As the public simulation does it (Kim et al.): the train file is the warm-up, every row of
it labelled (KCS inspected them all); the valid file is cut into weekly batches, and a
row's label is revealed only when the simulated policy selects it, after the label delay.
KCS's labels stand in for the generator's truth: ``Fraud`` is a revenue violation,
``Critical Fraud`` one of the prohibited-or-restricted category (the mapping of
``sources.kcs``); an inspection finds what the label says. Duty at stake is the proxy the
KCS benchmark uses, ``Item Price × Tax Rate`` on fraud rows (the files hold no recovered
amount). KCS has no credit history or monitoring data: the default policy treats every
importer as unrated (``unrated_credit_level``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sources import kcs
from sources.contracts import RISK_CATEGORIES
from sources.generator import GeneratedData

# The public simulation's inspection rate (normalised revenue "at 10 % inspection").
KCS_CAPACITY = 0.10


@dataclass(frozen=True)
class KcsWorld:
    """The KCS files as a backtest world: sources, truth, and the first simulated day."""

    data: GeneratedData
    warmup_end: pd.Timestamp
    weeks: int


def kcs_truth(raw: pd.DataFrame, declarations: pd.DataFrame, delay_days: float) -> pd.DataFrame:
    """Per row: what an inspection finds (the labels), the duty at stake, the delay."""
    labels = kcs.labels(raw)
    flags = {c: np.zeros(len(raw), dtype=bool) for c in RISK_CATEGORIES}
    for target, category in kcs.TARGETS.items():
        flags[category] = labels[target].to_numpy() == 1
    price = raw["Item Price"].astype(float).to_numpy()
    stake = price * raw["Tax Rate"].astype(float).to_numpy() / 100.0 * kcs.KRW_TO_CNY
    return pd.DataFrame(
        {
            "declaration_id": declarations["declaration_id"].to_numpy(),
            "item_no": declarations["item_no"].to_numpy(),
            "declared_at": declarations["declared_at"].to_numpy(),
            **{f"violation_{c}": flags[c] for c in RISK_CATEGORIES},
            **{f"detectable_{c}": flags[c] for c in RISK_CATEGORIES},
            "duty_at_stake_cny": np.where(flags["revenue"], stake, 0.0),
            "outcome_delay_s": delay_days * 86_400.0,
        }
    )


def kcs_world(
    train_path: Path, valid_path: Path, delay_days: float = kcs.DEFAULT_LABEL_DELAY_DAYS
) -> KcsWorld:
    """Train rows as legacy labels; valid rows as the simulated weeks (its whole period)."""
    train, valid = kcs.read_kcs(train_path), kcs.read_kcs(valid_path)
    raw = pd.concat([train, valid], ignore_index=True)
    declarations = kcs.to_declarations(raw)
    if declarations["declaration_id"].duplicated().any():
        raise ValueError("KCS declaration ids repeat across the train and valid files")
    legacy = kcs.to_inspection_outcomes(
        declarations.iloc[: len(train)], kcs.labels(train), delay_days
    )
    warmup_end = declarations["declared_at"].iloc[len(train) :].min().normalize()
    last = declarations["declared_at"].max().normalize() + pd.Timedelta(days=1)
    data = GeneratedData(
        declarations=declarations,
        credit_history=kcs.empty("credit_history"),
        monitoring=kcs.empty("monitoring"),
        inspection_outcomes=legacy,
        truth=kcs_truth(raw, declarations, delay_days),
    )
    return KcsWorld(data, warmup_end, weeks=int(np.ceil((last - warmup_end).days / 7)))

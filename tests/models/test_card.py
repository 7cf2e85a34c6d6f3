"""The model card states the levels of the capacity the model was trained with, calibration
relative to the base rate, the interval's coverage and the levels ties left empty."""

from types import SimpleNamespace

import numpy as np

from models.bundle import CategoryModel, RiskModel, level_top_shares
from models.card import model_card
from models.metrics import classification_report, interval_coverage
from models.training import TrainingResult


def _result(capacity: float) -> TrainingResult:
    metadata = {
        "as_of": "2025-12-31",
        "feature_fingerprint": "abc",
        "windows": {"test": ("2025-11-01", "2025-12-31")},
        "rows": {"test": 100},
        "inspection_capacity": capacity,
        "level_top_shares": list(level_top_shares(capacity)),
    }
    reason = "only 3 labelled positives in the training window"
    model = RiskModel(SimpleNamespace(names=["a"]), {}, {"ipr": reason}, metadata)
    report = {"ipr": {"status": "not_scored", "reason": reason, "positives": {"train": 3}}}
    return TrainingResult(model, report, metadata["windows"], None, {})


def test_card_levels_follow_the_inspection_capacity():
    card = model_card(_result(0.02))
    levels = "Levels (inspection capacity 2 %): at most 4 = top 0.4 %, 3 = top 2 %, 2 = top 8 %"
    assert levels in card
    assert "top 1 %" not in card and "top 20 %" not in card
    default = model_card(_result(0.05))
    assert "4 = top 1 %, 3 = top 5 %, 2 = top 20 %" in default


def test_card_shows_calibration_relative_to_the_base_rate_and_indistinct_levels():
    result = _result(0.05)
    y = np.zeros(1000)
    y[:10] = 1
    p = np.full(1000, 0.05)  # five-fold over-prediction on a 1 % base rate
    entry = {
        "status": "scored",
        "feature_view": "with_history",
        "calibration": "sigmoid",
        **classification_report(y, p),
        **interval_coverage(y, p, p * 0.8, p * 1.2),
    }
    result.report["food_safety"] = entry
    result.model.categories["food_safety"] = CategoryModel(
        "food_safety", None, None, [0.01, 0.3, 0.3], indistinct_levels=[3]
    )
    card = model_card(result)
    row = next(line for line in card.splitlines() if line.startswith("| food_safety |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[9:13] == [
        "0.0400",
        "4.00",
        "0.20 (0.10–0.37), 10 / 50.0",
        "0/10 (exact: 0.33); consistent 1/10",
    ]
    assert "- **food_safety**: level 3" in card

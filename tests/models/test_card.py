"""The model card states the levels of the capacity the model was trained with."""

from types import SimpleNamespace

from models.bundle import RiskModel, level_top_shares
from models.card import model_card
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
    assert "Levels (inspection capacity 2 %): 4 = top 0.4 %, 3 = top 2 %, 2 = top 8 %" in card
    assert "top 1 %" not in card and "top 20 %" not in card
    default = model_card(_result(0.05))
    assert "4 = top 1 %, 3 = top 5 %, 2 = top 20 %" in default

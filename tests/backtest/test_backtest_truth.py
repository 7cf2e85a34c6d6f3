"""The generator's truth is kept apart: it explains the legacy outcomes exactly, never
reaches a source, the lake or a module outside the backtest, and features and models are
the same whether it exists or not."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.compute import build_entity_state, feature_frame
from models.training import TrainingConfig, train_risk_model
from sources.contracts import CONTRACTS, RISK_CATEGORIES
from sources.generator import GeneratorConfig, generate
from sources.lake import replace_layer

ROOT = Path(__file__).resolve().parents[2]
TINY = GeneratorConfig(n_declarations=15_000, months=10, start="2025-01-01", seed=11)
# Enough inspected findings for a few categories to get a model.
WORLD = GeneratorConfig(n_declarations=30_000, months=12, start="2025-01-01", seed=7)
KEYS = ["declaration_id", "item_no"]
# Names that exist only for the truth: reading any of them outside the generator and the
# backtest would let the world's answers leak into what the platform learns or shows.
TRUTH_NAMES = ("truth", "truth_frame", "detectable_", "violation_", "duty_at_stake_cny")
MAY_READ_TRUTH = ("sources.generator", "backtest")


@pytest.fixture(scope="module")
def tiny():
    return generate(TINY)


def test_truth_covers_every_item_and_explains_the_legacy_findings(tiny):
    truth, declarations = tiny.truth, tiny.declarations
    pd.testing.assert_frame_equal(truth[KEYS], declarations[KEYS].astype(truth[KEYS].dtypes))
    found = tiny.inspection_outcomes.merge(truth, on=KEYS, how="left", validate="1:1")
    for c in RISK_CATEGORIES:
        assert (found[f"finding_{c}"] == found[f"detectable_{c}"]).all(), c
        assert not (truth[f"detectable_{c}"] & ~truth[f"violation_{c}"]).any(), c
    np.testing.assert_allclose(found["duty_recovered_cny"], found["duty_at_stake_cny"])
    # Most violations are never inspected: the truth knows far more than the outcomes.
    assert truth["violation_revenue"].sum() > 3 * found["finding_revenue"].sum()
    assert (truth["duty_at_stake_cny"] > 0).sum() > found["duty_recovered_cny"].gt(0).sum()


def test_truth_is_no_source_and_never_reaches_the_lake(tiny, tmp_path):
    frames = tiny.frames()
    assert set(frames) == set(CONTRACTS)
    for name, frame in frames.items():
        leaked = [c for c in frame.columns if c.startswith(TRUTH_NAMES[2:])]
        assert not leaked, (name, leaked)
        assert not [c.name for c in CONTRACTS[name].columns if c.name.startswith(TRUTH_NAMES[2:])]
    paths = replace_layer(frames, tmp_path / "raw")
    written = {p.name for p in (tmp_path / "raw").rglob("*") if p.is_file()}
    assert written == {Path(p).name for p in paths.values()}
    assert not any("truth" in name for name in written)


def _reads_truth(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr in TRUTH_NAMES[:2]:
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in TRUTH_NAMES[:2]:
            found.append(f"line {node.lineno}: {node.id}")
        elif isinstance(node, ast.Constant) and str(node.value).startswith(TRUTH_NAMES[2:]):
            found.append(f"line {node.lineno}: {node.value!r}")
    return found


def test_nothing_outside_the_generator_and_the_backtest_reads_the_truth():
    packages = ["features", "models", "disposal", "ledger", "reassessment", "serving"]
    packages += ["pipelines", "customs_risk"]
    readers = {}
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            if module.startswith(MAY_READ_TRUTH):
                continue
            if hits := _reads_truth(path):
                readers[module] = hits
    # models.benchmark names the KCS file's own labels "truth": a public dataset's labels,
    # not the generator's; it reads none of the truth frame's columns.
    assert set(readers) <= {"models.benchmark"}, readers
    assert not [h for h in readers.get("models.benchmark", []) if "'" in h], readers


def _features_and_model(data):
    s = data.frames()
    state = build_entity_state(
        s["declarations"], s["credit_history"], s["monitoring"], s["inspection_outcomes"]
    )
    features = feature_frame(s["declarations"], state)
    as_of = features["declared_at"].max()
    config = TrainingConfig(
        min_positives=15,
        lgbm_params={**TrainingConfig().lgbm_params, "n_estimators": 60, "learning_rate": 0.2},
        early_stopping_rounds=10,
        feature_views=("with_history",),
        interval_resamples=10,
    )
    model = train_risk_model(features, s["inspection_outcomes"], as_of, config).model
    return features, model.predict_proba(model.spec.encode(features))


def test_features_and_model_are_identical_with_or_without_the_truth():
    seen = generate(WORLD)
    blind = generate(WORLD)
    blind.truth = blind.truth.iloc[0:0]  # the world as the platform sees it: no truth
    assert not seen.truth.empty
    for name, frame in seen.frames().items():
        pd.testing.assert_frame_equal(frame, blind.frames()[name], check_exact=True)
    features, scores = _features_and_model(seen)
    blind_features, blind_scores = _features_and_model(blind)
    pd.testing.assert_frame_equal(features, blind_features, check_exact=True)
    assert scores.keys() == blind_scores.keys() and scores
    for category, probability in scores.items():
        np.testing.assert_array_equal(probability, blind_scores[category])


def test_the_api_does_not_import_the_backtest():
    importers = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "serving").rglob("*.py"))
        if "backtest" in path.read_text()
    ]
    assert not importers

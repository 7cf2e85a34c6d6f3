"""The keyed-hash draw: reproducible, in [0, 1), uniform and independent across purposes."""

from __future__ import annotations

from functools import cache

import numpy as np
from disposal_samples import KEY
from scipy.stats import kstest

from disposal.capacity import binomial_interval
from disposal.selection import EXPLORATION, RANDOM_SELECTION, draw, draws, item_subject

SUBJECTS = [item_subject(f"D{i:08d}", i % 5 + 1) for i in range(20_000)]


@cache
def subject_draws(purpose: str) -> np.ndarray:
    return draws(KEY, SUBJECTS, purpose)


def test_draw_is_reproducible_and_keyed():
    first = draw(KEY, "D00000001:1", RANDOM_SELECTION)
    assert draw(KEY, "D00000001:1", RANDOM_SELECTION) == first
    assert 0.0 <= first < 1.0
    assert draw(KEY + "x", "D00000001:1", RANDOM_SELECTION) != first  # the secret matters
    assert draw(KEY, "D00000001:2", RANDOM_SELECTION) != first
    assert draw(KEY, "D00000001:1", EXPLORATION) != first
    assert draws(KEY, ["D00000001:1"], RANDOM_SELECTION)[0] == first


def test_purpose_and_subject_do_not_run_together():
    # Plain concatenation would make ("ab", "c") and ("a", "bc") the same message.
    assert draw(KEY, "c", "ab") != draw(KEY, "bc", "a")


def test_draws_are_uniform():
    values = subject_draws(RANDOM_SELECTION)
    assert values.min() >= 0.0 and values.max() < 1.0
    assert kstest(values, "uniform").pvalue > 0.001


def test_selected_share_is_within_sampling_error_of_the_probability():
    for probability in (0.002, 0.03, 0.8):
        selected = int((subject_draws(RANDOM_SELECTION) < probability).sum())
        low, high = binomial_interval(selected, len(SUBJECTS), confidence=0.999)
        assert low <= probability <= high, probability


def test_purposes_are_independent():
    random_pick = subject_draws(RANDOM_SELECTION) < 0.3
    explored = subject_draws(EXPLORATION) < 0.3
    both = int((random_pick & explored).sum())
    low, high = binomial_interval(both, len(SUBJECTS), confidence=0.999)
    assert low <= 0.3 * 0.3 <= high
    assert abs(np.corrcoef(random_pick, explored)[0, 1]) < 0.03

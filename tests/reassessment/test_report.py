"""The HTML monitoring report colours inputs as the assessment judged them."""

import re

from config.settings import Settings
from reassessment import alert_policy, drift_measures
from reassessment.report import render_html


def _feature(name, psi, p=1e-12):
    return drift_measures.FeatureDrift(name, "numeric", psi, p, "ks", 0.0, 0.0)


def _report(inputs, key) -> dict:
    thresholds = alert_policy.Thresholds.for_settings(Settings())
    assessment = alert_policy.assess(inputs, [], [], [], key, thresholds, 1000)
    window = {"start": "2025-07-07", "end": "2025-07-14", "rows": 1000}
    return {
        "window": window,
        "reference": {**window, "start": "2025-06-01"},
        "inspection_rate": 0.05,
        "key_inputs": sorted(key),
        **assessment.to_dict(),
        "thresholds": thresholds.__dict__,
        "inputs": [f.to_dict() for f in inputs],
        "trending_inputs": [],
        "scores": [],
        "quality": [],
        "outcomes": [],
        "reconciliation": [],
    }


def _row_class(html: str, feature: str) -> str:
    row = re.search(rf'<tr( class="(\w+)")?><td class="l">{feature}</td>', html)
    assert row, feature
    return row.group(2) or ""


def test_input_rows_are_coloured_by_the_assessment_not_by_psi_alone():
    inputs = [
        _feature("key_shift", 0.4),  # key, large and significant: alert
        _feature("other_shift", 0.4),  # not key: a drifted input alone only warns
        _feature("noisy_shift", 0.4, p=0.5),  # large PSI, not significant: warns
        _feature("small_shift", 0.15),  # between warn and alert PSI: warns
        _feature("stable", 0.01),
    ]
    report = _report(inputs, ["key_shift"])
    html = render_html(report)
    classes = {f.feature: _row_class(html, f.feature) for f in inputs}
    assert classes == {
        "key_shift": "alert",
        "other_shift": "warn",
        "noisy_shift": "warn",
        "small_shift": "warn",
        "stable": "",
    }

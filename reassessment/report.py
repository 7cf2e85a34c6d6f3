"""A monitoring window's report as one self-contained HTML page (no scripts, no assets).

Written for a reviewer: the decision and its rule first, then the signals, the scores,
the outcomes (matured vs pending), and the full input and data-quality tables.
"""

from __future__ import annotations

from html import escape

from models.metrics import format_metric

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}
h1{font-size:1.4em} h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:3px 7px;text-align:right}
th{background:#f3f3f3} td.l,th.l{text-align:left}
.alert{background:#fbe3e3} .warn{background:#fff6d6} .ok{background:#e6f4e6}
.status{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:bold}
p.note{font-size:.85em;color:#555}
"""


def _fmt(value, digits: int = 3) -> str:
    return escape(format_metric(value, digits, small_as_exponent=True))


def _table(headers: list[str], rows: list[list], classes: list[str] | None = None) -> str:
    head = "".join(
        f'<th class="{"l" if i == 0 else ""}">{escape(h)}</th>' for i, h in enumerate(headers)
    )
    body = []
    for r, row in enumerate(rows):
        css = f' class="{classes[r]}"' if classes and classes[r] else ""
        cells = "".join(
            f'<td class="{"l" if i == 0 else ""}">{_fmt(v)}</td>' for i, v in enumerate(row)
        )
        body.append(f"<tr{css}>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


SCORE_COLUMNS = [
    ("category", "category"),
    ("PSI", "psi"),
    ("KS p", "p_value"),
    ("mean ref.", "mean_reference"),
    ("mean window", "mean_window"),
    ("cut-off", "cutoff"),
    ("flagged ref.", "flag_rate_reference"),
    ("flagged window", "flag_rate_window"),
]
OUTCOME_COLUMNS = [
    ("category", "category"),
    ("matured", "matured"),
    ("pending", "pending"),
    ("findings", "positives"),
    ("expected", "expected_positives"),
    ("O/E", "observed_to_expected"),
    ("O/E low (95 %)", "observed_to_expected_low"),
    ("O/E high", "observed_to_expected_high"),
    ("z", "calibration_z"),
    ("ECE", "ece"),
    ("ECE / base rate", "ece_relative"),
    ("flagged matured", "flagged_matured"),
    ("precision (matured)", "precision_at_rate"),
    ("flagged pending", "flagged_pending"),
    ("expected precision (pending)", "pending_expected_precision"),
    ("precision incl. estimate", "precision_with_pending_estimate"),
]
RECONCILIATION_COLUMNS = [
    ("category", "category"),
    ("window start", "window_start"),
    ("window end", "window_end"),
    ("flagged pending then", "flagged_pending_then"),
    ("estimated precision", "estimated_precision"),
    ("matured since", "matured_since"),
    ("realised precision", "realised_precision"),
    ("still pending", "still_pending"),
]
INPUT_COLUMNS = [
    ("input", "feature"),
    ("kind", "kind"),
    ("key", "key"),
    ("PSI", "psi"),
    ("test", "test"),
    ("p", "p_value"),
    ("nulls ref.", "null_rate_reference"),
    ("nulls window", "null_rate_window"),
    ("unseen levels (share)", "new_level_share"),
    ("unseen levels", "unseen"),
]
TRENDING_COLUMNS = [("input", "feature"), ("PSI", "psi"), ("KS p", "p_value")]
QUALITY_COLUMNS = [
    ("column", "column"),
    ("nulls ref.", "null_rate_reference"),
    ("nulls window", "null_rate_window"),
    ("out of contract ref.", "out_of_contract_reference"),
    ("out of contract window", "out_of_contract_window"),
]


def _records(records: list[dict], columns: list[tuple[str, str]], classes=None) -> str:
    return _table(
        [header for header, _ in columns],
        [[record.get(key) for _, key in columns] for record in records],
        classes,
    )


def render_html(report: dict) -> str:
    """The report of :func:`reassessment.monitoring_window.monitor_window` (plus
    ``model``) as HTML."""
    window, reference = report["window"], report["reference"]
    model = report.get("model", {})
    status = report["status"]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Drift report {escape(window['start'])}</title><style>{_STYLE}</style></head>",
        "<body><h1>Customs risk monitoring — GACC Order No. 271 Art. 18</h1>",
        f"<p><span class='status {escape(status if status != 'insufficient' else 'warn')}'>"
        f"{escape(status.upper())}</span></p>",
        _table(
            ["", "from", "to", "declarations"],
            [
                ["window", window["start"], window["end"], window["rows"]],
                ["reference", reference["start"], reference["end"], reference["rows"]],
            ],
        ),
        f"<p>Model <b>{escape(str(model.get('name', '')))}</b> version "
        f"<b>{escape(str(model.get('version', '')))}</b>, trained as of "
        f"{escape(str(model.get('as_of', '')))}. Operating inspection rate "
        f"{report['inspection_rate']:.0%}. Key inputs: {escape(', '.join(report['key_inputs']))}."
        "</p>",
        f"<p class='note'>Rule: {escape(report['rule'])}</p>",
        "<h2>Signals</h2>",
    ]
    signals = report["signals"]
    if signals:
        parts.append(
            _table(
                ["signal", "level", "detail"],
                [[f"{s['kind']}: {s['name']}", s["level"], s["detail"]] for s in signals],
                [s["level"] for s in signals],
            )
        )
    else:
        parts.append("<p>No signal: inputs, scores, data quality and outcomes are stable.</p>")

    parts.append("<h2>Scores (calibrated probability per category)</h2>")
    parts.append(_records(report["scores"], SCORE_COLUMNS))
    parts.append("<h2>Outcomes (inspected items of the window)</h2>")
    parts.append(
        "<p class='note'>Matured = outcome known before the window's end; pending = not yet. "
        "Flagged = probability at or above the cut-off of the operating inspection rate. "
        "The pending estimate is the mean calibrated probability of flagged pending items; "
        "it is reconciled below as their labels arrive.</p>"
    )
    parts.append(_records(report["outcomes"], OUTCOME_COLUMNS))
    if report["reconciliation"]:
        parts.append("<h2>Reconciliation of earlier estimates</h2>")
        parts.append(_records(report["reconciliation"], RECONCILIATION_COLUMNS))

    key = set(report["key_inputs"])
    inputs = [dict(f) for f in report["inputs"]]
    inputs.sort(key=lambda f: -(f["psi"] if f["psi"] == f["psi"] else 0))
    for f in inputs:
        f["key"] = "yes" if f["feature"] in key else ""
        f["unseen"] = ", ".join(list(f["new_levels"])[:5])
    # Colour as the assessment judged each input (key or not, significant or not), not by
    # PSI alone: a large but non-key or non-significant shift only warns.
    judged = {s["name"]: s["level"] for s in signals if s["kind"] == "input"}
    levels = [judged.get(f["feature"], "") for f in inputs]
    parts.append("<h2>Inputs (assessed)</h2>")
    parts.append(_records(inputs, INPUT_COLUMNS, levels))
    parts.append(
        "<h2>Ages and all-history counts (reported, not assessed)</h2>"
        "<p class='note'>They grow with the calendar, so their distribution always moves.</p>"
    )
    parts.append(_records(report["trending_inputs"], TRENDING_COLUMNS))
    parts.append("<h2>Data quality (declarations contract)</h2>")
    parts.append(_records(report["quality"], QUALITY_COLUMNS))
    reevaluation = report.get("reevaluation")
    if reevaluation:
        parts.append("<h2>Re-evaluation</h2>")
        parts.append(f"<pre>{escape(str(reevaluation.get('summary', reevaluation)))}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)

"""The model card: what a trained risk model is, how well it did, and what it cannot do."""

from __future__ import annotations

from models.bundle import RiskModel
from models.metrics import format_metric
from models.training import TrainingResult

_TABLE_HEADER = [
    "| category | status | features | calibration | AUC-ROC | AUC-PR | P@1% | P@5% | P@10% | "
    "ECE | Brier | positives |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
]


def _percent(share: float) -> str:
    return f"{100 * share:.3g} %"


def _levels(top_shares: list[float]) -> str:
    """``level_top_shares`` (levels ≥ 2, ≥ 3, 4) as "4 = top 1 %, 3 = top 5 %, 2 = top 20 %"."""
    by_level = zip((2, 3, 4), top_shares, strict=True)
    return ", ".join(f"{level} = top {_percent(share)}" for level, share in reversed([*by_level]))


def model_card(result: TrainingResult) -> str:
    """Markdown model card of a training result (logged to MLflow, shipped in the bundle)."""
    model = result.model
    lines = [
        *_header(model),
        "",
        "## Per category, test window",
        "",
        *_TABLE_HEADER,
        *(_category_row(category, entry) for category, entry in result.report.items()),
        *_unscored_and_revenue(model),
        "",
        "## Reading the numbers",
        "",
        *_reading_notes(model.metadata),
        "",
        "## Limits",
        "",
        "- Trained on the project's synthetic data unless stated otherwise; planted mechanisms "
        "are documented in docs/synthetic-data.md.",
        "- A category with too few labelled positives is not scored rather than guessed.",
    ]
    return "\n".join(lines) + "\n"


def _header(model: RiskModel) -> list[str]:
    meta = model.metadata
    return [
        "# Customs risk model card",
        "",
        f"- Trained as of **{meta['as_of']}** (labels: inspection outcomes known by then).",
        f"- Feature spec `{meta['feature_fingerprint']}`, {len(model.spec.names)} features.",
        "- Windows (declaration time): "
        + "; ".join(
            f"{name} {lo} → {hi} ({meta['rows'][name]} labelled items)"
            for name, (lo, hi) in meta["windows"].items()
        ),
    ]


def _category_row(category: str, entry: dict) -> str:
    """One category's row of the test-window table."""
    if entry.get("status") != "scored":
        return (
            f"| {category} | **not scored** | — | — | — | — | — | — | — | — | — | "
            f"{entry['positives']} |"
        )
    p = entry["precision_at"]
    return (
        f"| {category} | scored | {entry.get('feature_view', '—')} | {entry['calibration']} | "
        + " | ".join(
            format_metric(value, digits)
            for value, digits in (
                (entry["auc_roc"], 3),
                (entry["auc_pr"], 3),
                (p["1"], 3),
                (p["5"], 3),
                (p["10"], 3),
                (entry["ece"], 4),
                (entry["brier"], 4),
            )
        )
        + f" | {entry['positives']} |"
    )


def _unscored_and_revenue(model: RiskModel) -> list[str]:
    """Why categories have no model, and the revenue model's share of recovered duty."""
    lines = []
    if model.not_scored:
        lines += ["", "## Categories without a model", ""]
        lines += [f"- **{c}**: {reason}" for c, reason in model.not_scored.items()]
    if "revenue" in model.categories:
        captured = model.categories["revenue"].metrics.get("duty_recovered_at", {})
        lines += [
            "",
            "Revenue: share of the test window's recovered duty among the top-ranked "
            "items: " + ", ".join(f"{r} % → {format_metric(v)}" for r, v in captured.items()),
        ]
    return lines


def _reading_notes(meta: dict) -> list[str]:
    return [
        "- Metrics are on **inspected** items only: the legacy selection policy chose them, so "
        "they are not a random sample of all declarations. Where the test window holds enough "
        "randomly selected inspections, `random_sample` metrics in the run's report are the "
        "unbiased view.",
        "- Precision at n %: share of findings among the n % highest-scored test items.",
        f"- Levels (inspection capacity {_percent(meta['inspection_capacity'])}): "
        f"{_levels(meta['level_top_shares'])} of the test period's declarations "
        "(all declarations, inspected or not), by calibrated probability.",
        "- Reasons are TreeSHAP contributions in log-odds of the uncalibrated model.",
        "- Features: each category's model was fitted on each feature view ("
        + ", ".join(meta.get("feature_views_compared", []))
        + ") and keeps the first unless another ranked the held-out calibration window "
        f"better in at least {meta.get('feature_view_confidence', 0.9):.0%} of paired "
        "bootstrap resamples; a `declaration_only` model reads the declaration alone (no "
        "entity or route history).",
        "- The served trees were fitted on the "
        + " + ".join(meta.get("served_model_fitted_on", ["train"]))
        + " window(s); calibrators only ever saw held-out scores, and the test window was "
        "never fitted on.",
    ]

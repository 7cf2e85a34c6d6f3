"""The model card: what a trained risk model is, how well it did, and what it cannot do."""

from __future__ import annotations

from models.bundle import RiskModel
from models.metrics import format_metric
from models.training import TrainingResult

_TABLE_HEADER = [
    "| category | status | features | calibration | AUC-ROC | AUC-PR | P@1% | P@5% | P@10% | "
    "ECE | ECE / base rate | observed / expected (95 %) | interval coverage | Brier | "
    "positives |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
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
        *_indistinct_levels(model),
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
        return f"| {category} | **not scored** |{' — |' * 12} {entry['positives']} |"
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
                (entry.get("ece_relative"), 2),
            )
        )
        + f" | {_observed_expected(entry)} | {_coverage(entry)} | "
        + f"{format_metric(entry['brier'], 4)} | {entry['positives']} |"
    )


def _observed_expected(entry: dict) -> str:
    """ "0.93 (0.71–1.20), 37 / 39.8": O/E, its Poisson interval, the counts."""
    if "observed_to_expected" not in entry:
        return "—"
    return (
        f"{format_metric(entry['observed_to_expected'], 2)} "
        f"({format_metric(entry['observed_to_expected_low'], 2)}–"
        f"{format_metric(entry['observed_to_expected_high'], 2)}), "
        f"{entry['observed']:.0f} / {entry['expected']:.1f}"
    )


def _coverage(entry: dict) -> str:
    """Groups whose findings the 90 % intervals hold (against the share exact probabilities
    would reach), and the groups consistent with them given the counts' noise."""
    if "interval_coverage" not in entry:
        return "—"
    groups = int(entry["interval_groups"])
    covered = round(entry["interval_coverage"] * groups)
    consistent = round(entry["interval_consistency"] * groups)
    return (
        f"{covered}/{groups} (exact: {format_metric(entry['interval_coverage_if_exact'], 2)}); "
        f"consistent {consistent}/{groups}"
    )


def _indistinct_levels(model: RiskModel) -> list[str]:
    """Levels no recent declaration reached: ties at the cut-offs left nothing to tell."""
    found = {c: m.indistinct_levels for c, m in model.categories.items() if m.indistinct_levels}
    overall = model.metadata.get("overall_indistinct_levels", [])
    if overall:
        found["overall"] = overall
    if not found:
        return []
    return [
        "",
        "## Levels that cannot be distinguished",
        "",
        "Ties among recent probabilities left these levels without any recent declaration "
        "(a tie at a cut-off stays at the lower level, so no level exceeds its share):",
        "",
        *(f"- **{name}**: level {', '.join(map(str, ks))}" for name, ks in found.items()),
    ]


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
        "- Calibration relative to the base rate: ECE / base rate, and observed / expected "
        "findings (O/E: findings over the sum of probabilities; in brackets the 95 % Poisson "
        "interval). An absolute ECE of 0.03 can hide a five-fold over-prediction on a 1 % "
        "base rate; O/E cannot.",
        "- Interval coverage: test items sorted by probability, cut into equal groups; a group "
        "is covered when its finding count lies between the sums of the lower and upper ends "
        "of the 90 % intervals. A count has its own sampling noise, so even exact "
        "probabilities leave small groups uncovered: *exact* is the share that findings drawn "
        "from the probabilities themselves would cover, the yardstick; *consistent* counts "
        "groups whose range overlaps the count's 90 % Poisson interval.",
        f"- Levels (inspection capacity {_percent(meta['inspection_capacity'])}): at most "
        f"{_levels(meta['level_top_shares'])} of the test period's declarations "
        "(all declarations, inspected or not), by calibrated probability; level k when the "
        "probability is strictly above its cut-off (ties stay at the lower level, 0 is level "
        "1). The overall level is the highest of the categories' levels and the level of the "
        "combined probability.",
        "- Reasons are TreeSHAP contributions in log-odds of the uncalibrated model.",
        "- Features: each category's model was fitted on each feature view ("
        + ", ".join(meta.get("feature_views_compared", []))
        + ") and keeps the first unless another ranked the held-out calibration window "
        f"better in at least {meta.get('feature_view_confidence', 0.9):.0%} of paired "
        "bootstrap resamples; a `declaration_only` model reads the declaration alone (no "
        "entity or route history).",
        "- The served trees were fitted on the "
        + " + ".join(meta.get("served_model_fitted_on", ["train"]))
        + " window(s) and calibrated on the calibration window's scores of those very trees "
        "(held out from them); the test window was never fitted on.",
    ]

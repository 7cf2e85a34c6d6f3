"""The data of the "Model and monitoring" page, as typed values a template renders.

Read from what the pipeline already wrote, files only (no MLflow call: the page renders
while the tracking store is down):

- the served model: the local copy of its bundle (``CUSTOMS_RISK_MODEL_CACHE_DIR``):
  ``model.json`` (per-category test-window metrics, level cut-offs, training metadata),
  ``model_card.md`` and ``registry.json`` (version and training run);
- monitoring: the window reports kept in the lake (``reassessment.history``), for the
  served model and for ``make run``'s drift demo (its own sub-project and model);
- effectiveness: the latest monthly effectiveness report kept in the lake (``make run``
  writes it; ``customs-risk effectiveness`` refreshes it).

Series are :class:`TimeSeries` of :class:`SeriesPoint` (``x``: ISO date of a window's
start, or a month "2025-07"; ``y`` None = no value): the workbench charts take them as
they are (``serving.workbench.charts.line_chart``). Keys (categories, inputs, selection
reasons, credit levels) are the platform's identifiers, for the page to translate;
``label`` is the English label where the catalogue has one.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from urllib.parse import quote

from config.settings import Settings
from features.definitions import FEATURES_BY_NAME
from reassessment.alert_policy import SEGMENT
from reassessment.compliance import ComplianceEstimate
from reassessment.history import (
    DRIFT_DEMO_FOLDER,
    DRIFT_DEMO_REPORT,
    drift_demo_model_name,
    load_effectiveness_report,
    load_window_reports,
)
from reassessment.promotion import PROMOTED_CHALLENGER
from sources.contracts import CREDIT_LEVELS, RISK_CATEGORIES, SELECTION_REASONS

SEGMENT_LABEL = "Route (HS chapter × origin)"
SIGNAL_RANK = {"alert": 0, "warn": 1}  # inputs that alerted first, then those that warned


def _number(value) -> float | None:
    """A float, or None where the reports hold nothing, NaN or infinity."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class SeriesPoint:
    x: str  # ISO date of the window's start ("2026-03-30"), or the month ("2026-03")
    y: float | None  # None: no value (e.g. no matured label that week)
    low: float | None = None  # interval, where the measure has one (O/E: 95 % Poisson)
    high: float | None = None
    note: str | None = None  # counts behind the value, e.g. "37 / 39.8" findings / expected


@dataclass(frozen=True)
class TimeSeries:
    key: str  # category, input, selection reason or credit level (untranslated identifier)
    label: str  # English label (the feature catalogue's for inputs), else the key
    points: tuple[SeriesPoint, ...]

    @property
    def name(self) -> str:  # what the charts call a series' name
        return self.label


# --- the served model -----------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryMetrics:
    """One category of the served model on its test window (never fitted on)."""

    category: str
    scored: bool
    not_scored_reason: str | None  # why there is no model (too few labelled positives)
    feature_view: str | None  # with_history | declaration_only
    calibration: str | None  # sigmoid | isotonic | temperature
    test_rows: int | None
    positives: int | None
    prevalence: float | None
    auc_roc: float | None
    auc_pr: float | None
    precision_at: dict[str, float | None]  # share of findings among the top "1", "5", "10" %
    ece: float | None
    ece_relative: float | None  # ECE / base rate
    brier: float | None
    observed: float | None  # findings
    expected: float | None  # Σ calibrated probability
    observed_to_expected: float | None
    observed_to_expected_low: float | None  # 95 % Poisson interval
    observed_to_expected_high: float | None
    interval_coverage: float | None  # groups whose findings the 90 % intervals hold
    level_cutoffs: tuple[float, ...]  # calibrated probability above which levels 2, 3, 4 start
    indistinct_levels: tuple[int, ...]


@dataclass(frozen=True)
class ServedModelSummary:
    """The served model as its local copy describes it."""

    name: str
    version: str | None
    trained_as_of: str
    windows: dict[str, tuple[str, str]]  # train / early_stopping / calibration / test
    rows: dict[str, int]  # labelled items per window
    feature_count: int
    feature_fingerprint: str | None
    inspection_capacity: float | None
    categories: tuple[CategoryMetrics, ...]  # scored first, in the contract's order
    model_card: str | None  # Markdown (``models.card``)
    run_id: str | None  # the MLflow training run (None in a copy made before it was kept)
    run_url: str | None  # None unless CUSTOMS_RISK_MLFLOW_UI_URL is set
    model_url: str | None  # the registered version in the MLflow UI


def mlflow_run_url(base: str | None, run_id: str | None) -> str | None:
    """The MLflow UI page of a run (its route without the experiment), or None."""
    return f"{base.rstrip('/')}/#/runs/{quote(run_id)}" if base and run_id else None


def mlflow_model_url(base: str | None, name: str, version: str | None) -> str | None:
    """The MLflow UI page of a registered model version, or None."""
    if not (base and version):
        return None
    return f"{base.rstrip('/')}/#/models/{quote(name)}/versions/{quote(str(version))}"


_TEST_NUMBERS = (
    "prevalence",
    "auc_roc",
    "auc_pr",
    "ece",
    "ece_relative",
    "brier",
    "observed",
    "expected",
    "observed_to_expected",
    "observed_to_expected_low",
    "observed_to_expected_high",
    "interval_coverage",
)


def _category_metrics(category: str, entry: dict | None, not_scored: dict) -> CategoryMetrics:
    entry = entry or {}
    metrics = entry.get("metrics", {})
    numbers = {key: _number(metrics.get(key)) for key in _TEST_NUMBERS}
    positives = metrics.get("positives")
    return CategoryMetrics(
        category=category,
        scored=bool(entry),
        not_scored_reason=not_scored.get(category),
        feature_view=metrics.get("feature_view"),
        calibration=(entry.get("calibrator") or {}).get("method") or metrics.get("calibration"),
        test_rows=metrics.get("rows"),
        positives=int(positives) if positives is not None else None,
        precision_at={k: _number(v) for k, v in metrics.get("precision_at", {}).items()},
        **numbers,
        level_cutoffs=tuple(float(c) for c in entry.get("level_cutoffs", [])),
        indistinct_levels=tuple(int(k) for k in entry.get("indistinct_levels", [])),
    )


def served_model_summary(
    bundle_dir: Path, model_name: str, mlflow_ui_url: str | None = None
) -> ServedModelSummary | None:
    """The served model from its local copy (``model.json``, ``registry.json``,
    ``model_card.md``); None when there is no copy yet."""
    bundle_dir = Path(bundle_dir)
    if not (bundle_dir / "model.json").exists():
        return None
    manifest = json.loads((bundle_dir / "model.json").read_text(encoding="utf-8"))
    registry = bundle_dir / "registry.json"
    info = json.loads(registry.read_text(encoding="utf-8")) if registry.exists() else {}
    card = bundle_dir / "model_card.md"
    meta, entries = manifest.get("metadata", {}), manifest.get("categories", {})
    not_scored = manifest.get("not_scored", {})
    ordered = [c for c in RISK_CATEGORIES if c in entries]
    ordered += [c for c in RISK_CATEGORIES if c not in entries and c in not_scored]
    ordered += [c for c in {**entries, **not_scored} if c not in ordered]
    name, version = info.get("model_name", model_name), info.get("version")
    return ServedModelSummary(
        name=name,
        version=str(version) if version is not None else None,
        trained_as_of=str(meta.get("as_of", "")),
        windows={k: (str(v[0]), str(v[1])) for k, v in meta.get("windows", {}).items()},
        rows=dict(meta.get("rows", {})),
        feature_count=len(meta.get("feature_names", [])),
        feature_fingerprint=meta.get("feature_fingerprint"),
        inspection_capacity=_number(meta.get("inspection_capacity")),
        categories=tuple(_category_metrics(c, entries.get(c), not_scored) for c in ordered),
        model_card=card.read_text(encoding="utf-8") if card.exists() else None,
        run_id=info.get("run_id"),
        run_url=mlflow_run_url(mlflow_ui_url, info.get("run_id")),
        model_url=mlflow_model_url(mlflow_ui_url, name, version),
    )


# --- monitoring windows --------------------------------------------------------------------


@dataclass(frozen=True)
class DriftWindow:
    """One monitoring window: what was decided and what followed."""

    start: str  # ISO date: the x of the window in every drift series
    end: str
    rows: int  # declarations in the window
    status: str  # ok | warn | alert | insufficient
    alert_signals: tuple[str, ...]  # e.g. "input:route", "outcome:ipr"
    warnings: int  # signals that only warned
    model_version: str  # the champion it was measured against
    drift_since: str | None  # start of the episode of alerting windows
    reevaluation: str | None  # promoted challenger | kept champion | skipped: … | None
    challenger_version: str | None
    run_id: str | None  # the window's MLflow run (HTML report: drift/report.html)
    run_url: str | None


@dataclass(frozen=True)
class ChampionChange:
    """A new champion: a window's re-evaluation promoted its challenger, or a window was
    measured against another champion than the one before (a rollback, a promotion made
    elsewhere)."""

    x: str  # the promoting window's end, else the start of the first window measured
    version_before: str
    version_after: str


@dataclass(frozen=True)
class DriftHistory:
    """Monitoring windows of one registered model, oldest first, and their series."""

    model_name: str
    windows: tuple[DriftWindow, ...]
    input_psi: tuple[TimeSeries, ...]  # inputs that alerted or warned first, by highest PSI
    score_psi: tuple[TimeSeries, ...]  # per category: PSI of the calibrated probability
    score_mean: tuple[TimeSeries, ...]  # per category: mean calibrated probability
    flag_rate: tuple[TimeSeries, ...]  # per category: share at or above the operating cut-off
    observed_expected: tuple[TimeSeries, ...]  # per category, matured labels, 95 % interval
    champion_changes: tuple[ChampionChange, ...]
    psi_warn: float
    psi_alert: float
    score_psi_alert: float
    inspection_rate: float  # the reference's flag rate, by construction of the cut-off
    shift_date: str | None = None  # the planted shift (drift demo only)
    reference: dict[str, str] = field(default_factory=dict)  # latest window's reference


def _day(moment: str) -> str:
    return str(moment)[:10]


def _drift_window(report: dict, mlflow_ui_url: str | None) -> DriftWindow:
    reevaluation = report.get("reevaluation") or {}
    signals = report.get("signals", [])
    return DriftWindow(
        start=_day(report["window"]["start"]),
        end=_day(report["window"]["end"]),
        rows=int(report["window"]["rows"]),
        status=report["status"],
        alert_signals=tuple(report.get("alert_signals", [])),
        warnings=sum(1 for s in signals if s.get("level") == "warn"),
        model_version=str(report.get("model", {}).get("version", "")),
        drift_since=_day(report["drift_since"]) if report.get("drift_since") else None,
        reevaluation=reevaluation.get("outcome"),
        challenger_version=reevaluation.get("challenger_version"),
        run_id=report.get("mlflow_run_id"),
        run_url=mlflow_run_url(mlflow_ui_url, report.get("mlflow_run_id")),
    )


def _per_category(reports: list[dict], rows: str, point) -> tuple[TimeSeries, ...]:
    """One series per category over the windows: ``point(entry)`` of each row of
    ``report[rows]`` (a window without the row has no value)."""
    categories = []
    for report in reports:
        categories += [
            e["category"] for e in report.get(rows, []) if e["category"] not in categories
        ]
    series = []
    for category in categories:
        points = []
        for report in reports:
            x = _day(report["window"]["start"])
            entry = next((e for e in report.get(rows, []) if e["category"] == category), None)
            points.append(point(x, entry) if entry else SeriesPoint(x, None))
        series.append(TimeSeries(category, category, tuple(points)))
    return tuple(series)


def _score_point(key: str):
    """Reads ``key`` of a window's score row as the window's point."""

    def point(x: str, entry: dict) -> SeriesPoint:
        return SeriesPoint(x, _number(entry.get(key)))

    return point


def _observed_expected_point(x: str, entry: dict) -> SeriesPoint:
    if not entry.get("matured"):
        return SeriesPoint(x, None, note="0 matured")
    return SeriesPoint(
        x,
        _number(entry.get("observed_to_expected")),
        _number(entry.get("observed_to_expected_low")),
        _number(entry.get("observed_to_expected_high")),
        f"{entry['positives']} / {entry['expected_positives']:.1f}",
    )


def _input_label(name: str) -> str:
    if name == SEGMENT:
        return SEGMENT_LABEL
    feature = FEATURES_BY_NAME.get(name)
    return feature.label if feature is not None else name


def _input_psi(reports: list[dict], limit: int) -> tuple[TimeSeries, ...]:
    """The ``limit`` inputs that alerted, else warned, in any window, else moved most;
    ties by their highest PSI."""
    rank: dict[str, tuple[int, float]] = {}
    for report in reports:
        levels = {s["name"]: s["level"] for s in report["signals"] if s["kind"] == "input"}
        for entry in report.get("inputs", []):
            name, psi = entry["feature"], _number(entry["psi"]) or 0.0
            level = SIGNAL_RANK.get(levels.get(name, ""), len(SIGNAL_RANK))
            best = rank.get(name, (len(SIGNAL_RANK), 0.0))
            rank[name] = (min(best[0], level), max(best[1], psi))
    chosen = sorted(rank, key=lambda n: (rank[n][0], -rank[n][1]))[:limit]
    series = []
    for name in chosen:
        points = []
        for report in reports:
            entry = next((e for e in report.get("inputs", []) if e["feature"] == name), None)
            points.append(
                SeriesPoint(
                    _day(report["window"]["start"]), _number(entry["psi"]) if entry else None
                )
            )
        series.append(TimeSeries(name, _input_label(name), tuple(points)))
    return tuple(series)


def _champion_changes(windows: tuple[DriftWindow, ...]) -> tuple[ChampionChange, ...]:
    changes = [
        ChampionChange(w.end, w.model_version, w.challenger_version)
        for w in windows
        if w.reevaluation == PROMOTED_CHALLENGER and w.challenger_version
    ]
    for before, after in pairwise(windows):
        promoted_then = before.reevaluation == PROMOTED_CHALLENGER
        if after.model_version != before.model_version and not (
            promoted_then and before.challenger_version == after.model_version
        ):
            changes.append(ChampionChange(after.start, before.model_version, after.model_version))
    return tuple(sorted(changes, key=lambda c: c.x))


def drift_history(
    data_dir: Path,
    model_name: str,
    mlflow_ui_url: str | None = None,
    max_inputs: int = 6,
    shift_date: str | None = None,
    max_windows: int = 52,
) -> DriftHistory | None:
    """The latest ``max_windows`` monitoring windows of ``model_name`` kept under
    ``data_dir``, as series; None when no window was measured yet."""
    reports = load_window_reports(data_dir, model_name, max_windows)
    if not reports:
        return None
    windows = tuple(_drift_window(r, mlflow_ui_url) for r in reports)
    latest = reports[-1]
    thresholds = latest["thresholds"]
    return DriftHistory(
        model_name=model_name,
        windows=windows,
        input_psi=_input_psi(reports, max_inputs),
        score_psi=_per_category(reports, "scores", _score_point("psi")),
        score_mean=_per_category(reports, "scores", _score_point("mean_window")),
        flag_rate=_per_category(reports, "scores", _score_point("flag_rate_window")),
        observed_expected=_per_category(reports, "outcomes", _observed_expected_point),
        champion_changes=_champion_changes(windows),
        psi_warn=float(thresholds["psi_warn"]),
        psi_alert=float(thresholds["psi_alert"]),
        score_psi_alert=float(thresholds["score_psi_alert"]),
        inspection_rate=float(latest["inspection_rate"]),
        shift_date=_day(shift_date) if shift_date else None,
        reference={k: _day(v) for k, v in latest["reference"].items() if k in ("start", "end")},
    )


def drift_demo_history(settings: Settings, max_inputs: int = 6) -> DriftHistory | None:
    """``make run``'s drift demo (its sub-project under the data folder), with the shift
    date its report names; None when the demo was not run."""
    root = Path(settings.data_dir) / DRIFT_DEMO_FOLDER
    report = root / DRIFT_DEMO_REPORT
    shift = (
        json.loads(report.read_text(encoding="utf-8")).get("shift_date")
        if report.exists()
        else None
    )
    return drift_history(
        root,
        drift_demo_model_name(settings.model_name),
        settings.mlflow_ui_url,
        max_inputs,
        shift,
    )


# --- effectiveness --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonTotal:
    """Inspections of one selection reason over every period of the report."""

    reason: str  # model | rule | random | planned_sampling | exploration
    inspected: int
    matured: int  # outcome known by the report's date
    hits: int  # matured inspections that found a violation in any category
    hit_rate: float | None
    lift_over_random: float | None  # hit rate / random selection's (the unbiased base rate)


@dataclass(frozen=True)
class CreditTotal:
    """Goods items of consignees of one credit level over every period of the report."""

    credit_level: str  # Order No. 282 level, or "unrated"
    declared: int
    inspected: int
    inspection_rate: float | None
    rate_vs_regular: float | None  # inspection rate / regular enterprises' (Order No. 251)
    matured: int
    hit_rate: float | None


@dataclass(frozen=True)
class EffectivenessView:
    """The latest effectiveness report (Art. 18 §2), per period of declaration time."""

    as_of: str
    freq: str  # M (months) or W (weeks)
    model_version: str | None  # the champion whose probabilities the calibration uses
    model_as_of: str | None
    periods: tuple[str, ...]
    inspection_rate: TimeSeries
    hit_rate: TimeSeries
    duty_recovered_cny: TimeSeries
    hit_rate_by_reason: tuple[TimeSeries, ...]  # note: "hits / matured"
    lift_by_reason: tuple[TimeSeries, ...]  # every reason but random
    inspection_rate_by_credit: tuple[TimeSeries, ...]
    hit_rate_by_credit: tuple[TimeSeries, ...]
    observed_expected: tuple[TimeSeries, ...]  # per category, 95 % interval, "observed / expected"
    first_out_of_sample: str | None  # first period after the champion's training date
    by_reason: tuple[ReasonTotal, ...]
    by_credit_level: tuple[CreditTotal, ...]
    compliance: tuple[ComplianceEstimate, ...]  # IPW finding rate of all declared goods
    run_id: str | None
    run_url: str | None


def _period_x(window: dict, freq: str) -> str:
    # Months read as "2025-07"; a week as its first day ("2025-W28" is not an ISO date).
    return window["window"] if freq == "M" else _day(window["start"])


def _rate(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _grouped_series(windows, freq, group, keys, value, note=None) -> tuple[TimeSeries, ...]:
    """One series per key of ``w[group]`` (a reason, a credit level) over the periods."""
    series = []
    for key in keys:
        points = []
        for w in windows:
            entry = w.get(group, {}).get(key)
            y = _number(entry.get(value)) if entry else None
            text = note(entry) if entry and note else None
            points.append(SeriesPoint(_period_x(w, freq), y, note=text))
        if any(p.y is not None for p in points):
            series.append(TimeSeries(key, key, tuple(points)))
    return tuple(series)


def _hits_note(entry: dict) -> str:
    return f"{entry['hits']} / {entry['matured']}"


def _reason_totals(windows: list[dict]) -> tuple[ReasonTotal, ...]:
    sums = {r: [0, 0, 0] for r in SELECTION_REASONS}
    for w in windows:
        for reason, entry in w.get("by_reason", {}).items():
            total = sums.setdefault(reason, [0, 0, 0])
            total[0] += entry["inspected"]
            total[1] += entry["matured"]
            total[2] += entry["hits"]
    random_rate = _rate(sums["random"][2], sums["random"][1]) if "random" in sums else None
    totals = []
    for reason, (inspected, matured, hits) in sums.items():
        if not inspected:
            continue
        rate = _rate(hits, matured)
        lift = rate / random_rate if rate is not None and random_rate else None
        totals.append(ReasonTotal(reason, inspected, matured, hits, rate, lift))
    return tuple(totals)


def _credit_totals(windows: list[dict]) -> tuple[CreditTotal, ...]:
    sums: dict[str, list[float]] = {}
    for w in windows:
        for level, entry in w.get("by_credit_level", {}).items():
            total = sums.setdefault(level, [0, 0, 0, 0.0])
            total[0] += entry["declared"]
            total[1] += entry["inspected"]
            total[2] += entry["matured"]
            # the report keeps the rate; hits are rate × matured (whole numbers by definition)
            total[3] += round((_number(entry["hit_rate"]) or 0.0) * entry["matured"])
    regular = sums.get("regular")
    regular_rate = _rate(regular[1], regular[0]) if regular else None
    totals = []
    for level in [c for c in (*CREDIT_LEVELS, "unrated") if c in sums] + [
        c for c in sums if c not in CREDIT_LEVELS and c != "unrated"
    ]:
        declared, inspected, matured, hits = sums[level]
        if not declared:
            continue
        rate = _rate(inspected, declared)
        relative = rate / regular_rate if rate is not None and regular_rate else None
        totals.append(
            CreditTotal(
                level,
                int(declared),
                int(inspected),
                rate,
                relative,
                int(matured),
                _rate(hits, matured),
            )
        )
    return tuple(totals)


def _calibration_series(windows: list[dict], freq: str) -> tuple[TimeSeries, ...]:
    categories = []
    for w in windows:
        categories += [c for c in w.get("calibration", {}) if c not in categories]
    series = []
    for category in categories:
        points = []
        for w in windows:
            entry = w.get("calibration", {}).get(category)
            x = _period_x(w, freq)
            if not entry or not entry.get("labels"):
                points.append(SeriesPoint(x, None))
                continue
            points.append(
                SeriesPoint(
                    x,
                    _number(entry.get("observed_to_expected")),
                    _number(entry.get("observed_to_expected_low")),
                    _number(entry.get("observed_to_expected_high")),
                    f"{entry['observed']} / {entry['expected']:.1f}",
                )
            )
        series.append(TimeSeries(category, category, tuple(points)))
    return tuple(series)


def _overall(windows: list[dict], freq: str, key: str) -> TimeSeries:
    return TimeSeries(
        key, key, tuple(SeriesPoint(_period_x(w, freq), _number(w.get(key))) for w in windows)
    )


def effectiveness_view(
    data_dir: Path, freq: str = "M", mlflow_ui_url: str | None = None
) -> EffectivenessView | None:
    """The latest effectiveness report kept under ``data_dir`` as series and totals; None
    when none was written yet."""
    report = load_effectiveness_report(data_dir, freq)
    if report is None:
        return None
    windows = report["windows"]
    reasons = [r for r in SELECTION_REASONS if r != "random"]
    levels = (*CREDIT_LEVELS, "unrated")
    out_of_sample = [w for w in windows if w.get("out_of_sample")]
    return EffectivenessView(
        as_of=str(report["as_of"]),
        freq=report["freq"],
        model_version=report.get("model_version"),
        model_as_of=report.get("model_as_of"),
        periods=tuple(_period_x(w, freq) for w in windows),
        inspection_rate=_overall(windows, freq, "inspection_rate"),
        hit_rate=_overall(windows, freq, "hit_rate"),
        duty_recovered_cny=_overall(windows, freq, "duty_recovered_cny"),
        hit_rate_by_reason=_grouped_series(
            windows, freq, "by_reason", SELECTION_REASONS, "hit_rate", _hits_note
        ),
        lift_by_reason=_grouped_series(windows, freq, "by_reason", reasons, "lift_over_random"),
        inspection_rate_by_credit=_grouped_series(
            windows, freq, "by_credit_level", levels, "inspection_rate"
        ),
        hit_rate_by_credit=_grouped_series(windows, freq, "by_credit_level", levels, "hit_rate"),
        observed_expected=_calibration_series(windows, freq),
        first_out_of_sample=_period_x(out_of_sample[0], freq) if out_of_sample else None,
        by_reason=_reason_totals(windows),
        by_credit_level=_credit_totals(windows),
        compliance=tuple(ComplianceEstimate(**e) for e in report.get("compliance", [])),
        run_id=report.get("mlflow_run_id"),
        run_url=mlflow_run_url(mlflow_ui_url, report.get("mlflow_run_id")),
    )


# --- the page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MonitoringView:
    """Everything the "Model and monitoring" page shows; a part is None when the pipeline
    has not produced it yet (the page says so instead of failing)."""

    model: ServedModelSummary | None
    drift: DriftHistory | None  # windows measured against the served model's champion
    drift_demo: DriftHistory | None  # ``make run``'s drift demo: another registered model
    effectiveness: EffectivenessView | None


def monitoring_view(settings: Settings, max_inputs: int = 6) -> MonitoringView:
    """The page's data from the files the pipeline wrote (see the module docstring)."""
    return MonitoringView(
        model=served_model_summary(
            settings.resolved_model_cache_dir, settings.model_name, settings.mlflow_ui_url
        ),
        drift=drift_history(
            settings.data_dir, settings.model_name, settings.mlflow_ui_url, max_inputs
        ),
        drift_demo=drift_demo_history(settings, max_inputs),
        effectiveness=effectiveness_view(settings.data_dir, "M", settings.mlflow_ui_url),
    )

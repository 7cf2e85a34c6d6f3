"""The model and its monitoring: the served model's per-category test metrics, the drift
windows with their trends as charts (inputs' PSI, scores, observed against expected), and
the effectiveness report (hit rates per selection reason and credit level, the
random-sample compliance estimate), with links to the MLflow runs."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from reassessment.monitoring_view import DriftHistory, TimeSeries, monitoring_view
from serving.dependencies import AppSettings
from serving.workbench import charts
from serving.workbench.auth import AnyReviewer
from serving.workbench.i18n import Speaker
from serving.workbench.labels import domain_label
from serving.workbench.templating import render, speaker_of

router = APIRouter()


def _series(series: Sequence[TimeSeries], kind: str, speaker: Speaker) -> list[charts.Series]:
    """Series with their keys (features, categories …) named in the reader's language."""
    return [charts.Series(domain_label(kind, s.key, speaker), s.points) for s in series]


def _drift_charts(drift: DriftHistory, speaker: Speaker, settings) -> dict[str, Markup]:
    week = speaker.gettext("monitoring window (start)")
    markers = [
        charts.Marker(c.x, speaker.gettext("champion v%(v)s", v=c.version_after))
        for c in drift.champion_changes
    ]
    if drift.shift_date:
        markers.append(charts.Marker(drift.shift_date, speaker.gettext("planted shift")))
    low, high = settings.gate_observed_expected_min, settings.gate_observed_expected_max
    return {
        "input_psi": charts.line_chart(
            _series(drift.input_psi, "feature", speaker),
            title=speaker.gettext("Drifted inputs: PSI against the reference"),
            x_label=week,
            y_label="PSI",
            reference_lines=[
                charts.ReferenceLine(drift.psi_alert, speaker.gettext("alert")),
                charts.ReferenceLine(drift.psi_warn, speaker.gettext("warning")),
            ],
            markers=markers,
            y_min=0,
        ),
        "score_psi": charts.line_chart(
            _series(drift.score_psi, "category", speaker),
            title=speaker.gettext("Scores: PSI of the calibrated probability per category"),
            x_label=week,
            y_label="PSI",
            reference_lines=[charts.ReferenceLine(drift.score_psi_alert, speaker.gettext("alert"))],
            markers=markers,
            y_min=0,
        ),
        "score_mean": charts.line_chart(
            _series(drift.score_mean, "category", speaker),
            title=speaker.gettext("Scores: mean calibrated probability per category"),
            x_label=week,
            y_label=speaker.gettext("probability"),
            markers=markers,
            value_format=charts.percent,
            y_min=0,
        ),
        "observed_expected": charts.line_chart(
            _series(drift.observed_expected, "category", speaker),
            title=speaker.gettext("Observed against expected findings per category, by window"),
            x_label=week,
            y_label=speaker.gettext("observed / expected"),
            reference_lines=[charts.ReferenceLine(1.0, "O/E = 1", low, high)],
            markers=markers,
            y_min=0,
        ),
    }


def _effectiveness_charts(view, speaker: Speaker, settings) -> dict[str, Markup]:
    month = speaker.gettext("month of declaration")
    low, high = settings.gate_observed_expected_min, settings.gate_observed_expected_max
    return {
        "observed_expected": charts.line_chart(
            _series(view.observed_expected, "category", speaker),
            title=speaker.gettext("Observed against expected findings per category, by month"),
            x_label=month,
            y_label=speaker.gettext("observed / expected"),
            reference_lines=[charts.ReferenceLine(1.0, "O/E = 1", low, high)],
            y_min=0,
        ),
        "hit_rate_by_reason": charts.line_chart(
            _series(view.hit_rate_by_reason, "selection_reason", speaker),
            title=speaker.gettext("Hit rate per selection reason"),
            x_label=month,
            y_label=speaker.gettext("hit rate"),
            value_format=charts.percent,
            y_min=0,
        ),
        "hit_rate_by_credit": charts.line_chart(
            _series(view.hit_rate_by_credit, "credit_level", speaker),
            title=speaker.gettext("Hit rate per credit level"),
            x_label=month,
            y_label=speaker.gettext("hit rate"),
            value_format=charts.percent,
            y_min=0,
        ),
    }


@router.get("/monitoring", response_class=HTMLResponse)
def monitoring_page(request: Request, settings: AppSettings, session: AnyReviewer) -> HTMLResponse:
    view = monitoring_view(settings)
    speaker = speaker_of(request)
    drift = view.drift or view.drift_demo
    return render(
        request,
        "monitoring.html",
        session,
        nav="monitoring",
        view=view,
        drift=drift,
        drift_charts=_drift_charts(drift, speaker, settings) if drift else {},
        effectiveness_charts=_effectiveness_charts(view.effectiveness, speaker, settings)
        if view.effectiveness
        else {},
    )

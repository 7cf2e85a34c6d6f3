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
from serving.workbench.i18n import N_, Speaker
from serving.workbench.labels import domain_label
from serving.workbench.templating import render, speaker_of

router = APIRouter()


def _lines(
    series: Sequence[TimeSeries], kind: str, speaker: Speaker, title: str, **options
) -> Markup:
    """A line chart of ``series``, their keys (features, categories …) and the title in
    the reader's language; y from 0 unless told otherwise."""
    named = [charts.Series(domain_label(kind, s.key, speaker), s.points) for s in series]
    return charts.line_chart(named, title=speaker.gettext(title), **{"y_min": 0, **options})


def _drift_charts(drift: DriftHistory, speaker: Speaker, settings) -> dict[str, Markup]:
    markers = [
        charts.Marker(c.x, speaker.gettext("champion v%(v)s", v=c.version_after))
        for c in drift.champion_changes
    ]
    if drift.shift_date:
        markers.append(charts.Marker(drift.shift_date, speaker.gettext("planted shift")))
    axes = {"x_label": speaker.gettext("monitoring window (start)"), "markers": markers}
    alert = speaker.gettext("alert")
    return {
        "input_psi": _lines(
            drift.input_psi,
            "feature",
            speaker,
            N_("Drifted inputs: PSI against the reference"),
            y_label="PSI",
            reference_lines=[
                charts.ReferenceLine(drift.psi_alert, alert),
                charts.ReferenceLine(drift.psi_warn, speaker.gettext("warning")),
            ],
            **axes,
        ),
        "score_psi": _lines(
            drift.score_psi,
            "category",
            speaker,
            N_("Scores: PSI of the calibrated probability per category"),
            y_label="PSI",
            reference_lines=[charts.ReferenceLine(drift.score_psi_alert, alert)],
            **axes,
        ),
        "score_mean": _lines(
            drift.score_mean,
            "category",
            speaker,
            N_("Scores: mean calibrated probability per category"),
            y_label=speaker.gettext("probability"),
            value_format=charts.percent,
            **axes,
        ),
        "observed_expected": _lines(
            drift.observed_expected,
            "category",
            speaker,
            N_("Observed against expected findings per category, by window"),
            **_observed_expected_axis(speaker, settings),
            **axes,
        ),
    }


def _observed_expected_axis(speaker: Speaker, settings) -> dict:
    """O/E = 1 with the promotion gate's band around it."""
    band = (settings.gate_observed_expected_min, settings.gate_observed_expected_max)
    return {
        "y_label": speaker.gettext("observed / expected"),
        "reference_lines": [charts.ReferenceLine(1.0, "O/E = 1", *band)],
    }


def _effectiveness_charts(view, speaker: Speaker, settings) -> dict[str, Markup]:
    month = {"x_label": speaker.gettext("month of declaration")}
    hit_rate = {"y_label": speaker.gettext("hit rate"), "value_format": charts.percent, **month}
    return {
        "observed_expected": _lines(
            view.observed_expected,
            "category",
            speaker,
            N_("Observed against expected findings per category, by month"),
            **_observed_expected_axis(speaker, settings),
            **month,
        ),
        "hit_rate_by_reason": _lines(
            view.hit_rate_by_reason,
            "selection_reason",
            speaker,
            N_("Hit rate per selection reason"),
            **hit_rate,
        ),
        "hit_rate_by_credit": _lines(
            view.hit_rate_by_credit,
            "credit_level",
            speaker,
            N_("Hit rate per credit level"),
            **hit_rate,
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

"""Deployment declarations, so the flows can be scheduled by a Prefect server.

``customs-risk deploy`` serves them from this process (``prefect.serve``); point
``PREFECT_API_URL`` at a server started with ``prefect server start`` first. With the
embedded default (no server), run the flows directly with ``customs-risk run``.

``reevaluate`` has no schedule: a ``DeploymentEventTrigger`` runs it whenever
``monitor`` emits ``customs-risk.drift.detected`` (Art. 18: re-assess when the risk
changed), with the drifted window taken from the event's payload.
"""

from __future__ import annotations

from prefect import serve
from prefect.events import DeploymentEventTrigger

from pipelines.cycle import risk_cycle
from pipelines.flows import batch_score, build_features, train_and_register
from pipelines.monitoring import DRIFT_EVENT, monitor, reevaluate

# Daily: new declarations and matured outcomes arrive every day; weekly retraining.
SCHEDULES = {
    "risk-cycle": None,  # on demand
    "build-features": "0 1 * * *",
    "batch-score": "0 2 * * *",
    "train-and-register": "0 3 * * 1",
    "monitor": "0 4 * * *",  # after the day's features: the last 7 days against the reference
    "reevaluate": None,  # triggered by the drift event
}


def drift_trigger() -> DeploymentEventTrigger:
    """Run ``reevaluate`` once per drift event, on the window the event names."""
    return DeploymentEventTrigger(
        name="reevaluate-on-drift",
        description="Art. 18: re-evaluate the champion when monitoring detects drift.",
        expect={DRIFT_EVENT},
        match={"prefect.resource.id": "customs-risk.model.*"},
        parameters={
            "as_of": "{{ event.payload.window_end }}",
            "since": "{{ event.payload.drift_since }}",
            "signals": "{{ event.payload.signals }}",
        },
    )


def deployments():
    """The deployment objects (not yet applied to any server)."""
    return [
        risk_cycle.to_deployment(name="risk-cycle", cron=SCHEDULES["risk-cycle"]),
        build_features.to_deployment(name="build-features", cron=SCHEDULES["build-features"]),
        batch_score.to_deployment(name="batch-score", cron=SCHEDULES["batch-score"]),
        train_and_register.to_deployment(
            name="train-and-register", cron=SCHEDULES["train-and-register"]
        ),
        monitor.to_deployment(name="monitor", cron=SCHEDULES["monitor"]),
        reevaluate.to_deployment(name="reevaluate", triggers=[drift_trigger()]),
    ]


def serve_deployments() -> None:
    """Register the deployments with the configured Prefect server and run them here."""
    serve(*deployments())

"""Deployment declarations, so the flows can be scheduled by a Prefect server.

``customs-risk deploy`` serves them from this process (``prefect.serve``); point
``PREFECT_API_URL`` at a server started with ``prefect server start`` first. With the
embedded default (no server), run the flows directly with ``customs-risk run``.
"""

from __future__ import annotations

from prefect import serve

from pipelines.flows import batch_score, build_features, risk_cycle, train_and_register

# Daily: new declarations and matured outcomes arrive every day; weekly retraining.
SCHEDULES = {
    "risk-cycle": None,  # on demand
    "build-features": "0 1 * * *",
    "batch-score": "0 2 * * *",
    "train-and-register": "0 3 * * 1",
}


def deployments():
    """The deployment objects (not yet applied to any server)."""
    return [
        risk_cycle.to_deployment(name="risk-cycle", cron=SCHEDULES["risk-cycle"]),
        build_features.to_deployment(name="build-features", cron=SCHEDULES["build-features"]),
        batch_score.to_deployment(name="batch-score", cron=SCHEDULES["batch-score"]),
        train_and_register.to_deployment(
            name="train-and-register", cron=SCHEDULES["train-and-register"]
        ),
    ]


def serve_deployments() -> None:
    """Register the deployments with the configured Prefect server and run them here."""
    serve(*deployments())

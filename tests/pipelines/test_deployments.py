"""Deployments are declared for every scheduled flow (applied only with a Prefect server):
the schedules an operator reads in the docs, written out here, not read back from code."""

from pipelines.deployments import deployments

# deployment → (flow, cron): features at 01:00, scores at 02:00, retraining on Monday
# 03:00 and monitoring at 04:00, every day after the night's data; the cycle on demand and
# the re-evaluation on the drift event.
EXPECTED = {
    "risk-cycle": ("risk-cycle", None),
    "build-features": ("build-features", "0 1 * * *"),
    "batch-score": ("batch-score", "0 2 * * *"),
    "train-and-register": ("train-and-register", "0 3 * * 1"),
    "monitor": ("monitor", "0 4 * * *"),
    "reevaluate": ("reevaluate", None),
}


def test_every_flow_has_a_deployment_with_its_schedule():
    declared = {d.name: d for d in deployments()}
    assert set(declared) == set(EXPECTED)
    for name, (flow, cron) in EXPECTED.items():
        deployment = declared[name]
        crons = [getattr(s.schedule, "cron", None) for s in deployment.schedules or []]
        assert (deployment.flow_name, crons) == (flow, [cron] if cron else []), name


def test_reevaluation_runs_on_the_drift_event_with_the_events_window():
    triggers = {d.name: d.triggers or [] for d in deployments()}
    assert [name for name, t in triggers.items() if t] == ["reevaluate"]
    (trigger,) = triggers["reevaluate"]
    assert trigger.expect == {"customs-risk.drift.detected"}
    assert trigger.parameters == {
        "as_of": "{{ event.payload.window_end }}",
        "since": "{{ event.payload.drift_since }}",
        "signals": "{{ event.payload.signals }}",
    }

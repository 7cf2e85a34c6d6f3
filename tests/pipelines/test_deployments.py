"""Deployments are declared for every scheduled flow (applied only with a Prefect server)."""

from pipelines.deployments import SCHEDULES, deployments


def test_every_flow_has_a_deployment_with_its_schedule():
    declared = {d.name: d for d in deployments()}
    assert set(declared) == set(SCHEDULES)
    for name, cron in SCHEDULES.items():
        schedules = declared[name].schedules or []
        crons = [getattr(s.schedule, "cron", None) for s in schedules]
        assert crons == ([cron] if cron else []), name

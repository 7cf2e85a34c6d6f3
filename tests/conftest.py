"""Shared fixtures: small generated data, a temporary MLflow store and data lake, and one
Prefect test harness for the whole session (its start costs 10-20 s)."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# Prefect's home (memo store, result storage) for the test session, not the user's.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="customs-risk-prefect-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_LOGGING", "false")
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
# `make run` ends with the drift demo; the test cycle does not (the scenario tests cover it).
os.environ.setdefault("CUSTOMS_RISK_DRIFT_DEMO", "false")

import pytest

from config.settings import Settings
from sources.generator import GeneratorConfig, generate

# The ledger's database fixtures (SQLite and PostgreSQL), shared by its tests and the API's.
pytest_plugins = ["ledger_testing"]

SMALL = GeneratorConfig(n_declarations=30_000, months=12, start="2025-01-01", seed=7)


@pytest.fixture(scope="session")
def small_data():
    """About 30k goods items over 12 months: enough labels for several categories."""
    return generate(SMALL)


@pytest.fixture(scope="session")
def small_sources(small_data):
    return small_data.frames()


@pytest.fixture(scope="session")
def small_state(small_sources):
    from features.compute import build_entity_state

    s = small_sources
    return build_entity_state(
        s["declarations"], s["credit_history"], s["monitoring"], s["inspection_outcomes"]
    )


@pytest.fixture(scope="session")
def small_features(small_sources, small_state):
    from features.compute import feature_frame

    return feature_frame(small_sources["declarations"], small_state)


@pytest.fixture(scope="session")
def prefect_harness():
    """One ephemeral Prefect API for every test that runs a real flow."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


def make_settings(root) -> Settings:
    """Settings pointing every store at ``root`` (a temporary folder)."""
    return Settings(
        data_dir=root / "data",
        mlflow_dir=root / "mlflow",
        # explicit: MLflow itself exports MLFLOW_TRACKING_URI once a store is used
        tracking_uri=f"sqlite:///{root / 'mlflow' / 'mlflow.db'}",
        min_positives=15,
        declarations=SMALL.n_declarations,
        months=SMALL.months,
        seed=SMALL.seed,
    )


@pytest.fixture(scope="session")
def settings_for():
    """Factory of settings rooted in a given folder."""
    return make_settings


@pytest.fixture(scope="session")
def cycle(tmp_path_factory, prefect_harness):
    """The whole risk cycle run once, for real, on small data in a temporary project."""
    from pipelines.cycle import risk_cycle

    settings = make_settings(tmp_path_factory.mktemp("project"))
    result = risk_cycle(settings, SMALL)
    return settings, result


# The drift scenario as `customs-risk scenario drift` runs it (~6k goods items a week, a few
# hundred matured labels per evaluation window), replayed for fewer weeks. With 200k items
# a two-week window held ~10 revenue positives and the gate's verdict hung on the seed.
DRIFT_SCENARIO = dict(
    declarations=300_000,
    months=12,
    start="2025-01-01",
    shift_date="2025-07-07",
    seed=271,
    stable_weeks=5,
    max_weeks_after_shift=6,
    weeks_after_promotion=0,
)


@pytest.fixture(scope="session")
def drift_run(tmp_path_factory, prefect_harness):
    """The drift scenario run once, for real, in its own temporary project."""
    from pipelines.scenario import ScenarioConfig, drift_scenario

    root = tmp_path_factory.mktemp("scenario")
    settings = make_settings(root).model_copy(
        update={
            "model_name": "customs-risk-scenario",
            "reload_interval_seconds": 0.5,
            # not the default, so a re-evaluation that ignored it would show
            "inspection_capacity": 0.04,
        }
    )
    report = drift_scenario(settings, ScenarioConfig(**DRIFT_SCENARIO), out=str(root / "r.json"))
    return settings, report

"""Settings: one class, the CUSTOMS_RISK_ prefix, two conventional variables."""

import pytest
from pydantic import ValidationError

from config.settings import Settings, get_settings
from models.training import TrainingConfig


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("CUSTOMS_RISK_TRACKING_URI", "MLFLOW_TRACKING_URI", "PORT", "CUSTOMS_RISK_PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_tracking_uri_defaults_to_the_embedded_store(clean_env, tmp_path):
    settings = Settings(mlflow_dir=tmp_path)
    assert settings.resolved_tracking_uri == f"sqlite:///{tmp_path / 'mlflow.db'}"


def test_customs_risk_tracking_uri_wins_over_mlflows_own(clean_env):
    clean_env.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow-own.db")
    assert Settings().resolved_tracking_uri == "sqlite:///mlflow-own.db"
    clean_env.setenv("CUSTOMS_RISK_TRACKING_URI", "postgresql://user@host/mlflow")
    assert Settings().resolved_tracking_uri == "postgresql://user@host/mlflow"


def test_the_process_settings_are_read_once(clean_env, tmp_path):
    # MLflow exports MLFLOW_TRACKING_URI when a store is first used: the process-wide
    # settings, read before, must keep pointing at their own store.
    clean_env.setenv("CUSTOMS_RISK_MLFLOW_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        first = get_settings()
        clean_env.setenv("MLFLOW_TRACKING_URI", "sqlite:///another-project.db")
        clean_env.setenv("CUSTOMS_RISK_MLFLOW_DIR", str(tmp_path / "elsewhere"))
        assert get_settings() is first
        assert first.resolved_tracking_uri == f"sqlite:///{tmp_path / 'mlflow.db'}"
    finally:
        get_settings.cache_clear()  # the next user reads the environment restored


def test_training_takes_its_settings_from_settings_alone(clean_env):
    for name in ("MIN_POSITIVES", "SEED", "INSPECTION_CAPACITY"):
        clean_env.delenv(f"CUSTOMS_RISK_{name}", raising=False)
    # one declaration: a config built without settings has the settings' defaults
    assert TrainingConfig() == TrainingConfig.for_settings(Settings())
    clean_env.setenv("CUSTOMS_RISK_MIN_POSITIVES", "12")
    clean_env.setenv("CUSTOMS_RISK_SEED", "7")
    clean_env.setenv("CUSTOMS_RISK_INSPECTION_CAPACITY", "0.03")
    config = TrainingConfig.for_settings(Settings())
    assert (config.min_positives, config.seed, config.inspection_capacity) == (12, 7, 0.03)


def test_port_wins_and_a_bad_port_names_the_variable(clean_env):
    clean_env.setenv("CUSTOMS_RISK_PORT", "9002")
    assert Settings().port == 9002
    clean_env.setenv("PORT", "9001")
    assert Settings().port == 9001
    clean_env.setenv("PORT", "eighty")
    with pytest.raises(ValidationError, match="PORT"):
        Settings()

"""The command line's embedded defaults."""

import os

from config.settings import PROJECT_ROOT
from customs_risk.cli import _quiet_defaults


def test_prefect_home_defaults_to_the_project(monkeypatch):
    monkeypatch.setattr(os, "environ", {k: v for k, v in os.environ.items() if k != "PREFECT_HOME"})
    _quiet_defaults()
    assert os.environ["PREFECT_HOME"] == str(PROJECT_ROOT / ".prefect")


def test_a_users_prefect_home_wins(monkeypatch, tmp_path):
    monkeypatch.setattr(os, "environ", {**os.environ, "PREFECT_HOME": str(tmp_path)})
    _quiet_defaults()
    assert os.environ["PREFECT_HOME"] == str(tmp_path)

"""What re-assessment keeps in the lake for people to read back: every monitoring
window's report and the latest effectiveness report per period length.

The MLflow runs hold the same JSON as artifacts (``drift/report.json``,
``effectiveness/report.json``); the lake copy is what the workbench reads: one folder
instead of a run search and an artifact download per week, and still there when the
tracking store is not. Layout under the data folder::

    monitoring/windows/<model>/<end>_<start>.json   one per window (``monitor`` flow)
                                            of the registered model <model>, with its
                                            MLflow run id and any re-evaluation
    monitoring/effectiveness-<freq>.json    the latest effectiveness report (M or W)

``make run``'s drift demo is a sub-project with its own data folder
(:data:`DRIFT_DEMO_FOLDER`) and registered model (:func:`drift_demo_model_name`).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from sources.lake import write_text

MONITORING_FOLDER = "monitoring"
DRIFT_DEMO_FOLDER = "drift-demo"  # under the data folder
DRIFT_DEMO_REPORT = "report.json"  # the scenario's report, in the demo's folder


def drift_demo_model_name(model_name: str) -> str:
    """The registered model of ``make run``'s drift demo (the served one stays untouched)."""
    return f"{model_name}-drift-demo"


def monitoring_dir(data_dir: Path) -> Path:
    return Path(data_dir) / MONITORING_FOLDER


def window_reports_dir(data_dir: Path, model_name: str) -> Path:
    # One folder per registered model: a name is not a path, so it is quoted.
    return monitoring_dir(data_dir) / "windows" / quote(model_name, safe="-_.")


def effectiveness_path(data_dir: Path, freq: str) -> Path:
    return monitoring_dir(data_dir) / f"effectiveness-{freq}.json"


def _stamp(moment: str) -> str:
    # File names sort in time order and hold no ":" (not allowed on every file system).
    return pd.Timestamp(moment).strftime("%Y%m%dT%H%M%S")


def _dump(data: dict) -> str:
    # NaN stays NaN (Python's json reads it back), as in the MLflow artifacts.
    return json.dumps(data, indent=1, default=str)


def save_window_report(data_dir: Path, report: dict) -> Path:
    """Keep one window's report (``pipelines.monitoring.MonitoringRun.to_dict``, whose
    ``model`` names the registered model); a window measured again (same start and end)
    replaces its earlier report."""
    window = report["window"]
    name = f"{_stamp(window['end'])}_{_stamp(window['start'])}.json"
    folder = window_reports_dir(data_dir, report["model"]["name"])
    return write_text(_dump(report), folder / name)


def load_window_reports(data_dir: Path, model_name: str, last: int | None = None) -> list[dict]:
    """The kept window reports of ``model_name`` in time order (by end, then start); the
    ``last`` ones only when given (a daily monitor keeps 365 a year)."""
    paths = sorted(window_reports_dir(data_dir, model_name).glob("*.json"))
    paths = paths[-last:] if last else paths
    return [json.loads(path.read_text(encoding="utf-8")) for path in paths]


def save_effectiveness_report(data_dir: Path, report: dict) -> Path:
    """Keep the latest effectiveness report of its period length (``report["freq"]``)."""
    return write_text(_dump(report), effectiveness_path(data_dir, report["freq"]))


def load_effectiveness_report(data_dir: Path, freq: str = "M") -> dict | None:
    """The latest effectiveness report of that period length, or None."""
    path = effectiveness_path(data_dir, freq)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def clear_monitoring_history(data_dir: Path) -> None:
    """Forget every kept report (a scenario starting afresh with a new registered model)."""
    shutil.rmtree(monitoring_dir(data_dir), ignore_errors=True)

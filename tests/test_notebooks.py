"""Notebooks run top to bottom against a real trained project."""

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from config.settings import PROJECT_ROOT

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "path", sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: Path(p).name
)
def test_notebook_executes(path, cycle, monkeypatch, tmp_path):
    settings, _ = cycle
    monkeypatch.setenv("CUSTOMS_RISK_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("CUSTOMS_RISK_MLFLOW_DIR", str(settings.mlflow_dir))
    monkeypatch.setenv("CUSTOMS_RISK_TRACKING_URI", settings.resolved_tracking_uri)
    # the notebook refreshes its own copy of the champion, not the test project's
    monkeypatch.setenv("CUSTOMS_RISK_MODEL_CACHE_DIR", str(tmp_path / "model"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(PROJECT_ROOT)}},
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert any("champion" in str(o.get("text", "")) for o in outputs)
    assert os.path.exists(tmp_path / "model" / "model.json")

"""Notebooks run top to bottom, for real. Each declares in its metadata what it needs
(``customs_risk.needs``: ``champion`` = a trained project, the ``cycle`` fixture; none =
it builds what it uses itself) and has a check here on what it computed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import yaml
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from config.settings import PROJECT_ROOT, declared_default

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))
KNOWN_NEEDS = {"champion"}
PROBE = "probe: "


def needs(notebook) -> set[str]:
    return set(notebook.metadata.get("customs_risk", {}).get("needs", ["undeclared"]))


def check_champion(notebook, outputs: list, probed: dict, tmp_path: Path) -> None:
    assert any("champion" in str(o.get("text", "")) for o in outputs)
    assert os.path.exists(tmp_path / "model" / "model.json")


def check_backtest(notebook, outputs: list, probed: dict, tmp_path: Path) -> None:
    # A chart for the comparison and one for the change.
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 2
    assert probed["compared"] == ["top_score", "default"]
    assert set(probed["compared"]) <= set(probed["policies"])
    assert probed["weeks"] == [probed["parameter_weeks"]] * len(probed["policies"])
    assert probed["changed_policies"] == ["default"]
    # The one setting changed: the copy differs from the shipped policy there and only there.
    shipped = yaml.safe_load(Path(declared_default("disposal_policy")).read_text())
    changed = probed["changed_policy"]
    level = probed["level"]
    assert changed["credit"][level]["random_share"] == probed["new_share"]
    assert shipped["credit"][level]["random_share"] != probed["new_share"]
    changed["credit"][level]["random_share"] = shipped["credit"][level]["random_share"]
    assert changed["version"] != shipped["version"]  # decisions record another policy
    changed.pop("version"), shipped.pop("version")
    assert changed == shipped
    # ...and it changed what the default policy drew at random, on the same capacity.
    before, after = probed["random_picks"]
    assert 0 < after < before
    assert probed["inspected"][0] == probed["inspected"][1]
    assert not probed["changed_path"].startswith(str(PROJECT_ROOT))
    assert not Path(probed["changed_path"]).exists()  # the temporary directory is cleaned up


BACKTEST_PROBE = f"""
import json
print({PROBE!r} + json.dumps({{
    "compared": list(COMPARED),
    "policies": list(report["policies"]),
    "weeks": [len(p["weekly"]) for p in report["policies"].values()],
    "parameter_weeks": WEEKS,
    "changed_policies": list(changed_report["policies"]),
    "changed_policy": yaml.safe_load(yaml.safe_dump(changed)),
    "level": CREDIT_LEVEL,
    "new_share": NEW_RANDOM_SHARE,
    "random_picks": [before["random_picks"], after["random_picks"]],
    "inspected": [before["inspected"], after["inspected"]],
    "changed_path": str(changed_path),
}}))
"""

# Per notebook: the check of what it computed, and the code run after its last cell that
# prints (after ``PROBE``) what the check reads from the kernel.
CHECKS = {
    "champion_explained.ipynb": (check_champion, None),
    "backtest_policies.ipynb": (check_backtest, BACKTEST_PROBE),
}


def repo_changes() -> set[str] | None:
    """Untracked and ignored entries of the working tree (None outside a git checkout)."""
    if shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists():
        return None
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {line for line in status.splitlines() if "__pycache__" not in line}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: Path(p).name)
def test_notebook_declares_its_needs_is_checked_and_has_no_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    assert needs(notebook) <= KNOWN_NEEDS, needs(notebook)
    assert path.name in CHECKS
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, "strip the outputs"


@pytest.mark.integration
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: Path(p).name)
def test_notebook_executes(path, request, monkeypatch, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    if "champion" in needs(notebook):
        settings, _ = request.getfixturevalue("cycle")
        monkeypatch.setenv("CUSTOMS_RISK_DATA_DIR", str(settings.data_dir))
        monkeypatch.setenv("CUSTOMS_RISK_MLFLOW_DIR", str(settings.mlflow_dir))
        monkeypatch.setenv("CUSTOMS_RISK_TRACKING_URI", settings.resolved_tracking_uri)
        # the notebook refreshes its own copy of the champion, not the test project's
        monkeypatch.setenv("CUSTOMS_RISK_MODEL_CACHE_DIR", str(tmp_path / "model"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    check, probe = CHECKS[path.name]
    if probe:
        notebook.cells.append(new_code_cell(probe))
    before = repo_changes()
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(PROJECT_ROOT)}},
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert repo_changes() == before, "the notebook wrote into the repository"
    texts = [line for o in outputs for line in str(o.get("text", "")).splitlines()]
    probed = [json.loads(t.removeprefix(PROBE)) for t in texts if t.startswith(PROBE)]
    check(notebook, outputs, probed[0] if probe else {}, tmp_path)

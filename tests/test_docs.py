"""What a new user reads first is true: quickstart, settings table, example request."""

import json

from config.settings import PROJECT_ROOT, Settings
from serving.schemas import ScoreRequest

README = (PROJECT_ROOT / "README.md").read_text()


def test_quickstart_is_the_two_commands():
    quickstart = README.split("## Quickstart", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in quickstart.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"`CUSTOMS_RISK_{name.upper()}`" in README, name


def test_example_request_is_valid():
    body = json.loads((PROJECT_ROOT / "examples" / "declaration.json").read_text())
    ScoreRequest.model_validate(body)


def test_ci_runs_make_test():
    assert "make test" in (PROJECT_ROOT / ".ci" / "run").read_text()


def test_contracts_document_is_in_sync():
    from sources.contracts import contracts_markdown

    committed = (PROJECT_ROOT / "docs" / "contracts.md").read_text()
    assert committed == contracts_markdown(), "regenerate docs/contracts.md"

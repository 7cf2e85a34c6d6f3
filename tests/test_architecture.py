"""The shape of the code: layers point one way, no import cycles, short functions.

Walks every import statement of the project's packages (module level and inside
functions alike) with ``ast``, so an arrow that returns fails here, whatever imports it.
The layers and what each may import are drawn in ``docs/architecture.md``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Lowest first; a package may import its own modules and packages of lower layers only.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("config",),
    ("sources",),
    ("features",),
    ("models",),
    ("disposal",),
    ("ledger",),
    ("reassessment",),
    ("backtest",),
    ("pipelines", "serving"),
    ("customs_risk",),
)
LAYER_OF = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}
# Third-party packages that belong to one part only: the orchestrator, the web stack, the
# command line and plotting. Nothing below them may pull these in.
CONFINED = {
    "prefect": {"pipelines", "customs_risk"},
    "fastapi": {"serving", "customs_risk"},
    "starlette": {"serving"},
    "uvicorn": {"serving", "customs_risk"},
    "typer": {"customs_risk"},
    "rich": {"customs_risk"},
}
PLOTTING_MODULES = {"models.plots", "reassessment.report", "backtest.plots"}
MAX_FUNCTION_LINES = 80


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in LAYER_OF:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imported_names(path: Path) -> set[str]:
    """Every module named by an import statement anywhere in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {
        name: {target for target in imported_names(path) if target in modules and target != name}
        for name, path in modules.items()
    }


def test_every_layer_imports_only_itself_and_lower_layers():
    wrong = []
    for name, path in project_modules().items():
        package = name.split(".")[0]
        for target in imported_names(path):
            top = target.split(".")[0]
            if top in LAYER_OF and top != package and LAYER_OF[top] >= LAYER_OF[package]:
                wrong.append(f"{name} → {target}")
    assert not wrong, "imports against the layers (docs/architecture.md):\n" + "\n".join(wrong)


def test_orchestrator_web_stack_and_cli_stay_in_their_parts():
    wrong = []
    for name, path in project_modules().items():
        package = name.split(".")[0]
        for target in imported_names(path):
            top = target.split(".")[0]
            if top in CONFINED and package not in CONFINED[top]:
                wrong.append(f"{name} → {target}")
            if top == "matplotlib" and name not in PLOTTING_MODULES:
                wrong.append(f"{name} → {target} (plotting outside {sorted(PLOTTING_MODULES)})")
    assert not wrong, "\n".join(wrong)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph as a path of modules, or None."""
    visiting, done = set(), set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        visiting.add(node)
        for target in sorted(graph.get(node, ())):
            if target in visiting:
                return [*path[path.index(target) :], target]
            if target not in done and (cycle := visit(target, [*path, target])):
                return cycle
        visiting.discard(node)
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done and (cycle := visit(start, [start])):
            return cycle
    return None


def test_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def long_functions(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines = node.end_lineno - node.lineno + 1
            if lines > MAX_FUNCTION_LINES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    return found


@pytest.mark.parametrize("folder", [*LAYER_OF, "benchmarks"])
def test_no_function_over_80_lines(folder):
    paths = sorted((ROOT / folder).rglob("*.py"))
    found = [entry for path in paths for entry in long_functions(path)]
    assert not found, "functions to split into named steps:\n" + "\n".join(found)

"""The packages form layers: a module imports its own package or layers below it, never above.

Every import counts, including those inside functions and under ``TYPE_CHECKING``: a cycle
hidden in a function-local import is still a cycle. docs/ARCHITECTURE.md draws the same layers.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: Package prefix -> layer, lowest first. A module may import modules of its own package and of
#: packages on a strictly lower layer. ``simulation`` alone is the public facade over the core
#: (``from simulation import Scenario``); nothing inside the library imports it.
LAYERS: dict[str, int] = {
    "simulation.inputs": 0,
    "simulation.core": 1,
    "simulation": 2,
    "simulation.analysis": 3,
    "simulation.calibration": 4,
    "simulation.display": 5,
    "simulation.report": 6,
    "simulation.cli": 7,
    "simulation.__main__": 8,
    "explorer": 7,
    "pages": 8,
    "app": 9,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    files = [ROOT / "app.py", *ROOT.glob("pages/*.py")]
    for package in ("simulation", "explorer"):
        files += (ROOT / package).rglob("*.py")
    return {module_name(path): path for path in files}


MODULES = project_modules()


def package_of(module: str) -> str:
    """The longest prefix of ``module`` named in :data:`LAYERS`."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        prefix = ".".join(parts[:end])
        if prefix in LAYERS:
            return prefix
    raise KeyError(f"{module} is in no layer; add its package to LAYERS")


def imported_modules(module: str) -> Iterator[tuple[str, int]]:
    """Project modules that ``module`` imports, with the line of each import."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] not in {"simulation", "explorer", "pages"}:
                continue
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                yield (submodule if submodule in MODULES else node.module), node.lineno


GRAPH = {module: sorted(set(imported_modules(module))) for module in MODULES}


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        package_of(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layer_order(module: str) -> None:
    own = package_of(module)
    wrong = [
        f"line {line}: {target} ({package_of(target)}, layer {LAYERS[package_of(target)]})"
        for target, line in GRAPH[module]
        if package_of(target) != own and LAYERS[package_of(target)] >= LAYERS[own]
    ]
    assert not wrong, f"{module} ({own}, layer {LAYERS[own]}) imports upwards or sideways:\n" + (
        "\n".join(wrong))


def find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in graph.get(node, []):
            if state.get(target) == 1:
                return [*stack[stack.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles() -> None:
    graph = {module: [target for target, _ in edges if target != module]
             for module, edges in GRAPH.items()}
    assert find_cycle(graph) is None, "import cycle: " + " -> ".join(find_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"], "d": []}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b"], "b": [], "c": ["a", "b"]}) is None


def test_the_engine_never_imports_streamlit_or_plotly() -> None:
    for module, path in MODULES.items():
        if package_of(module) in {"simulation.inputs", "simulation.core", "simulation.analysis",
                                  "simulation.calibration"}:
            text = path.read_text(encoding="utf-8")
            assert "import streamlit" not in text and "from streamlit" not in text, module
            assert "import plotly" not in text and "from plotly" not in text, module

"""Which room may import which (DESIGN.md section 1), checked on the sources' import statements."""

from __future__ import annotations

import ast
import importlib.util
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_local_runtime_does_not_depend_on_the_benchmarks() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            n for n in imported_modules(path) if n.split(".")[0] == "benchmarks"
        )
        for path in sorted((ROOT / "local").glob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_vwr_load_is_registered_as_a_command_of_its_own_package() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    target = project["entry-points"]["vwr.commands"]["load"]
    module, _, attribute = target.partition(":")
    assert module.startswith("benchmarks.")
    # Read, not imported: the simulator's dependencies take seconds to load.
    source = ast.parse(Path(importlib.util.find_spec(module).origin).read_text())
    assert attribute in {node.name for node in source.body if isinstance(node, ast.FunctionDef)}


def test_the_load_report_does_not_import_the_simulator_back() -> None:
    for name in ("report", "charts", "markdown", "run"):
        assert "benchmarks.simulator" not in imported_modules(ROOT / "benchmarks" / f"{name}.py"), name


def test_the_domain_library_has_no_import_cycle() -> None:
    """Every import counts, those inside functions and under TYPE_CHECKING too: a cycle hidden in a
    function is still two modules that cannot be read (or changed) one without the other."""
    package = "lambdas.waiting_room"
    graph = {
        path.stem: {
            name.removeprefix(package + ".")
            for name in imported_modules(path)
            if name.startswith(package + ".")
        }
        for path in sorted((ROOT / "lambdas" / "waiting_room").glob("*.py"))
    }
    cycles: list[list[str]] = []

    def visit(module: str, trail: list[str]) -> None:
        for imported in sorted(graph.get(module, ())):
            if imported in trail:
                cycles.append([*trail[trail.index(imported) :], imported])
            elif imported not in done:
                visit(imported, [*trail, imported])
        done.add(module)

    done: set[str] = set()
    for module in graph:
        visit(module, [module])
    assert cycles == []

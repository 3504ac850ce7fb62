"""Every environment variable a function's code reads is set by the stack that deploys it, and every
variable a stack sets is read.

What the code reads is found in the source, not in a list kept by hand: every `Setting.X` or
`Resource.X` of the wiring table a module refers to (their values are the variable names), every
`..._VARIABLE` constant of the wiring table it names, and
every literal name passed to `os.environ.get`, `os.getenv`, `os.environ[...]` or `env_int`, in the
handler's module and in every project module it imports, transitively.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from lambdas import catalog
from tests.infrastructure.conftest import ALL_STACKS, Synth
from tests.infrastructure.helpers import catalog_functions, env, flatten

REPO_ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("lambdas", "inlet_strategies")
# Set by Lambda itself.
RUNTIME_VARIABLES = {"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "_X_AMZN_TRACE_ID"}
# CatalogFunction gives every function Powertools' settings; Powertools reads them, not our code.
LIBRARY_PREFIX = "POWERTOOLS_"
ENV_READERS = {"getenv", "env_int"}
# Read by code that no stack wires yet, each with its reason. An entry that is wired (or no
# longer read) fails the test, so the list cannot go stale.
NOT_WIRED: dict[str, dict[str, str]] = {}


def _module_path(module: str) -> Path | None:
    base = REPO_ROOT.joinpath(*module.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def _imports(tree: ast.Module) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
            # `from package import module` names a module as well as attributes.
            modules |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {m for m in modules if m.split(".")[0] in PROJECT_PACKAGES and _module_path(m)}


def _is_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _reads(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id.endswith("_VARIABLE") and hasattr(catalog, node.id):
            # A wiring table constant that names a variable (`DRAW_TARGET_VARIABLE`).
            names.add(getattr(catalog, node.id))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            kind = {"Setting": catalog.Setting, "Resource": catalog.Resource}.get(node.value.id)
            if kind is not None and node.attr in kind.__members__:
                names.add(kind[node.attr].value)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            reader = (isinstance(func, ast.Attribute) and func.attr == "get" and _is_environ(func.value)) or (
                (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)) in ENV_READERS
            )
            if reader and _literal(node.args[0]):
                names.add(_literal(node.args[0]))  # type: ignore[arg-type]
        elif isinstance(node, ast.Subscript) and _is_environ(node.value) and _literal(node.slice):
            names.add(_literal(node.slice))  # type: ignore[arg-type]
    return names


@cache
def _parsed(module: str) -> tuple[frozenset[str], frozenset[str]]:
    """(project modules it imports, variables it reads) of one module."""
    path = _module_path(module)
    assert path is not None, module
    tree = ast.parse(path.read_text())
    return frozenset(_imports(tree)), frozenset(_reads(tree))


@cache
def closure(module: str) -> frozenset[str]:
    """The module and every project module it imports, transitively (the wiring table aside:
    every module imports it for the names, and it names every variable)."""
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current in seen or current == catalog.__name__:
            continue
        seen.add(current)
        todo += _parsed(current)[0]
    return frozenset(seen)


def reads_of(handler: str) -> set[str]:
    module = handler.rsplit(".", 1)[0]
    return {name for m in closure(module) for name in _parsed(m)[1]} - RUNTIME_VARIABLES


def _given(template: dict[str, Any], logical: str) -> set[str]:
    return set(env(template, logical))


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_every_variable_a_stack_sets_is_read(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    for logical, name in catalog_functions(template).items():
        entry = catalog.by_name(name)
        unread = {
            n for n in _given(template, logical) - reads_of(entry.handler) if not n.startswith(LIBRARY_PREFIX)
        }
        assert not unread, f"{stack}: {name} is given {sorted(unread)}, which its code never reads"


def test_every_variable_the_code_reads_is_set_by_a_stack(synth: Synth) -> None:
    """A module's reads are met when some deployed function that runs the module is given them.

    Per module rather than per function: a module shared by several handlers (the settings, the
    OpenID adapter's handlers) reads the union of what they need, each handler only its part.
    """
    given_to: dict[str, set[str]] = {}
    for stack in ALL_STACKS:
        template = synth.template(stack)
        for logical, name in catalog_functions(template).items():
            for module in closure(catalog.by_name(name).handler.rsplit(".", 1)[0]):
                given_to.setdefault(module, set()).update(_given(template, logical))
    assert set(given_to) >= {"lambdas.waiting_room.settings", "lambdas.waiting_room.oidc_settings"}
    unset = {
        module: _parsed(module)[1] - RUNTIME_VARIABLES - given
        for module, given in given_to.items()
        if _parsed(module)[1] - RUNTIME_VARIABLES - given
    }
    assert {
        module: sorted(names) for module, names in unset.items() if names - NOT_WIRED.get(module, {}).keys()
    } == {}
    stale = {module: names.keys() - unset.get(module, set()) for module, names in NOT_WIRED.items()}
    assert not any(stale.values()), f"wired now, drop from NOT_WIRED: {stale}"


# Lambda refuses a function whose environment variables, names and values, pass 4 KB in all.
LAMBDA_ENVIRONMENT_BYTES = 4096
# What a reference (an ARN, a URL, a name) is counted as before CloudFormation resolves it: more
# than the stacks refer to (a secret ARN is about 100, a table name about 60, an API URL about 90).
RESOLVED_REFERENCE_BYTES = 128


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_every_functions_environment_fits_lambdas_limit(synth: Synth, stack: str) -> None:
    """Each function reads the deployment's defaults of an event besides its own settings: the
    whole environment must still fit, with every reference counted at its longest."""
    template = synth.template(stack)
    for logical, name in catalog_functions(template).items():
        size = sum(
            len(key) + len(re.sub(r"<[^>]*>", "x" * RESOLVED_REFERENCE_BYTES, flatten(value)))
            for key, value in env(template, logical).items()
        )
        assert size < LAMBDA_ENVIRONMENT_BYTES, f"{stack}: {name}'s environment is about {size} bytes"

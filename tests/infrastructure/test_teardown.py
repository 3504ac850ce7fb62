"""`cdk destroy` leaves nothing that bills, or docs/DEPLOY.md says what stays and what it costs.

What outlives a stack: a resource whose DeletionPolicy keeps it, a log group without a retention
(its logs are kept, and billed, forever), and the log group Lambda creates by itself on the first
invocation of a function that names none (`/aws/lambda/<name>`, no retention, not in the stack,
so `destroy` does not delete it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.infrastructure.conftest import ALL_STACKS, Synth, Variants
from tests.infrastructure.helpers import by_type

DEPLOY_DOC = Path(__file__).resolve().parents[2] / "docs" / "DEPLOY.md"
KEEPING_POLICIES = ("Retain", "RetainExceptOnCreate", "Snapshot")
_COST = re.compile(r"\$\d+(\.\d+)?")


def leftovers(template: dict[str, Any]) -> set[tuple[str, str]]:
    """(resource type, logical id) of everything in the template that `destroy` would leave."""
    found = set()
    for logical, resource in template["Resources"].items():
        if resource.get("DeletionPolicy") in KEEPING_POLICIES:
            found.add((resource["Type"], logical))
    for logical, group in by_type(template, "AWS::Logs::LogGroup").items():
        if "RetentionInDays" not in group.get("Properties", {}):
            found.add(("AWS::Logs::LogGroup", logical))
    for logical, function in by_type(template, "AWS::Lambda::Function").items():
        if "LogGroup" not in function["Properties"].get("LoggingConfig", {}):
            found.add(("AWS::Lambda::Function", logical))
    return found


def documented_leftovers() -> list[tuple[set[str], str]]:
    """The rows of the tear-down section's table: (the names in backticks, the cost cell)."""
    text = DEPLOY_DOC.read_text()
    section = text.split("\n## Tearing down", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows.append((set(re.findall(r"`([^`]+)`", line)), cells[-1]))
    return rows


def _listed(kind: str, logical: str, rows: list[tuple[set[str], str]]) -> bool:
    return any(
        kind in names and any(logical.startswith(name) for name in names) and _COST.search(cost)
        for names, cost in rows
    )


def test_destroy_leaves_only_what_the_deploy_guide_lists_with_its_cost(
    synth: Synth, variants: Variants
) -> None:
    templates = {key: synth.template(key) for key in ALL_STACKS} | variants.templates
    rows = documented_leftovers()
    undocumented = sorted(
        f"{stack}: {kind} {logical}"
        for stack, template in templates.items()
        for kind, logical in leftovers(template)
        if not _listed(kind, logical, rows)
    )
    assert undocumented == []


def test_the_deploy_guide_lists_what_stays_outside_the_stacks() -> None:
    # The bootstrap stack is the one thing every deployment leaves; the table must carry it.
    rows = documented_leftovers()
    assert any("CDKToolkit" in names and _COST.search(cost) for names, cost in rows)

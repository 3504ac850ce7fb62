"""cdk-nag (AwsSolutions), cfn-lint with the serverless rules, and checkov over every synthesized
template. The scanners' accepted findings live in stacks/scanners.py, cdk-nag's in stacks/nag.py."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from aws_cdk import Validations

from stacks import scanners
from tests.infrastructure.conftest import ALL_STACKS, CACHE_VARIANTS, Synth, Variants

# checkov lives in its own environment (`make scan-tools`): it pins an older boto3 than ours.
CHECKOV = Path(__file__).resolve().parents[2] / ".venv-scan" / "bin" / "checkov"


def test_cdk_nag_has_no_unacknowledged_finding(synth: Synth) -> None:
    report = json.loads((synth.outdir / "validation-report.json").read_text())
    findings = [
        f"{violation['ruleName']}: {construct['constructPath']}"
        for plugin in report["pluginReports"]
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]
    assert findings == []
    # cdk-nag, and CDK's own template validation once anything of it is acknowledged.
    conclusions = [plugin["conclusion"] for plugin in report["pluginReports"]]
    assert conclusions and set(conclusions) == {"success"}
    assert synth.error is None


def test_every_acknowledgement_gives_a_reason(synth: Synth) -> None:
    acknowledged: dict[str, str] = {}
    for stack in synth.built.stacks():
        for construct in stack.node.find_all():
            for entry in construct.node.metadata:
                if entry.type == Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                    for rule, reason in entry.data.items():
                        acknowledged[f"{construct.node.path}: {rule}"] = reason
    ours = {k: v for k, v in acknowledged.items() if "AwsSolutions::" in k}
    assert len(ours) > 20
    for where, reason in ours.items():
        assert len(reason.split()) >= 6 and reason.rstrip().endswith("."), f"{where}: {reason!r}"


@dataclass(frozen=True)
class Finding:
    tool: str
    rule: str
    template: str
    logical_id: str
    message: str

    def __str__(self) -> str:
        return f"{self.tool} {self.rule} {self.template}: {self.logical_id}: {self.message}"


@pytest.fixture(scope="module")
def templates(synth: Synth, variants: Variants) -> list[Path]:
    paths = sorted(synth.outdir.rglob("*.template.json")) + sorted(variants.outdir.rglob("*.template.json"))
    assert len(paths) == len(ALL_STACKS) + len(CACHE_VARIANTS)
    return paths


def _cfn_lint(templates: list[Path]) -> list[Finding]:
    command = [str(Path(sys.executable).with_name("cfn-lint")), "--format", "json"]
    command += ["--append-rules", "cfn_lint_serverless.rules", "--"]
    # Two processes (one per core): cfn-lint spends ~2 s of CPU on each template.
    runs = [
        subprocess.Popen([*command, *map(str, templates[half::2])], stdout=subprocess.PIPE, text=True)
        for half in (0, 1)
    ]
    findings = []
    for run in runs:
        output, _ = run.communicate()
        # The exit code is a bitmask of the levels found; anything else is a crash.
        assert run.returncode < 32, output
        for match in json.loads(output):
            path = match["Location"]["Path"]
            logical = path[1] if len(path) > 1 and path[0] == "Resources" else "/".join(map(str, path))
            findings.append(
                Finding(
                    "cfn-lint", match["Rule"]["Id"], Path(match["Filename"]).name, logical, match["Message"]
                )
            )
    return findings


def _checkov(root: Path) -> list[Finding]:
    """One run over every template of the session (checkov takes ~10 s to start and scan)."""
    assert CHECKOV.exists(), f"checkov is missing at {CHECKOV}: run `make scan-tools`"
    command = [str(CHECKOV), "--directory", str(root), "--framework", "cloudformation"]
    command += ["--output", "json", "--quiet", "--compact", "--soft-fail", "--skip-download"]
    run = subprocess.run(command, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    assert report["summary"]["parsing_errors"] == 0 and report["summary"]["resource_count"] > 0
    findings = []
    for check in report["results"]["failed_checks"]:
        _kind, logical = check["resource"].split(".", 1)
        findings.append(
            Finding("checkov", check["check_id"], Path(check["file_path"]).name, logical, check["check_name"])
        )
    return findings


@pytest.fixture(scope="module")
def scanner_findings(templates: list[Path], templates_root: Path) -> list[Finding]:
    return _cfn_lint(templates) + _checkov(templates_root)


def test_both_scanners_ran_on_every_template(scanner_findings: list[Finding], templates: list[Path]) -> None:
    # Every template has at least one function, which both scanners always have something to say about.
    for tool in ("cfn-lint", "checkov"):
        assert {f.template for f in scanner_findings if f.tool == tool} == {p.name for p in templates}, tool


def test_every_scanner_finding_is_fixed_or_accepted_with_a_reason(scanner_findings: list[Finding]) -> None:
    unaccepted = [str(f) for f in scanner_findings if scanners.accepted(f.rule, f.logical_id) is None]
    assert unaccepted == []


def test_every_acceptance_still_accepts_a_finding(scanner_findings: list[Finding]) -> None:
    stale = [
        entry
        for entry in scanners.ACCEPTED
        if not any(entry.covers(f.rule, f.logical_id) for f in scanner_findings)
    ]
    assert stale == []
    for entry in scanners.ACCEPTED:
        assert len(entry.reason.split()) >= 6 and entry.reason.rstrip().endswith("."), entry

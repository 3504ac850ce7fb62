"""cdk-nag (AwsSolutions) and cfn-lint over every synthesized template."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from aws_cdk import Validations

from tests.infrastructure.conftest import Synth


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


def test_cfn_lint_finds_no_error(synth: Synth) -> None:
    templates = sorted(str(p) for p in Path(synth.outdir).rglob("*.template.json"))
    assert len(templates) == 8
    # W3005 flags the DependsOn CDK adds next to a GetAtt: a known false positive.
    command = [str(Path(sys.executable).with_name("cfn-lint")), "--non-zero-exit-code", "error"]
    command += ["--ignore-checks", "W3005", "--"]
    # Two processes (one per core): cfn-lint spends ~2 s of CPU on each template.
    runs = [
        subprocess.Popen(
            [*command, *templates[half::2]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for half in (0, 1)
    ]
    for run in runs:
        output, _ = run.communicate()
        assert run.returncode == 0, output

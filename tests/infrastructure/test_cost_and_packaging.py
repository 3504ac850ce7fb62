"""The idle-cost report and the Docker-free Lambda packaging."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from aws_cdk import App, AssetStaging, Stack
from aws_cdk import aws_lambda as lambda_

from stacks import cost
from stacks.constructs import packaging
from tests.infrastructure.conftest import Synth


def test_default_core_costs_under_40_dollars_idle(synth: Synth) -> None:
    text, totals = cost.report(synth.outdir)
    core = totals[Path(synth.built.core.template_file).name.removesuffix(".template.json")]
    assert 5 < core < 40
    assert "per million visitors" in text


def test_cost_prices_what_the_template_holds() -> None:
    template = {
        "Parameters": {"Waf": {"Type": "String", "Default": "false"}},
        "Conditions": {"WafOn": {"Fn::Equals": [{"Ref": "Waf"}, "true"]}},
        "Resources": {
            "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}},
            "Acl": {"Type": "AWS::WAFv2::WebACL", "Condition": "WafOn", "Properties": {"Rules": [{}]}},
            "Ep": {"Type": "AWS::EC2::VPCEndpoint",
                   "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b"]}},
            "Rg": {"Type": "AWS::ElastiCache::ReplicationGroup",
                   "Properties": {"CacheNodeType": "cache.r6g.large", "NumCacheClusters": 2,
                                  "Engine": "redis"}},
        },
    }  # fmt: skip
    lines = {line.resource: line.monthly for line in cost.idle_lines(template)}
    assert "Acl" not in lines  # condition false with the default parameter
    assert round(lines["Nat"], 2) == 32.85
    assert round(lines["Ep"], 2) == 14.60
    assert round(lines["Rg"], 2) == round(2 * 0.206 * 730, 2)


def test_asset_hash_covers_only_the_lambda_sources(tmp_path: Path) -> None:
    first = packaging.asset_hash("arm64")
    assert first == packaging.asset_hash("arm64")
    assert first != packaging.asset_hash("x86_64")
    files = {p.relative_to(packaging.REPO_ROOT).parts[0] for p in packaging._source_files()}
    assert files <= {"lambdas", "inlet_strategies", "requirements"}


def test_local_bundler_targets_the_lambda_platform(tmp_path: Path) -> None:
    command = " ".join(packaging.LocalBundler("arm64")._install_command(str(tmp_path)))
    assert "aarch64" in command and "3.12" in command and "requirements/lambda.txt" in command
    assert "--only-binary" in command
    assert "x86_64" in " ".join(packaging.LocalBundler("x86_64")._install_command(str(tmp_path)))


def test_the_bundle_builds_with_no_uv_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment's own uv builds it (a uv-made .venv has no pip): PATH needs none."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    output = tmp_path / "bundle"
    assert packaging.LocalBundler("arm64").try_bundle(str(output)) is True
    assert (output / "lambdas" / "catalog.py").is_file()
    assert (output / "inlet_strategies").is_dir()
    (library,) = (output / "cryptography" / "hazmat" / "bindings").glob("_rust*.so")
    assert library.read_bytes()[18:20] == (183).to_bytes(2, "little")  # ELF e_machine: AArch64


def test_a_failed_bundle_stops_the_synth_with_its_reason_instead_of_trying_docker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without uv anywhere, bundling raises (returning False would send CDK to Docker)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setitem(sys.modules, "uv", None)  # the package is not installed: import fails
    AssetStaging.clear_asset_hash_cache()  # an earlier bundle of the same asset would be reused
    stack = Stack(App(outdir=str(tmp_path / "out")), "Bundled")
    with pytest.raises(RuntimeError) as failure:
        lambda_.Function(stack, "F", runtime=packaging.RUNTIME, handler="lambdas.x.handler",
                         code=packaging.lambda_code("arm64"))  # fmt: skip
    message = str(failure.value)
    assert "uv is needed to build the Lambda bundle" in message and "make .venv/.installed" in message
    assert "docker" not in message.lower()


def test_the_edge_stack_prices_its_sync_for_how_long_it_runs_and_the_gate_per_visitor(synth: Synth) -> None:
    edge = synth.template("edge")
    (line,) = [line for line in cost.idle_lines(edge) if line.kind == "scheduled Lambda runs"]
    # Six checks ten seconds apart each minute, at 256 MB on arm64: about $7 a month.
    assert "x 51.2s" in line.note and 6 < line.monthly < 9
    text, _ = cost.report(synth.outdir)
    assert "Behind the edge gate" in text
    gate = {line.resource: line.monthly for line in cost.edge_gate_lines(requests_per_visitor=10)}
    assert round(gate["CloudFront Functions"], 2) == 1.00  # $0.10 per million invocations

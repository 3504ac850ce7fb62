"""`vwr verify-deploy` finds what it checks in the templates the stacks really synthesize: each stack's
kind from its description, the outputs it requires, and the core's resources it reads."""

from __future__ import annotations

import pytest

from tests.infrastructure.conftest import ALL_STACKS, Synth
from verify_deploy.deployment import DOCUMENTED_OUTPUTS, kind_of


@pytest.mark.parametrize("stack_key", ALL_STACKS)
def test_every_stack_is_recognised_and_has_the_outputs_the_command_requires(
    synth: Synth, stack_key: str
) -> None:
    template = synth.template(stack_key)
    kind = kind_of(template.get("Description", ""))

    assert kind == stack_key.removeprefix("gs.")
    outputs = template.get("Outputs", {})
    # Required, so present whatever the parameters: no condition may leave one out.
    assert {
        name: "Condition" in outputs.get(name, {"Condition": "missing"}) for name in DOCUMENTED_OUTPUTS[kind]
    } == {name: False for name in DOCUMENTED_OUTPUTS[kind]}


@pytest.mark.parametrize(
    ("resource_type", "logical_prefix", "count"),
    [
        ("AWS::SQS::Queue", "EntryDeadLetters", 1),
        ("AWS::CloudFront::Distribution", "Cdn", 1),
        ("AWS::ApiGateway::RestApi", "PublicApi", 1),
        ("AWS::Lambda::EventSourceMapping", "OutboxStreams", 2),
        ("AWS::Lambda::Function", "OutboxFunction", 1),
    ],
)
def test_the_core_resources_the_command_reads_are_found_by_type_and_name(
    synth: Synth, resource_type: str, logical_prefix: str, count: int
) -> None:
    found = [name for name in synth.resources("core", resource_type) if name.startswith(logical_prefix)]

    assert len(found) == count, sorted(synth.resources("core", resource_type))


def test_the_core_has_alarms_and_the_enable_waf_parameter(synth: Synth) -> None:
    assert synth.resources("core", "AWS::CloudWatch::Alarm")
    assert "EnableWaf" in synth.template("core")["Parameters"]

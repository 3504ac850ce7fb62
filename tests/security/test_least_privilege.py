"""Issue 12, item 3: each function may call only the private routes the wiring table says it calls,
and only the functions that sign can read the private signing key.

Read from the synthesized templates (the real CDK synthesizer), function by function: the
`execute-api:Invoke` grants of its role are exactly its catalog entry's `calls`; the signing key's
secret is readable only by functions whose entry uses it; the functions that only show or verify
the public key read its own SSM parameter instead.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from lambdas import catalog
from lambdas.catalog import Resource
from tests.infrastructure.conftest import Synth
from tests.infrastructure.helpers import as_list, by_type, catalog_functions, flatten

STACKS_WITH_FUNCTIONS = ("core", "inlet", "openid", "gs.core")
_ROUTE_TAIL = re.compile(r"/(GET|POST)(/[A-Za-z_/]+)$")
# Only these read the private key: they sign tokens or make it.
SIGNERS = {"GenerateToken", "PrivateGenerateToken", "GenerateKeys", "OidcToken"}
PUBLIC_KEY_READERS = {"PublicKey", "OidcJwks", "OidcUserInfo"}


def _statements_by_function(template: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Catalog name -> every policy statement attached to its function's role."""
    role_of = {
        name: template["Resources"][logical]["Properties"]["Role"]["Fn::GetAtt"][0]
        for logical, name in catalog_functions(template).items()
    }
    attached: dict[str, list[dict[str, Any]]] = {}
    for policy in by_type(template, "AWS::IAM::Policy").values():
        for role in policy["Properties"].get("Roles", []):
            attached.setdefault(role["Ref"], []).extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return {name: attached.get(role, []) for name, role in role_of.items()}


def _resources_for(statements: list[dict[str, Any]], action: str) -> list[str]:
    return [
        flatten(resource)
        for statement in statements
        if action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    ]


def _invoked_routes(statements: list[dict[str, Any]]) -> set[str]:
    routes = set()
    for arn in _resources_for(statements, "execute-api:Invoke"):
        match = _ROUTE_TAIL.search(arn)
        assert match, f"an invoke grant that names no single route: {arn}"
        routes.add(f"{match.group(1)} {match.group(2)}")
    return routes


@pytest.mark.parametrize("stack", STACKS_WITH_FUNCTIONS)
def test_each_function_may_invoke_exactly_the_private_routes_it_calls(synth: Synth, stack: str) -> None:
    granted = {
        name: _invoked_routes(statements)
        for name, statements in _statements_by_function(synth.template(stack)).items()
    }
    assert granted
    assert granted == {name: set(catalog.by_name(name).calls) for name in granted}


def test_no_function_is_given_the_reset_or_the_whole_private_api() -> None:
    callers = {f.name: set(f.calls) for f in catalog.FUNCTIONS if f.calls}
    assert set(callers) == {"PeriodicInlet", "MaxSizeInlet", "OidcAuthorize", "OidcToken"}
    assert not any("POST /reset_initial_state" in calls for calls in callers.values())
    for function in catalog.FUNCTIONS:
        catalog.private_calls(function)  # every name is a private route of the table


@pytest.mark.parametrize("stack", ["core", "openid", "gs.core"])
def test_only_signers_read_the_private_key(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    secret = "<JwtKeys" if stack != "openid" else "<SigningKeyArn>"
    for name, statements in _statements_by_function(template).items():
        reads_key = any(
            arn.startswith(secret) for arn in _resources_for(statements, "secretsmanager:GetSecretValue")
        )
        assert reads_key == (name in SIGNERS), name
        reads_public = bool(_resources_for(statements, "ssm:GetParameter"))
        assert reads_public == (name in PUBLIC_KEY_READERS), name
        assert ((Resource.JWT_PUBLIC_KEY, "read") in catalog.by_name(name).uses) == reads_public


def test_the_public_key_parameter_holds_the_generated_public_jwk(synth: Synth) -> None:
    template = synth.template("core")
    (parameter,) = by_type(template, "AWS::SSM::Parameter").values()
    value = parameter["Properties"]["Value"]
    generator = value["Fn::GetAtt"][0]
    assert value["Fn::GetAtt"][1] == "PublicJwk"
    assert template["Resources"][generator]["Type"] == "Custom::GenerateKeys"
    readers = {
        name
        for name, statements in _statements_by_function(template).items()
        if any(
            parameter["Properties"]["Name"] in arn for arn in _resources_for(statements, "ssm:GetParameter")
        )
    }
    assert readers == PUBLIC_KEY_READERS & {f.name for f in catalog.functions_of("core")}


def test_only_the_redrive_drains_the_dead_letter_queue_and_only_the_counters_read_its_depth(
    synth: Synth,
) -> None:
    """The dead-letter queue's messages are entries (request ids are bearer secrets): one function
    takes them off it, one reads how many there are, and no grant names the queue with a wildcard."""
    template = synth.template("core")
    (dead_letters,) = [
        logical
        for logical, queue in by_type(template, "AWS::SQS::Queue").items()
        if logical.startswith("EntryDeadLetters")
    ]
    on_queue: dict[str, set[str]] = {}
    for name, statements in _statements_by_function(template).items():
        for statement in statements:
            resources = [flatten(r) for r in as_list(statement["Resource"])]
            actions = [a for a in as_list(statement["Action"]) if a.startswith("sqs:")]
            assert not any("*" in a for a in actions), (name, actions)
            if any(r == f"<{dead_letters}.Arn>" for r in resources):
                assert resources == [f"<{dead_letters}.Arn>"], name
                on_queue.setdefault(name, set()).update(actions)
    assert on_queue == {
        "DeadLetterRedrive": {"sqs:ReceiveMessage", "sqs:DeleteMessage"},
        "Counters": {"sqs:GetQueueAttributes"},
    }
    redrive = _statements_by_function(template)["DeadLetterRedrive"]
    (entry_queue,) = [r for r in _resources_for(redrive, "sqs:SendMessage")]
    assert entry_queue.startswith("<EntryQueue") and entry_queue.endswith(".Arn>")

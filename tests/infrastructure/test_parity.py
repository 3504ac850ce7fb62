"""The templates contain exactly the wiring table: its functions, routes, triggers and schedules."""

from __future__ import annotations

import pytest

from lambdas import catalog
from tests.infrastructure.conftest import STANDALONE, Synth
from tests.infrastructure.helpers import api_routes, by_type, catalog_functions, env

STACK_APIS = {"core": ("public", "private"), "sample": ("store",), "openid": ("oidc",)}


@pytest.mark.parametrize("stack", STANDALONE)
def test_stack_has_exactly_its_catalog_functions(synth: Synth, stack: str) -> None:
    found = sorted(catalog_functions(synth.template(stack)).values())
    assert found == sorted(f.name for f in catalog.functions_of(stack))  # type: ignore[arg-type]


def test_every_catalog_function_is_deployed_once() -> None:
    assert {f.stack for f in catalog.FUNCTIONS} <= set(STANDALONE)


@pytest.mark.parametrize("stack", STANDALONE)
def test_functions_have_catalog_handler_env_and_sizes(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    for logical, name in catalog_functions(template).items():
        entry = catalog.by_name(name)
        props = template["Resources"][logical]["Properties"]
        assert props["Handler"] == entry.handler
        assert props["Timeout"] == entry.timeout_seconds
        assert props["MemorySize"] == entry.memory_mb
        assert props["Architectures"] == ["arm64"] and props["Runtime"] == "python3.12"
        assert "TracingConfig" not in props  # X-Ray is opt-in (`-c tracing=true`)
        variables = env(template, logical)
        expected = {s.value for s in entry.settings} | {r.value for r, _ in entry.uses}
        assert expected <= set(variables), f"{name} misses {expected - set(variables)}"


@pytest.mark.parametrize("stack", list(STACK_APIS))
def test_routes_are_exactly_the_catalog_routes(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    functions = {name: logical for logical, name in catalog_functions(template).items()}
    routes = api_routes(template)
    assert set(routes) == set(STACK_APIS[stack])
    for api in STACK_APIS[stack]:
        expected = {(r.method, r.path, functions[f.name]) for r, f in catalog.routes_of(api)}  # type: ignore[arg-type]
        if api == catalog.ASSIGN_QUEUE_NUM.api:
            expected.add((catalog.ASSIGN_QUEUE_NUM.method, catalog.ASSIGN_QUEUE_NUM.path, "AWS"))
        assert routes[api] == expected


def _function_ref(value: object) -> str | None:
    if isinstance(value, dict):
        if "Ref" in value:
            return value["Ref"]
        if "Fn::GetAtt" in value:
            return value["Fn::GetAtt"][0]
    return None


def test_queue_triggers(synth: Synth) -> None:
    template = synth.template("core")
    functions = catalog_functions(template)
    # The queue's mappings; the streams' are the outbox's (tests/infrastructure/test_outbox.py).
    mappings = by_type(template, "AWS::Lambda::EventSourceMapping")
    wired = {
        functions[_function_ref(m["Properties"]["FunctionName"])]: m["Properties"]
        for m in mappings.values()
        if "StartingPosition" not in m["Properties"]
    }
    expected = {
        f.name: t for f in catalog.FUNCTIONS for t in f.triggers if isinstance(t, catalog.QueueTrigger)
    }
    assert set(wired) == set(expected)
    for name, trigger in expected.items():
        assert wired[name]["BatchSize"] == trigger.batch_size
        assert wired[name]["MaximumBatchingWindowInSeconds"] == trigger.max_batching_window_seconds
        assert wired[name]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize("stack", ("core", "inlet"))
def test_schedules(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    functions = catalog_functions(template)
    rules: dict[str, dict] = {}
    for rule in by_type(template, "AWS::Events::Rule").values():
        for target in rule["Properties"]["Targets"]:
            rules[functions[_function_ref(target["Arn"])]] = rule["Properties"]
    expected = {
        f.name: t
        for f in catalog.functions_of(stack)  # type: ignore[arg-type]
        for t in f.triggers
        if isinstance(t, catalog.Schedule)
    }
    assert set(rules) == set(expected)
    for name, schedule in expected.items():
        unit = "minute" if schedule.rate_minutes == 1 else "minutes"
        assert rules[name]["ScheduleExpression"] == f"rate({schedule.rate_minutes} {unit})"
        state = rules[name].get("State", "ENABLED")
        if schedule.enabled_by is None:
            assert state == "ENABLED"
        else:
            # Switched by the parameter behind the setting: ENABLED/DISABLED through a condition.
            assert state["Fn::If"][1:] == ["ENABLED", "DISABLED"]


def test_topic_triggers(synth: Synth) -> None:
    template = synth.template("inlet")
    functions = catalog_functions(template)
    topics = by_type(template, "AWS::SNS::Topic")
    subscribed = {
        functions[_function_ref(s["Properties"]["Endpoint"])]: s["Properties"]["TopicArn"]["Ref"]
        for s in by_type(template, "AWS::SNS::Subscription").values()
        if s["Properties"]["Protocol"] == "lambda"
    }
    expected = {f.name for f in catalog.FUNCTIONS for t in f.triggers if isinstance(t, catalog.TopicTrigger)}
    assert set(subscribed) == expected
    assert set(subscribed.values()) <= set(topics)


def test_custom_resources(synth: Synth) -> None:
    template = synth.template("core")
    kinds = {v["Type"] for v in template["Resources"].values() if v["Type"].startswith("Custom::")}
    expected = {
        t.resource_type
        for f in catalog.FUNCTIONS
        for t in f.triggers
        if isinstance(t, catalog.CustomResourceTrigger)
    }
    assert kinds == expected


def test_authorizer_trigger(synth: Synth) -> None:
    authorizers = by_type(synth.template("sample"), "AWS::ApiGateway::Authorizer")
    assert len(authorizers) == 1
    (props,) = (a["Properties"] for a in authorizers.values())
    assert props["Type"] == "TOKEN"
    assert props["IdentitySource"] == "method.request.header.Authorization"
    # Every store route is behind it, as the catalog marks them.
    for method in by_type(synth.template("sample"), "AWS::ApiGateway::Method").values():
        if method["Properties"]["HttpMethod"] != "OPTIONS":
            assert method["Properties"]["AuthorizationType"] == "CUSTOM"

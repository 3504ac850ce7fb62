"""The outbox pipes of the core stack: one per catalog OUTBOX event, from its table's stream to the
bus, shaped and filtered by the same definition the local stream poller reads."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from lambdas import catalog
from lambdas.catalog import OUTBOX, OutboxEvent, Resource
from tests.infrastructure.conftest import Synth
from tests.infrastructure.helpers import by_type, catalog_functions, flatten

CORES = ("core", "gs.core")
STREAM_READ = {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
}


def _table_logical(template: dict[str, Any], resource: Resource) -> str:
    prefix = resource.name.title().replace("_", "")
    [logical] = [k for k in by_type(template, "AWS::DynamoDB::Table") if k.startswith(prefix)]
    return logical


def _pipes(template: dict[str, Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Detail type -> (logical id, properties) of every pipe."""
    return {
        props["TargetParameters"]["EventBridgeEventBusParameters"]["DetailType"]: (logical, props)
        for logical, resource in by_type(template, "AWS::Pipes::Pipe").items()
        for props in [resource["Properties"]]
    }


def _bus_logical(template: dict[str, Any]) -> str:
    [logical] = by_type(template, "AWS::Events::EventBus")
    return logical


@pytest.mark.parametrize("stack", CORES)
def test_each_outbox_event_is_a_pipe_from_its_tables_stream_to_the_bus(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    pipes = _pipes(template)
    assert set(pipes) == {event.detail_type for event in OUTBOX}
    for event in OUTBOX:
        _, props = pipes[event.detail_type]
        assert props["Source"] == {"Fn::GetAtt": [_table_logical(template, event.table), "StreamArn"]}
        assert props["Target"] == {"Fn::GetAtt": [_bus_logical(template), "Arn"]}
        source = props["SourceParameters"]
        # From the oldest record, retried until the record leaves the stream: none is skipped.
        assert source["DynamoDBStreamParameters"] == {"StartingPosition": "TRIM_HORIZON"}
        assert [json.loads(f["Pattern"]) for f in source["FilterCriteria"]["Filters"]] == [
            event.filter_pattern()
        ]
        target = props["TargetParameters"]
        assert target["EventBridgeEventBusParameters"] == {
            "DetailType": event.detail_type,
            "Source": catalog.EVENT_SOURCE,
        }
        assert target["InputTemplate"] == event.input_template()
        assert "Enrichment" not in props  # shaped by the template, no function in between


@pytest.mark.parametrize("stack", CORES)
def test_streamed_tables_carry_both_images_and_the_others_no_stream(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    for resource in (Resource.QUEUE_POSITIONS_TABLE, Resource.TOKENS_TABLE, Resource.SERVING_COUNTER_TABLE):
        props = template["Resources"][_table_logical(template, resource)]["Properties"]
        expected = {"StreamViewType": "NEW_AND_OLD_IMAGES"} if catalog.outbox_of(resource) else None
        assert props.get("StreamSpecification") == expected, resource


@pytest.mark.parametrize("stack", CORES)
def test_a_pipe_role_reads_its_stream_and_puts_on_the_bus_only(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    roles = by_type(template, "AWS::IAM::Role")
    policies = by_type(template, "AWS::IAM::Policy")
    for event in OUTBOX:
        logical, props = _pipes(template)[event.detail_type]
        role = props["RoleArn"]["Fn::GetAtt"][0]
        trust = roles[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust == [
            {
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
                "Effect": "Allow",
                "Principal": {"Service": "pipes.amazonaws.com"},
            }
        ]
        assert not roles[role]["Properties"].get("ManagedPolicyArns")
        statements = [
            statement
            for policy in policies.values()
            if {"Ref": role} in policy["Properties"].get("Roles", [])
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]
        granted = {
            (action, flatten(statement["Resource"]))
            for statement in statements
            for action in (
                [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
            )
        }
        stream = f"<{_table_logical(template, event.table)}.StreamArn>"
        assert granted == {(action, stream) for action in STREAM_READ} | {
            ("events:PutEvents", f"<{_bus_logical(template)}.Arn>")
        }
        # The pipe starts only once its role may read the stream.
        assert template["Resources"][logical]["DependsOn"]


@pytest.mark.parametrize("stack", CORES)
def test_token_and_session_functions_may_not_put_events(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    names = catalog_functions(template)
    functions = template["Resources"]
    may_put = set()
    for policy in by_type(template, "AWS::IAM::Policy").values():
        actions = flatten([s["Action"] for s in policy["Properties"]["PolicyDocument"]["Statement"]])
        if "events:PutEvents" in actions:
            may_put |= {role["Ref"] for role in policy["Properties"].get("Roles", [])}
    putting = {
        names[logical]
        for logical in names
        if functions[logical]["Properties"]["Role"]["Fn::GetAtt"][0] in may_put
    }
    assert putting == {"ExpirySweeper", "MetricsEvent"}


@pytest.mark.parametrize("stack", CORES)
def test_the_eventbridge_endpoint_exists_only_where_functions_put_events(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    [endpoint] = [
        resource
        for resource in by_type(template, "AWS::EC2::VPCEndpoint").values()
        if ".events" in flatten(resource["Properties"]["ServiceName"])
    ]
    # Only with PrivateEndpoints=true (otherwise EventBridge is reached over IPv6).
    assert endpoint["Condition"] == "EventBridgeEndpointWanted"
    conditions = template["Conditions"]
    assert conditions["EventBridgeEndpointWanted"] == {
        "Fn::And": [{"Condition": "PrivateEndpointsAsked"}, {"Condition": "FunctionsPutEvents"}]
    }
    assert conditions["FunctionsPutEvents"] == {
        "Fn::Or": [{"Condition": "EventsEnabled"}, {"Condition": "IncrOnExpiryEnabled"}]
    }
    assert conditions["IncrOnExpiryEnabled"] == {
        "Fn::Equals": [{"Ref": "IncrSvcOnQueuePositionExpiry"}, "true"]
    }


# -- parity: the pipe's filter and template, applied as EventBridge would, against the catalog's
# Python reading of them (what the local stream poller runs) ---------------------------------------


def _matches(pattern: Any, value: Any) -> bool:
    """EventBridge pattern matching for what the outbox filters use: value lists and `exists`."""
    if isinstance(pattern, dict):
        node = value if isinstance(value, dict) else {}
        return all(_field_matches(rule, key in node, node.get(key)) for key, rule in pattern.items())
    raise TypeError(pattern)


def _field_matches(rule: Any, present: bool, value: Any) -> bool:
    if isinstance(rule, dict):
        return _matches(rule, value if present else {})
    for option in rule:
        if isinstance(option, dict) and set(option) == {"exists"}:
            if option["exists"] == present:
                return True
        elif present and value == option:
            return True
    return False


def _render(template: str, record: dict[str, Any]) -> Any:
    """The input template with each `<$.path>` replaced by the record's string at that path."""

    def value(match: re.Match[str]) -> str:
        node: Any = record
        for key in match.group(1).split("."):
            node = node[key]
        assert isinstance(node, str)
        return node

    return json.loads(re.sub(r"<\$\.([A-Za-z0-9_.]+)>", value, template))


def _image(**attributes: str) -> dict[str, dict[str, str]]:
    return {name: {"S": value} for name, value in attributes.items()}


TOKEN = _image(request_id="r-1", event_id="ev", issuer="https://issuer")
CLOSED = {**TOKEN, **_image(session_outcome="completed")}
RECORDS = {
    "insert": {"eventName": "INSERT", "dynamodb": {"NewImage": TOKEN}},
    "close": {"eventName": "MODIFY", "dynamodb": {"OldImage": TOKEN, "NewImage": CLOSED}},
    "close again": {"eventName": "MODIFY", "dynamodb": {"OldImage": CLOSED, "NewImage": CLOSED}},
    "other change": {
        "eventName": "MODIFY",
        "dynamodb": {"OldImage": TOKEN, "NewImage": {**TOKEN, **_image(issuer="other")}},
    },
    "ttl delete": {"eventName": "REMOVE", "dynamodb": {"OldImage": CLOSED}},
}


@pytest.mark.parametrize("record", RECORDS, ids=str)
@pytest.mark.parametrize("event", OUTBOX, ids=lambda e: e.detail_type)
def test_the_synthesized_pipe_and_the_local_poller_agree(
    synth: Synth, event: OutboxEvent, record: str
) -> None:
    _, props = _pipes(synth.template("core"))[event.detail_type]
    stream_record = RECORDS[record]
    [pattern] = [json.loads(f["Pattern"]) for f in props["SourceParameters"]["FilterCriteria"]["Filters"]]
    assert _matches(pattern, stream_record) == event.matches(stream_record)
    if event.matches(stream_record):
        assert _render(props["TargetParameters"]["InputTemplate"], stream_record) == event.detail(
            stream_record
        )


def test_each_record_change_is_at_most_one_event() -> None:
    expected = {"insert": ["token_generated"], "close": ["session_updated"]}
    for name, record in RECORDS.items():
        assert [e.detail_type for e in OUTBOX if e.matches(record)] == expected.get(name, []), name


@pytest.mark.parametrize("stack", CORES)
def test_a_failing_pipe_raises_an_alarm(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    watched = {
        flatten(props["Dimensions"][0]["Value"]): props
        for resource in by_type(template, "AWS::CloudWatch::Alarm").values()
        for props in [resource["Properties"]]
        if props.get("Namespace") == "AWS/EventBridge/Pipes"
    }
    assert set(watched) == {f"<{logical}>" for logical, _ in _pipes(template).values()}
    for props in watched.values():
        assert (props["MetricName"], props["Threshold"]) == ("ExecutionFailed", 0)
        assert props["AlarmActions"]

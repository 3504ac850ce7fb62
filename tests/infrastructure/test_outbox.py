"""The outbox of the core stack: one function, invoked by an event source mapping on each table's
stream that carries catalog OUTBOX events, filtered by the same definition the local stream poller
reads, with bounded retries, partial batch responses and a failure queue; and its grants."""

from __future__ import annotations

import json
from collections import Counter
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
# Lambda's default quota of filters on one event source mapping: a deploy with more fails (the
# CloudFormation schema allows 20, so only this assertion catches it before a deploy).
FILTERS_PER_MAPPING = 5


def _table_logical(template: dict[str, Any], resource: Resource) -> str:
    prefix = resource.name.title().replace("_", "")
    [logical] = [k for k in by_type(template, "AWS::DynamoDB::Table") if k.startswith(prefix)]
    return logical


def _outbox_function(template: dict[str, Any]) -> str:
    [logical] = [k for k, name in catalog_functions(template).items() if name == "Outbox"]
    return logical


def _mappings(template: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(stream ARN, logical id, properties) of every stream mapping: a list, so that a second
    mapping on one stream shows."""
    return [
        (flatten(props["EventSourceArn"]), logical, props)
        for logical, resource in by_type(template, "AWS::Lambda::EventSourceMapping").items()
        for props in [resource["Properties"]]
        if "StartingPosition" in props
    ]


def _stream(template: dict[str, Any], resource: Resource) -> str:
    return f"<{_table_logical(template, resource)}.StreamArn>"


def _mapping_on(template: dict[str, Any], resource: Resource) -> dict[str, Any]:
    """The properties of the one mapping on the table's stream."""
    [props] = [props for stream, _, props in _mappings(template) if stream == _stream(template, resource)]
    return props


def _failures_queue(template: dict[str, Any]) -> str:
    [logical] = [k for k in by_type(template, "AWS::SQS::Queue") if k.startswith("OutboxStreamsFailures")]
    return logical


@pytest.mark.parametrize("stack", CORES)
def test_each_streamed_table_invokes_the_outbox_function_through_a_filtered_bounded_mapping(
    synth: Synth, stack: str
) -> None:
    template = synth.template(stack)
    streamed = {event.table for event in OUTBOX}
    # Exactly one mapping per stream: a second would invoke the function twice for every record.
    assert Counter(stream for stream, _, _ in _mappings(template)) == {
        _stream(template, table): 1 for table in streamed
    }
    trigger = next(t for t in catalog.by_name("Outbox").triggers if isinstance(t, catalog.StreamTrigger))
    for table in streamed:
        props = _mapping_on(template, table)
        assert props["FunctionName"] == {"Ref": _outbox_function(template)}
        # The batches the wiring table names (the local stream poller reads the same).
        assert props["BatchSize"] == trigger.batch_size
        assert props["MaximumBatchingWindowInSeconds"] == trigger.max_batching_window_seconds
        # From the oldest record; failures reported per record, retried within bounds, then kept.
        assert props["StartingPosition"] == "TRIM_HORIZON"
        assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert props["BisectBatchOnFunctionError"] is True
        assert props["MaximumRetryAttempts"] == trigger.retry_attempts
        assert props["MaximumRecordAgeInSeconds"] == trigger.max_record_age_seconds
        assert props["ParallelizationFactor"] == 1
        assert props["DestinationConfig"] == {
            "OnFailure": {"Destination": {"Fn::GetAtt": [_failures_queue(template), "Arn"]}}
        }
        # Only the table's own events invoke the function; no other change does.
        filters = props["FilterCriteria"]["Filters"]
        assert [json.loads(f["Pattern"]) for f in filters] == [
            event.filter_pattern() for event in catalog.outbox_of(table)
        ]
        assert len(filters) <= FILTERS_PER_MAPPING


@pytest.mark.parametrize("stack", CORES)
def test_streamed_tables_carry_both_images_and_the_others_no_stream(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    for resource in (Resource.QUEUE_POSITIONS_TABLE, Resource.TOKENS_TABLE, Resource.SERVING_COUNTER_TABLE):
        props = template["Resources"][_table_logical(template, resource)]["Properties"]
        expected = {"StreamViewType": "NEW_AND_OLD_IMAGES"} if catalog.outbox_of(resource) else None
        assert props.get("StreamSpecification") == expected, resource


@pytest.mark.parametrize("stack", CORES)
def test_the_outbox_role_reads_its_streams_sends_failures_and_puts_on_the_bus_only(
    synth: Synth, stack: str
) -> None:
    template = synth.template(stack)
    function = template["Resources"][_outbox_function(template)]
    role = function["Properties"]["Role"]["Fn::GetAtt"][0]
    # Outside the VPC: it reaches no Redis, and EventBridge without an endpoint.
    assert "VpcConfig" not in function["Properties"]
    assert not template["Resources"][role]["Properties"].get("ManagedPolicyArns")
    statements = [
        statement
        for policy in by_type(template, "AWS::IAM::Policy").values()
        if {"Ref": role} in policy["Properties"].get("Roles", [])
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    granted = {
        (action, flatten(statement["Resource"]))
        for statement in statements
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    streams = {f"<{_table_logical(template, event.table)}.StreamArn>" for event in OUTBOX}
    queue = f"<{_failures_queue(template)}.Arn>"
    logs = {a for a, r in granted if a.startswith("logs:")}
    assert granted - {(a, r) for a, r in granted if a in logs} == (
        {(action, stream) for action in STREAM_READ for stream in streams}
        | {(action, queue) for action in ("sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl")}
        | {("events:PutEvents", f"<{_bus_logical(template)}.Arn>")}
    )
    # Each mapping starts only once the role may read its stream.
    for _, logical, _ in _mappings(template):
        assert template["Resources"][logical].get("DependsOn")


def _bus_logical(template: dict[str, Any]) -> str:
    [logical] = by_type(template, "AWS::Events::EventBus")
    return logical


@pytest.mark.parametrize("stack", CORES)
def test_only_the_outbox_and_the_metrics_job_may_put_events(synth: Synth, stack: str) -> None:
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
    assert putting == {"Outbox", "MetricsEvent"}


@pytest.mark.parametrize("stack", CORES)
def test_the_eventbridge_endpoint_exists_only_where_functions_put_events(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    [endpoint] = [
        resource
        for resource in by_type(template, "AWS::EC2::VPCEndpoint").values()
        if ".events" in flatten(resource["Properties"]["ServiceName"])
    ]
    # Only with PrivateEndpoints=true (otherwise EventBridge is reached over IPv6), and only for
    # the metrics job: the outbox function runs outside the VPC.
    assert endpoint["Condition"] == "EventBridgeEndpointWanted"
    assert template["Conditions"]["EventBridgeEndpointWanted"] == {
        "Fn::And": [{"Condition": "PrivateEndpointsAsked"}, {"Condition": "EventsEnabled"}]
    }


# -- parity: the mapping's filter, applied as Lambda would, against the catalog's Python reading of
# it (what the local stream poller runs) --------------------------------------------------------------


def _matches(pattern: Any, value: Any) -> bool:
    """Lambda's pattern matching for what the outbox filters use: nested keys and `exists`."""
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


def _image(**attributes: str) -> dict[str, dict[str, str]]:
    return {name: {"N": value} if value.isdigit() else {"S": value} for name, value in attributes.items()}


TOKEN = _image(request_id="r-1", event_id="ev", issuer="https://issuer")
CLOSED = {**TOKEN, **_image(session_outcome="completed")}
TOKEN_KEYS = {"request_id": {"S": "r-1"}}
MOVE = _image(
    event_id="ev", serving_counter="10", increment_by="3", previous_serving_counter="7", generation="2"
)
SWEPT = {**MOVE, **_image(expiry_watermark="12")}
MOVE_KEYS = {"event_id": {"S": "ev"}, "serving_counter": {"N": "10"}}


def _change(name: str, keys: dict, old: dict | None = None, new: dict | None = None) -> dict[str, Any]:
    images: dict[str, Any] = {"Keys": keys}
    if old is not None:
        images["OldImage"] = old
    if new is not None:
        images["NewImage"] = new
    return {"eventName": name, "dynamodb": images}


RECORDS = {
    "insert": _change("INSERT", TOKEN_KEYS, new=TOKEN),
    "close": _change("MODIFY", TOKEN_KEYS, TOKEN, CLOSED),
    "close again": _change("MODIFY", TOKEN_KEYS, CLOSED, CLOSED),
    "other change": _change("MODIFY", TOKEN_KEYS, TOKEN, {**TOKEN, **_image(issuer="other")}),
    "ttl delete": _change("REMOVE", TOKEN_KEYS, CLOSED),
    "sweeper's move": _change("INSERT", MOVE_KEYS, new=SWEPT),
    "sweeper's move over an older generation's": _change("MODIFY", MOVE_KEYS, MOVE, SWEPT),
    "operator's move": _change("INSERT", MOVE_KEYS, new={**MOVE, **_image(idempotency_key="k")}),
    "move expired": _change("REMOVE", MOVE_KEYS, SWEPT),
}


@pytest.mark.parametrize("record", RECORDS, ids=str)
@pytest.mark.parametrize("event", OUTBOX, ids=lambda e: e.detail_type)
def test_the_synthesized_filter_and_the_local_poller_agree(
    synth: Synth, event: OutboxEvent, record: str
) -> None:
    template = synth.template("core")
    props = _mapping_on(template, event.table)
    patterns = [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]]
    assert event.filter_pattern() in patterns
    assert _matches(event.filter_pattern(), RECORDS[record]) == event.matches(RECORDS[record])


def test_each_record_change_is_at_most_one_event() -> None:
    expected = {
        "insert": ["token_generated"],
        "close": ["session_updated"],
        "sweeper's move": ["automatic_serving_counter_incr"],
        "sweeper's move over an older generation's": ["automatic_serving_counter_incr"],
    }
    for name, record in RECORDS.items():
        assert [e.detail_type for e in OUTBOX if e.matches(record)] == expected.get(name, []), name


@pytest.mark.parametrize("stack", CORES)
def test_a_failing_outbox_raises_an_alarm(synth: Synth, stack: str) -> None:
    template = synth.template(stack)
    alarms = [r["Properties"] for r in by_type(template, "AWS::CloudWatch::Alarm").values()]
    function = f"<{_outbox_function(template)}>"
    watched = {
        (props.get("Namespace"), props.get("MetricName"), flatten(props["Dimensions"][0]["Value"]))
        for props in alarms
        if props.get("AlarmActions")
    }
    assert ("AWS/Lambda", "Errors", function) in watched
    assert ("AWS/Lambda", "IteratorAge", function) in watched
    assert (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
        f"<{_failures_queue(template)}.QueueName>",
    ) in watched
    assert not [props for props in alarms if props.get("Namespace") == "AWS/EventBridge/Pipes"]
    assert not by_type(template, "AWS::Pipes::Pipe")

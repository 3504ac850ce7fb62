"""The checks of `vwr verify-deploy` that read AWS, against the moto server (through endpoint_url,
as the command reaches AWS), and the run's clean-up on failure and Ctrl-C."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from lambdas.catalog import EVENT_SOURCE
from verify_deploy import checks, cli, edge
from verify_deploy.checks import Check
from verify_deploy.context import Context, Options, Removal, Result, failed, passed, skipped
from verify_deploy.deployment import DOCUMENTED_OUTPUTS, Deployment, Stack, from_stacks
from verify_deploy.run import run

REGION = "us-east-1"
ACCOUNT = "123456789012"


@pytest.fixture
def session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)


@pytest.fixture
def deployment(session: boto3.Session, moto_endpoint: str) -> Deployment:
    return Deployment(
        public_api="http://unused.invalid/public",
        private_api="http://unused.invalid/private",
        event_id="Sample",
        region=REGION,
        session=session,
        endpoint_url=moto_endpoint,
    )


def context(deployment: Deployment) -> Context:
    return Context(deployment, Options(event_timeout=2.0))


def core_template(outputs: list[str]) -> str:
    return json.dumps(
        {
            "Description": "Virtual waiting room: core (APIs, queue, Redis, tables, keys)",
            "Parameters": {"EnableWaf": {"Type": "String", "Default": "true"}},
            "Resources": {"EntryDeadLetters1A2B3C": {"Type": "AWS::SQS::Queue"}},
            "Outputs": {name: {"Value": f"https://{name.lower()}.example/"} for name in outputs},
        }
    )


def create_stack(session: boto3.Session, endpoint: str, outputs: list[str]) -> str:
    name = f"core-{uuid.uuid4().hex[:8]}"
    session.client("cloudformation", endpoint_url=endpoint).create_stack(
        StackName=name, TemplateBody=core_template(outputs)
    )
    return name


# -- the stacks --------------------------------------------------------------------------------------


def test_a_core_stack_is_read_from_its_outputs_and_resources(
    session: boto3.Session, moto_endpoint: str
) -> None:
    name = create_stack(session, moto_endpoint, list(DOCUMENTED_OUTPUTS["core"]))

    found = from_stacks([name], session=session, region=REGION, endpoint_url=moto_endpoint)

    assert found.public_api == "https://publicapiurl.example"
    assert "EntryDeadLetters1A2B3C" in str(found.dead_letter_queue_url)
    assert found.waf_enabled is True and found.local is False
    assert checks.stacks(context(found)) == passed(f"complete, with every documented output: {name} (core)")


def test_a_missing_output_fails_the_stacks_check_by_name(session: boto3.Session, moto_endpoint: str) -> None:
    outputs = [o for o in DOCUMENTED_OUTPUTS["core"] if o != "EventBusName"]
    name = create_stack(session, moto_endpoint, outputs)

    result = checks.stacks(
        context(from_stacks([name], session=session, region=REGION, endpoint_url=moto_endpoint))
    )

    assert result.status == "fail" and f"{name} lacks the outputs EventBusName" in result.detail


def test_a_rolled_back_stack_fails_with_its_reason(deployment: Deployment) -> None:
    outputs = {o: "x" for o in DOCUMENTED_OUTPUTS["core"]}
    deployment.stacks = [
        Stack(
            "WaitingRoom-Core",
            "core",
            "UPDATE_ROLLBACK_COMPLETE",
            "Resource RedisUsers failed",
            outputs,
            {},
            [],
        )
    ]

    result = checks.stacks(context(deployment))

    assert result.status == "fail"
    assert (
        "UPDATE_ROLLBACK_COMPLETE Resource RedisUsers failed" in result.detail
        and "Events tab" in result.advice
    )


def test_stacks_without_a_core_are_refused(session: boto3.Session, moto_endpoint: str) -> None:
    name = f"other-{uuid.uuid4().hex[:8]}"
    session.client("cloudformation", endpoint_url=moto_endpoint).create_stack(
        StackName=name,
        TemplateBody=json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}),
    )
    with pytest.raises(ValueError, match="core stack"):
        from_stacks([name], session=session, region=REGION, endpoint_url=moto_endpoint)


# -- dead letters, alarms, the outbox, WAF ----------------------------------------------------------------


def test_the_dead_letter_queue_passes_empty_and_fails_with_an_entry(deployment: Deployment) -> None:
    sqs = deployment.client("sqs")
    deployment.dead_letter_queue_url = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    assert checks.dead_letters(context(deployment)).status == "pass"

    sqs.send_message(QueueUrl=deployment.dead_letter_queue_url, MessageBody="{}")

    result = checks.dead_letters(context(deployment))
    assert result.status == "fail" and result.detail == "1 entries in the dead-letter queue"
    assert "QueueWorker" in result.advice


def test_an_alarm_in_alarm_is_named(deployment: Deployment) -> None:
    cloudwatch = deployment.client("cloudwatch")
    names = [f"alarm-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        cloudwatch.put_metric_alarm(
            AlarmName=name, MetricName="Errors", Namespace="AWS/Lambda", Statistic="Sum", Period=60,
            EvaluationPeriods=1, Threshold=0, ComparisonOperator="GreaterThanThreshold",
        )  # fmt: skip
    deployment.alarms = names
    assert checks.alarms(context(deployment)) == passed("2 alarms, none in ALARM")

    cloudwatch.set_alarm_state(AlarmName=names[1], StateValue="ALARM", StateReason="test")

    assert checks.alarms(context(deployment)).detail == f"in ALARM: {names[1]}"


def test_a_disabled_stream_mapping_fails_the_outbox_check(deployment: Deployment) -> None:
    iam, dynamodb = deployment.client("iam"), deployment.client("dynamodb")
    role = iam.create_role(
        RoleName=f"outbox-{uuid.uuid4().hex[:8]}",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
    name = f"outbox-{uuid.uuid4().hex[:8]}"
    lambda_ = deployment.client("lambda")
    lambda_.create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="lambdas.outbox.handler",
        Code={"ZipFile": _empty_zip()},
    )  # fmt: skip
    mappings = []
    for table in ("tokens", "serving"):
        table_name = f"{table}-{uuid.uuid4().hex[:8]}"
        stream = dynamodb.create_table(
            TableName=table_name,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )["TableDescription"]["LatestStreamArn"]
        mappings.append(
            lambda_.create_event_source_mapping(
                EventSourceArn=stream, FunctionName=name, StartingPosition="TRIM_HORIZON"
            )["UUID"]
        )
    deployment.outbox_function, deployment.outbox_mappings = name, mappings
    assert checks.outbox(context(deployment)) == passed("outbox function Active, 2 stream mappings Enabled")

    lambda_.update_event_source_mapping(UUID=mappings[0], Enabled=False)

    result = checks.outbox(context(deployment))
    assert result.status == "fail" and mappings[0] in result.detail and mappings[1] not in result.detail


def test_the_outbox_check_names_what_vwr_local_lacks(deployment: Deployment) -> None:
    assert checks.outbox(context(deployment)).status == "skip"


def _empty_zip() -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return None\n")
    return buffer.getvalue()


def distribution(deployment: Deployment, web_acl: str) -> str:
    origin = {
        "Id": "api",
        "DomainName": "api.example.com",
        "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
    }
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "",
        "Enabled": True,
        "WebACLId": web_acl,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "api",
            "ViewerProtocolPolicy": "https-only",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        },
    }
    return deployment.client("cloudfront").create_distribution(DistributionConfig=config)["Distribution"][
        "Id"
    ]


def test_the_waf_check_reads_the_distribution_and_the_enable_waf_parameter(deployment: Deployment) -> None:
    acl = f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/WaitingRoom-Core-eu-west-1/0123"
    deployment.waf_enabled = True
    deployment.distribution_id = distribution(deployment, acl)
    assert checks.waf(context(deployment)) == passed("web ACL WaitingRoom-Core-eu-west-1 attached")

    deployment.distribution_id = distribution(deployment, "")
    result = checks.waf(context(deployment))
    assert result.status == "fail" and "list-web-acls" in result.advice

    deployment.waf_enabled = False
    assert checks.waf(context(deployment)).status == "pass"


# -- the bus ------------------------------------------------------------------------------------------


def put_token_generated(deployment: Deployment, event_id: str, request_id: str) -> None:
    detail = {"event_id": event_id, "request_id": request_id}
    deployment.client("events").put_events(
        Entries=[
            {
                "Source": EVENT_SOURCE,
                "DetailType": "token_generated",
                "Detail": json.dumps(detail),
                "EventBusName": deployment.event_bus,
            }
        ]
    )


@pytest.fixture
def bus(deployment: Deployment) -> Iterator[Deployment]:
    deployment.event_bus = f"bus-{uuid.uuid4().hex[:8]}"
    deployment.client("events").create_event_bus(Name=deployment.event_bus)
    yield deployment
    deployment.client("events").delete_event_bus(Name=deployment.event_bus)


def test_the_visitors_token_generated_is_caught_and_the_listener_removed(bus: Deployment) -> None:
    ctx = context(bus)
    ctx.throwaway_event, ctx.request_id = "vwr-verify-0001", str(uuid.uuid4())
    assert checks.bus_listener(ctx).status == "pass"

    put_token_generated(bus, ctx.throwaway_event, str(uuid.uuid4()))  # someone else's: ignored
    put_token_generated(bus, "another-event", ctx.request_id)  # another event's: not even routed
    assert checks.bus_delivery(ctx).status == "fail"
    put_token_generated(bus, ctx.throwaway_event, ctx.request_id)
    assert checks.bus_delivery(ctx).status == "pass"

    for removal in reversed(ctx.cleanup):
        removal.remove()
    assert bus.client("events").list_rules(EventBusName=bus.event_bus)["Rules"] == []
    assert bus.client("sqs").list_queues(QueueNamePrefix="vwr-verify-0001").get("QueueUrls", []) == []


# -- the run --------------------------------------------------------------------------------------------


def creating(removed: list[str], result: Result) -> Check:
    """A check that creates an event and a queue, whose removals note themselves in `removed`."""

    def creates(ctx: Context) -> Result:
        ctx.cleanup.append(Removal("the event", lambda: removed.append("event"), is_event=True))
        ctx.cleanup.append(Removal("the queue", lambda: removed.append("queue")))
        ctx.throwaway_event = "vwr-verify-0002"
        return result

    return Check("a", "a", creates)


def test_ctrl_c_stops_the_checks_but_not_the_clean_up(deployment: Deployment) -> None:
    removed: list[str] = []

    def interrupted(ctx: Context) -> Result:
        raise KeyboardInterrupt

    never_run = Check("never", "never", lambda ctx: pytest.fail("ran after Ctrl-C"))
    with pytest.raises(KeyboardInterrupt):
        run(
            context(deployment),
            checks=(creating(removed, passed("created")), Check("b", "b", interrupted), never_run),
        )
    assert removed == ["queue", "event"]


def test_keep_leaves_the_event_and_a_failed_check_skips_what_needs_it(deployment: Deployment) -> None:
    removed: list[str] = []
    lines = run(
        context(deployment),
        keep=True,
        checks=(
            creating(removed, failed("broken", "fix it")),
            Check("b", "b", lambda ctx: passed("ran"), needs=("a",)),
        ),
    )

    assert [(line.check.id, line.result.status) for line in lines] == [
        ("a", "fail"),
        ("b", "skip"),
        ("cleanup", "pass"),
    ]
    assert lines[1].result.detail == "needs a"
    assert removed == ["queue"] and "vwr-verify-0002 stays" in lines[2].result.detail


def test_a_removal_that_fails_fails_the_clean_up_line(deployment: Deployment) -> None:
    def creates(ctx: Context) -> Result:
        ctx.cleanup.append(
            Removal("delete the rule r", lambda: (_ for _ in ()).throw(RuntimeError("denied")))
        )
        return passed("created")

    lines = run(context(deployment), checks=(Check("a", "a", creates),))

    assert lines[-1].result.status == "fail" and "delete the rule r (RuntimeError)" in lines[-1].result.detail


# -- the permissions it documents --------------------------------------------------------------------


def test_help_and_deploy_md_show_the_policy_statement_the_command_carries(
    capsys: pytest.CaptureFixture,
) -> None:
    deploy_md = (Path(__file__).resolve().parents[2] / "docs" / "DEPLOY.md").read_text()
    block = deploy_md.split("## 4. Verify it", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]

    with pytest.raises(SystemExit):
        cli.main(["--help"])

    assert json.loads(block) == cli.IAM_POLICY
    help_text = capsys.readouterr().out
    assert json.loads(help_text[help_text.index("{") :]) == cli.IAM_POLICY
    assert not any("arn:aws:iam::aws:policy" in json.dumps(s) for s in cli.IAM_POLICY["Statement"])


# -- the edge gate -------------------------------------------------------------------------------------


class LocalSite:
    """An HTTP server on a free loopback port, answering with `handler`, until closed."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.host = f"127.0.0.1:{self.server.server_port}"
        self.base = f"http://{self.host}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Quiet(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


class GateSite(LocalSite):
    """A site behind a gate, answering a visitor without a pass as its mode says (edge_gate/gate.js),
    and the core's APIs, which know the event in `registered_mode` and `generation`."""

    def __init__(self, status: int, location: str, registered_mode: str, generation: int = 0) -> None:
        class Handler(Quiet):
            def do_GET(self) -> None:
                answers = {
                    "/private/events/": {"event_id": "Sample", "mode": registered_mode},
                    "/public/generation": {"generation": generation},
                }
                for prefix, body in answers.items():
                    if self.path.startswith(prefix):
                        self.send_response(200)
                        self.end_headers()
                        self.wfile.write(json.dumps(body).encode())
                        return
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.end_headers()

        super().__init__(Handler)


ROOM = "https://room.example/waiting-room/"


def edge_deployment(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch, entries: dict[str, str]
) -> Deployment:
    """An edge stack whose KeyValueStore holds `entries`. moto serves no KeyValueStore data API
    (GetKey): botocore's Stubber answers for it, as the service documents its answers."""
    arn = f"arn:aws:cloudfront::{ACCOUNT}:key-value-store/{uuid.uuid4()}"
    deployment.edge = Stack(
        "WaitingRoom-Edge", "edge", "CREATE_COMPLETE", "", {"KeyValueStoreArn": arn}, {}, []
    )
    store = boto3.client(
        "cloudfront-keyvaluestore", region_name=REGION, aws_access_key_id="a", aws_secret_access_key="b"
    )
    stubber = Stubber(store)
    for key in ("gate", "state", "kid", f"key:{entries.get('kid')}"):
        if key in entries:
            answer = {"Key": key, "Value": entries[key], "ItemCount": 1, "TotalSizeInBytes": 1}
            stubber.add_response("get_key", answer, {"KvsARN": arn, "Key": key})
        elif key != "key:None":
            stubber.add_client_error("get_key", "ResourceNotFoundException", http_status_code=404)
    stubber.activate()
    monkeypatch.setattr(deployment, "client", lambda service, region=None: store)
    return deployment


def gate_entries(host: str, mode: str) -> dict[str, str]:
    gate = {"event": "Sample", "room": ROOM, "hosts": [host], "scheme": "http"}
    return {
        "gate": json.dumps(gate),
        "state": json.dumps({"mode": mode, "generation": 0}),
        "kid": "k1",
        "key:k1": "s",
    }


@pytest.mark.parametrize(
    ("mode", "status", "location", "outcome"),
    [
        ("queue", 302, ROOM + "?event_id=Sample", "pass"),
        ("queue", 200, "", "fail"),
        ("closed", 503, "", "pass"),
        ("open", 200, "", "pass"),
        ("open", 302, ROOM, "fail"),
    ],
)
def test_the_edge_check_reads_the_store_and_visits_the_site_without_a_pass(
    deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    status: int,
    location: str,
    outcome: str,
) -> None:
    site = GateSite(status, location, registered_mode=mode)
    deployment.private_api = f"http://{site.host}/private"
    deployment.public_api = f"http://{site.host}/public"
    try:
        result = edge.edge(context(edge_deployment(deployment, monkeypatch, gate_entries(site.host, mode))))
    finally:
        site.close()

    assert result.status == outcome, result
    if outcome == "pass":
        assert f"Sample in mode {mode}" in result.detail


def test_an_edge_store_without_its_keys_fails_naming_them(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    entries = {"gate": json.dumps({"event": "Sample", "room": ROOM, "hosts": ["x.example"]})}

    result = edge.edge(context(edge_deployment(deployment, monkeypatch, entries)))

    assert result.status == "fail"
    assert "no `state`; no `kid`; no `key`" in result.detail and "EdgeSync" in result.advice


def test_no_edge_stack_is_a_skip_that_says_so(deployment: Deployment) -> None:
    assert edge.edge(context(deployment)) == skipped("no edge stack given")


def test_the_gate_is_visited_on_the_edge_stacks_distribution_first(deployment: Deployment) -> None:
    gate = {"event": "Sample", "room": ROOM, "hosts": ["shop.example"]}
    deployment.edge = Stack("WaitingRoom-Edge", "edge", "CREATE_COMPLETE", "", {}, {}, [])
    assert edge.edge_site(deployment, gate) == "https://shop.example"

    deployment.edge.outputs["DistributionDomainName"] = "d111111abcdef8.cloudfront.net"
    assert edge.edge_site(deployment, gate) == "https://d111111abcdef8.cloudfront.net"
    assert edge.edge_site(deployment, {**gate, "hosts": []}) == "https://d111111abcdef8.cloudfront.net"


def test_an_answer_of_an_unexpected_shape_fails_its_check_only(deployment: Deployment) -> None:
    def odd(ctx: Context) -> Result:
        return passed(str([].get("x")))  # type: ignore[attr-defined] - what a JSON list answer does

    lines = run(
        context(deployment), checks=(Check("odd", "odd", odd), Check("next", "next", lambda c: passed("ran")))
    )

    assert [line.result.status for line in lines] == ["fail", "pass", "pass"]
    assert lines[0].result.detail.startswith("AttributeError")


@pytest.mark.parametrize(
    ("core", "detail"),
    [
        (
            {"registered_mode": "closed"},
            "the store says Sample is in mode queue; GET /events/Sample: mode closed",
        ),
        (
            {"registered_mode": "queue", "generation": 1765000000000},
            "the store holds generation 0 of Sample; GET /generation: 1765000000000",
        ),
    ],
)
def test_a_store_behind_the_core_fails(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch, core: dict, detail: str
) -> None:
    site = GateSite(302, ROOM, **core)
    deployment.private_api = f"http://{site.host}/private"
    deployment.public_api = f"http://{site.host}/public"
    try:
        result = edge.edge(
            context(edge_deployment(deployment, monkeypatch, gate_entries(site.host, "queue")))
        )
    finally:
        site.close()

    assert result.status == "fail" and result.detail == detail


@pytest.mark.parametrize(("status", "outcome"), [(302, "pass"), (200, "fail")])
def test_vwr_locals_gate_is_visited_and_its_store_said_to_be_unread(
    deployment: Deployment, status: int, outcome: str
) -> None:
    site = GateSite(status, ROOM + "?event_id=Sample", registered_mode="queue")
    deployment.private_api = f"http://{site.host}/private"
    deployment.local_gate, deployment.waiting_room = f"http://{site.host}", ROOM
    try:
        result = edge.edge(context(deployment))
    finally:
        site.close()

    assert result.status == outcome
    if outcome == "pass":
        assert "Sample in mode queue" in result.detail and "not read" in result.detail


class CachingCdn(LocalSite):
    """Two distributions in front of one API: `/public` keeps /serving_num, `/reads` keeps it if told."""

    def __init__(self, *, reads_keep: bool) -> None:
        seen: set[str] = set()

        class Handler(Quiet):
            def do_POST(self) -> None:
                self.send_response(403)
                self.end_headers()

            def do_GET(self) -> None:
                if self.path.startswith("/reads/queue_num"):
                    self.send_response(403)
                elif "/queue_num" in self.path:
                    self.send_response(400)
                    self.send_header("Cache-Control", "no-store")
                    self.send_header("X-Cache", "Error from cloudfront")
                else:
                    keeps = self.path.startswith("/public") or reads_keep
                    hit = keeps and self.path in seen
                    seen.add(self.path)
                    self.send_response(200)
                    self.send_header("X-Cache", "Hit from cloudfront" if hit else "Miss from cloudfront")
                self.end_headers()

        super().__init__(Handler)


@pytest.mark.parametrize(("reads_keep", "outcome"), [(True, "pass"), (False, "fail")])
def test_both_distributions_must_keep_serving_num(
    deployment: Deployment, reads_keep: bool, outcome: str
) -> None:
    cdn = CachingCdn(reads_keep=reads_keep)
    deployment.public_api, deployment.public_reads = cdn.base + "/public", cdn.base + "/reads"
    ctx = context(deployment)
    ctx.throwaway_event = "vwr-verify-0004"
    try:
        result = checks.cdn_cache(ctx)
    finally:
        cdn.close()

    assert result.status == outcome
    if outcome == "fail":
        assert (
            result.detail
            == "the second GET /serving_num was no hit: PublicReadsUrl X-Cache 'Miss from cloudfront'"
        )
    else:
        assert "PublicApiUrl and PublicReadsUrl" in result.detail and "refuses the rest" in result.detail

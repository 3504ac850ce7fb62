"""What a deployment costs: idle per month, resource by resource, and per million visitors.

    python -m stacks.cost cdk.out

Reads the synthesized templates (so it prices what would really be deployed) and a price table
whose every entry names the AWS pricing page it was checked on, and when (no pricing API is
reachable from the build machine: re-check before relying on a figure). Free tiers are ignored.
A rate that no pricing page states (how long a scheduled job runs) is an assumption: its lines
are labelled and totalled apart.

Per visitor, the requests follow the waiting room page's poll schedule (the wiring table's
`PollSchedule`, which the page and `vwr load` share) over a wait of 1, 10 or 60 minutes.

Idle means deployed and unused: pay-per-request services (Lambda, API Gateway, SQS, SNS,
DynamoDB on-demand, CloudFront, EventBridge and its Scheduler) cost nothing then, except the
scheduled jobs that run on a rate whatever the traffic (each minute); the outbox function's
stream polls are free (see below). Resources behind a CloudFormation condition are priced with
the parameters' default values (e.g. the WAF web ACL only when EnableWaf=true).
"""

from __future__ import annotations

import itertools
import json
import math
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdas import catalog
from lambdas.catalog import POLL_SCHEDULE, PollSchedule
from stacks.constructs.function import CATALOG_TAG

PRICES_AS_OF = "2026-12-06 (us-east-1 list prices, each beside the AWS pricing page it was checked on)"
HOURS_PER_MONTH = 730

# -- price table (USD), each checked on 2026-12-06 against the page named beside it ----------------
# aws.amazon.com/privatelink/pricing: billed per endpoint per AZ-hour (the stored page states the
# basis; $0.01 per AZ-hour is the us-east-1 rate in its table), plus $0.01 per GB processed.
INTERFACE_ENDPOINT_PER_AZ_HOUR = 0.01
# aws.amazon.com/vpc/pricing (NAT gateway hour, us-east-1). Not re-checked: no stack makes one.
NAT_GATEWAY_HOUR = 0.045
# aws.amazon.com/secrets-manager/pricing: $0.40 per secret per month.
SECRET_MONTH = 0.40
# aws.amazon.com/kms/pricing: $1 per customer managed key per month.
KMS_KEY_MONTH = 1.00
# aws.amazon.com/cloudwatch/pricing: $0.10 per standard-resolution alarm metric; $3 per dashboard
# a month beyond the 3 (of up to 50 metrics) an account has free.
ALARM_MONTH = 0.10
DASHBOARD_MONTH = 3.00
# aws.amazon.com/waf/pricing: $5 per web ACL and $1 per rule (a managed rule group counts as one)
# per month, $0.60 per million requests the web ACL inspects; Bot Control (common) $10 a month plus
# $1 per million requests it inspects.
WAF_ACL_MONTH = 5.00
WAF_RULE_MONTH = 1.00
WAF_PER_MILLION_REQUESTS = 0.60
BOT_CONTROL_MONTH = 10.00
BOT_CONTROL_PER_MILLION = 1.00
BOT_CONTROL_GROUP = "AWSManagedRulesBotControlRuleSet"
# The stacks' web ACL is a custom resource that makes it in us-east-1 (lambdas/cloudfront_web_acl.py).
WEB_ACL_TYPES = ("AWS::WAFv2::WebACL", "Custom::CloudFrontWebAcl")
# aws.amazon.com/elasticache/pricing (Serverless): Valkey $0.084 per GB-hour with 100 MB metered at
# least, $0.0023 per million ECPUs; Redis OSS $0.125 per GB-hour with 1 GB at least, $0.0034.
SERVERLESS_GB_HOUR = {"valkey": 0.084, "redis": 0.125}
SERVERLESS_MIN_GB = {"valkey": 0.1, "redis": 1.0}
SERVERLESS_PER_MILLION_ECPU = {"valkey": 0.0023, "redis": 0.0034}
# aws.amazon.com/elasticache/pricing (on-demand nodes, Redis OSS; Valkey nodes are 20% cheaper).
# Not re-checked on 2026-12-06: only a `cache_node_type` context makes one.
NODE_HOUR = {
    "cache.t4g.micro": 0.016,
    "cache.t4g.small": 0.032,
    "cache.t4g.medium": 0.065,
    "cache.m7g.large": 0.158,
    "cache.r6g.large": 0.206,
    "cache.r7g.large": 0.219,
}
# aws.amazon.com/lambda/pricing: per GB-second (first tier) and $0.20 per million requests.
LAMBDA_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
LAMBDA_PER_MILLION_REQUESTS = 0.20
# aws.amazon.com/api-gateway/pricing (REST APIs, first 333 million a month): $3.50 per million.
REST_API_PER_MILLION = 3.50
# aws.amazon.com/sqs/pricing (standard queue, after the first million): $0.40 per million requests.
SQS_PER_MILLION = 0.40
# aws.amazon.com/dynamodb/pricing/on-demand: $0.625 per million write request units, $0.125 per
# million read request units.
DYNAMODB_PER_MILLION_WRITES = 0.625
DYNAMODB_PER_MILLION_READS = 0.125
# aws.amazon.com/cloudfront/pricing (pay-as-you-go, United States, Mexico and Canada): $0.085 per
# GB out for the first 10 TB; $0.0100 per 10,000 HTTPS requests.
CLOUDFRONT_PER_10K_HTTPS = 0.01
CLOUDFRONT_PER_GB_OUT = 0.085
# aws.amazon.com/eventbridge/pricing: custom events $1.00 per million.
EVENTBRIDGE_PER_MILLION_EVENTS = 1.00
# The outbox (stacks/constructs/outbox.py) reads the tables' streams through Lambda's event source
# mappings, and those reads cost nothing, idle or not: "Read requests made by AWS Lambda-based
# consumers of DynamoDB Streams are free", and a stream is "not charged for being idle"
# (docs.aws.amazon.com/amazondynamodb/latest/developerguide/CostOptimization_StreamsUsage.html,
# checked 2026-12-06; aws.amazon.com/dynamodb/pricing/on-demand says the same of GetRecords calls
# made by Lambda triggers). Only the function's invocations are billed, on records that pass the
# mappings' filters. (EventBridge Pipes, which the outbox used before, were assumed to bill about
# 4 stream polls a second per pipe: $4.20 a month idle for two.)
STREAM_MAPPING_IDLE_MONTH = 0.0
# The outbox function: at most one invocation per event (batches make it fewer), at its memory.
OUTBOX_INVOCATION_SECONDS = 0.05
OUTBOX_MEMORY_GB = catalog.by_name("Outbox").memory_mb / 1024

# Assumed average billed duration of a scheduled job run (sweeper, metrics, periodic inlet).
SCHEDULED_RUN_SECONDS = 0.2


@dataclass(frozen=True)
class Line:
    resource: str
    kind: str
    monthly: float
    note: str = ""
    # True when the figure rests on a rate no pricing page states (see the assumptions above).
    assumed: bool = False


def _templates(outdir: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(outdir.rglob("*.template.json")):
        yield path.name.removesuffix(".template.json"), json.loads(path.read_text())


class _Conditions:
    """Evaluates a template's conditions with every parameter at its default value."""

    def __init__(self, template: dict[str, Any]) -> None:
        # Prices are us-east-1's.
        self.defaults = {"AWS::Region": "us-east-1"}
        self.defaults.update({k: v.get("Default") for k, v in template.get("Parameters", {}).items()})
        self.conditions = template.get("Conditions", {})

    def holds(self, name: str | None) -> bool:
        return True if name is None else bool(self._eval(self.conditions[name]))

    def resolve(self, value: Any) -> Any:
        """`value` with each Fn::If replaced by its chosen branch and each parameter by its value."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if isinstance(value, dict):
            if set(value) == {"Fn::If"}:
                condition, then, otherwise = value["Fn::If"]
                return self.resolve(then if self.holds(condition) else otherwise)
            if set(value) == {"Ref"} and value["Ref"] in self.defaults:
                return self.defaults[value["Ref"]]
            return {key: self.resolve(item) for key, item in value.items()}
        return value

    def _eval(self, expression: Any) -> Any:
        if isinstance(expression, dict):
            (fn, args), *_ = expression.items()
            if fn == "Ref":
                return self.defaults.get(args, args)
            if fn == "Fn::Equals":
                return str(self._eval(args[0])) == str(self._eval(args[1]))
            if fn == "Fn::Not":
                return not self._eval(args[0])
            if fn == "Fn::And":
                return all(self._eval(a) for a in args)
            if fn == "Fn::Or":
                return any(self._eval(a) for a in args)
            if fn == "Condition":
                return self.holds(args)
            return None
        return expression


def _value(conditions: _Conditions, value: Any) -> Any:
    """A property's value with Refs to parameters replaced by their defaults."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return conditions.defaults.get(value["Ref"], value)
    return value


def _rate_per_month(expression: str) -> float:
    match = re.fullmatch(r"rate\((\d+) (minute|minutes|hour|hours)\)", expression or "")
    if not match:
        return 0.0
    every = int(match.group(1)) * (60 if match.group(2).startswith("hour") else 1)
    return HOURS_PER_MONTH * 60 / every


def idle_lines(template: dict[str, Any]) -> list[Line]:
    conditions = _Conditions(template)
    resources = template.get("Resources", {})
    lines: list[Line] = []
    for name, resource in resources.items():
        kind, props = resource["Type"], resource.get("Properties", {})
        if not conditions.holds(resource.get("Condition")):
            continue
        if kind == "AWS::EC2::VPCEndpoint" and props.get("VpcEndpointType") == "Interface":
            azs = len(props.get("SubnetIds", []))
            lines.append(
                Line(name, kind, azs * INTERFACE_ENDPOINT_PER_AZ_HOUR * HOURS_PER_MONTH, f"{azs} AZ")
            )
        elif kind == "AWS::EC2::NatGateway":
            lines.append(Line(name, kind, NAT_GATEWAY_HOUR * HOURS_PER_MONTH))
        elif kind == "AWS::SecretsManager::Secret":
            lines.append(Line(name, kind, SECRET_MONTH))
        elif kind == "AWS::KMS::Key":
            lines.append(Line(name, kind, KMS_KEY_MONTH))
        elif kind == "AWS::CloudWatch::Alarm":
            lines.append(Line(name, kind, ALARM_MONTH))
        elif kind == "AWS::CloudWatch::Dashboard":
            lines.append(Line(name, kind, DASHBOARD_MONTH, "free if one of the account's first 3"))
        elif kind in WEB_ACL_TYPES:
            rules = conditions.resolve(props.get("Rules", []))
            bot_control = BOT_CONTROL_GROUP in json.dumps(rules)
            monthly = WAF_ACL_MONTH + len(rules) * WAF_RULE_MONTH + (BOT_CONTROL_MONTH if bot_control else 0)
            note = f"{len(rules)} rule(s){', Bot Control' if bot_control else ''}"
            lines.append(Line(name, kind, monthly, note))
        elif kind == "AWS::ElastiCache::ServerlessCache":
            engine = props.get("Engine", "valkey")
            gb = SERVERLESS_MIN_GB[engine]
            lines.append(
                Line(
                    name,
                    kind,
                    gb * SERVERLESS_GB_HOUR[engine] * HOURS_PER_MONTH,
                    f"{engine}, {gb} GB minimum",
                )
            )
        elif kind == "AWS::ElastiCache::ReplicationGroup":
            node = props.get("CacheNodeType", "")
            count = int(props.get("NumCacheClusters", 1))
            hourly = NODE_HOUR.get(node, 0.0) * (0.8 if props.get("Engine") == "valkey" else 1.0)
            note = f"{count} x {node}" + (
                "" if node in NODE_HOUR else " (price unknown: add it to NODE_HOUR)"
            )
            lines.append(Line(name, kind, count * hourly * HOURS_PER_MONTH, note))
        elif kind == "AWS::Lambda::EventSourceMapping" and "StartingPosition" in props:
            lines.append(
                Line(
                    name,
                    "stream polls of a Lambda mapping",
                    STREAM_MAPPING_IDLE_MONTH,
                    "free (see stacks/cost.py)",
                )
            )
        elif kind == "AWS::Events::Rule" and "ScheduleExpression" in props:
            state = _value(conditions, props.get("State", "ENABLED"))
            if isinstance(state, dict) and "Fn::If" in state:
                condition, when_true, when_false = state["Fn::If"]
                state = when_true if conditions.holds(condition) else when_false
            if state == "DISABLED":
                continue
            runs = _rate_per_month(props["ScheduleExpression"])
            memory, arch, seconds = _target_run(resources, props)
            gb_seconds = runs * seconds * memory / 1024
            cost = gb_seconds * LAMBDA_GB_SECOND[arch] + runs / 1e6 * LAMBDA_PER_MILLION_REQUESTS
            lines.append(
                Line(name, "scheduled Lambda runs", cost, f"{runs:,.0f} runs x {seconds}s", assumed=True)
            )
    return lines


# Scheduled functions that run longer than SCHEDULED_RUN_SECONDS each time, by catalog name: the
# edge gate's sync checks every 10 s until the next run (lambdas/edge_sync.py); the dead-letter
# redrive waits for a first message that, idle, never comes.
RUN_SECONDS = {
    "EdgeSync": (catalog.EDGE_SYNC_ROUNDS - 1) * catalog.EDGE_SYNC_INTERVAL_SECONDS
    + catalog.EDGE_SYNC_ROUNDS * SCHEDULED_RUN_SECONDS,
    "DeadLetterRedrive": catalog.DEAD_LETTER_POLL_SECONDS + SCHEDULED_RUN_SECONDS,
}


def _target_run(resources: dict[str, Any], rule: dict[str, Any]) -> tuple[int, str, float]:
    """The scheduled function's memory (MB), architecture and seconds billed per run."""
    for target in rule.get("Targets", []):
        arn = target.get("Arn", {})
        logical = arn.get("Fn::GetAtt", [None])[0] if isinstance(arn, dict) else None
        resource = resources.get(logical or "", {})
        function = resource.get("Properties", {})
        if function:
            seconds = RUN_SECONDS.get(resource.get("Metadata", {}).get(CATALOG_TAG), SCHEDULED_RUN_SECONDS)
            memory = int(function.get("MemorySize", 128))
            return memory, (function.get("Architectures") or ["x86_64"])[0], seconds
    return 128, "x86_64", SCHEDULED_RUN_SECONDS


# -- per million visitors ---------------------------------------------------------------------------
# The waits `make cost` prices, in minutes.
WAITS_MINUTES = (1, 10, 60)
# The line the model assumes: the Periodic inlet's (a step each run of its schedule in the wiring
# table, each step this many places), with the visitor served by the last step of the wait.
PLACES_PER_STEP = 100
# The page's serving-rate estimate needs this much watching (estimate.js: 5 near intervals).
RATE_MIN_SPAN_MS = 5 * POLL_SCHEDULE.near_ms
# Visitors per queue worker batch, and the average billed duration of a request-path invocation.
WORKER_BATCH = 50
INVOCATION_SECONDS = 0.02
LAMBDA_MEMORY_GB = 0.5


def _step_every_ms() -> float:
    schedule = next(t for t in catalog.by_name("PeriodicInlet").triggers if isinstance(t, catalog.Schedule))
    return schedule.rate_minutes * 60_000


def serving_polls(wait_ms: float, schedule: PollSchedule = POLL_SCHEDULE, *, regular: bool = True) -> int:
    """How many times the page polls `/serving_num` during a wait of `wait_ms` on the model's line."""
    return len(serving_poll_times(wait_ms, schedule, regular=regular))


def serving_poll_times(
    wait_ms: float, schedule: PollSchedule = POLL_SCHEDULE, *, regular: bool = True
) -> list[float]:
    """When the page polls `/serving_num` (ms since it knows its position) during a wait of `wait_ms`.

    Replays the page: its rate estimate from what it has seen (steps of PLACES_PER_STEP every
    step period, the last one serving the visitor at `wait_ms`), the answer's last three moves
    (the line stepped before the visitor came too), and its schedule between polls, aligned to
    the steps as the page aligns them (jitter left out). `regular=False`: the answers show no
    regular period (a line that moved irregularly before), so the page polls by `delay_ms` alone.
    """
    step_ms = _step_every_ms()
    steps = max(1, math.ceil(wait_ms / step_ms))
    position = steps * PLACES_PER_STEP

    def serving(at_ms: float) -> int:
        # Steps come at wait_ms, wait_ms - step_ms, ...: the last one reaches the visitor.
        done = sum(1 for k in range(steps) if wait_ms - k * step_ms <= at_ms)
        return done * PLACES_PER_STEP

    def moved_at(at_ms: float) -> list[float]:
        if not regular:
            return []
        last = wait_ms - math.ceil((wait_ms - at_ms) / step_ms) * step_ms
        return [last - 2 * step_ms, last - step_ms, last]

    samples: list[tuple[float, int]] = []
    now, polls = 0.0, []
    while True:
        polls.append(now)
        value = serving(now)
        if value >= position:
            return polls
        samples.append((now, value))
        first_t, first_v = samples[0]
        span = now - first_t
        per_ms = (value - first_v) / span if span >= RATE_MIN_SPAN_MS and value > first_v else None
        largest = max((b[1] - a[1] for a, b in itertools.pairwise(samples)), default=0)
        delay = schedule.delay_ms(position - value, per_ms, largest, span)
        aligned = schedule.step_aligned_ms(position - value, delay, largest, moved_at(now), now)
        now += delay if aligned is None else aligned


def assign_polls(schedule: PollSchedule = POLL_SCHEDULE) -> int:
    """`/queue_num` requests until the position is known: the 202s and the 200."""
    at, attempt = float(schedule.assign_retry_ms(0)), 0
    # /queue_num answers 202 while the ordering window and SQS hold the entry, then 200.
    while at < catalog.ENTRY_NUMBERED_WITHIN_MS:
        attempt += 1
        at += schedule.assign_retry_ms(attempt)
    return attempt + 1


# The page's own files on its first load (index.html, 2 style sheets, 9 modules, config.json, the
# icon), where a distribution of the deployment serves the page (the Sample stack; the OpenId
# stack's hosted page). Counted in Chromium by tests/browser/test_polling_schedule.py.
PAGE_FILES_PER_VISIT = 14
# The OpenID adapter's requests per visitor (lambdas/oidc.py): the client's GET /authorize, the
# hosted page's POST /authorize (a form: no CORS preflight), the client's POST /token and GET /userInfo.
OIDC_REQUESTS_PER_VISITOR = 4


@dataclass(frozen=True)
class Visitor:
    """What one visitor's journey asks of the CDN, for a wait of some minutes: requests by path."""

    wait_minutes: float
    serving_polls: int
    queue_num_polls: int

    @property
    def requests(self) -> dict[str, int]:
        # The page's calls, in order (waiting_room_site/js/api.js): the event's facts once, the
        # proof-of-work challenge, the entry, the position until known, the serving counter, the
        # served position's expiry once, the token. No CORS preflight: the POSTs are "simple"
        # requests (their JSON goes as text/plain; tests/browser/test_simple_requests.py). Measured
        # in Chromium: tests/browser/test_polling_schedule.py counts what the page really sends.
        return {
            "/event_info": 1,
            "/pow_challenge": 1,
            catalog.ASSIGN_QUEUE_NUM.path: 1,
            "/queue_num": self.queue_num_polls,
            "/serving_num": self.serving_polls,
            "/queue_pos_expiry": 1,
            "/generate_token": 1,
        }

    @property
    def cdn_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def origin_requests(self) -> int:
        # What the edge caches for everyone (a cache key without the visitor's request id:
        # /serving_num, /event_info, and /pow_challenge while no proof of work is asked, the
        # default) about never reaches API Gateway. The rest does, plus the session's close.
        shared = {
            route.path
            for route, _ in catalog.routes_of("public")
            if route.cache is not None and "request_id" not in route.cache.query_keys
        }
        return sum(n for path, n in self.requests.items() if path not in shared) + 1

    @property
    def lambda_invocations(self) -> float:
        # every origin request but the entry (API Gateway puts it on SQS), plus a worker batch share
        return self.origin_requests - 1 + 1 / WORKER_BATCH

    def inspected(self, waf_free_paths: frozenset[str]) -> int:
        """Requests a web ACL inspects: all but those sent to a distribution without one."""
        return sum(n for path, n in self.requests.items() if path not in waf_free_paths)


def visitor(wait_minutes: float, *, regular: bool = True) -> Visitor:
    """`regular=False`: a line with no regular steps to wait for (MaxSize), polled by the schedule alone."""
    return Visitor(wait_minutes, serving_polls(wait_minutes * 60_000, regular=regular), assign_polls())


def waf_free_paths(template: dict[str, Any]) -> frozenset[str]:
    """The paths a template serves through a distribution that has no web ACL at all (a WAF-ed
    distribution may serve them too, for clients that know one address only)."""
    paths: set[str] = set()
    for resource in template.get("Resources", {}).values():
        if resource["Type"] != "AWS::CloudFront::Distribution":
            continue
        config = resource.get("Properties", {}).get("DistributionConfig", {})
        if "WebACLId" not in config:
            paths.update(b["PathPattern"] for b in config.get("CacheBehaviors", []))
    return frozenset(paths)


def per_million_visitors(
    wait_minutes: float = 10,
    architecture: str = "arm64",
    engine: str = "valkey",
    *,
    waf: bool = True,
    waf_free: frozenset[str] = frozenset(),
    regular: bool = True,
) -> list[Line]:
    """`waf`: EnableWaf (the default); `waf_free`: the paths the page reaches without the web ACL;
    `regular`: the line moves in regular steps (Periodic), else the page polls as `visitor` says."""
    m = 1_000_000
    v = visitor(wait_minutes, regular=regular)
    gb_s = v.lambda_invocations * INVOCATION_SECONDS * LAMBDA_MEMORY_GB * m
    # The queue worker holds each batch about one ordering window (arrival order): billed time.
    window_gb_s = catalog.ordering_window_ms() / 1000 * LAMBDA_MEMORY_GB * m / WORKER_BATCH
    lines = [
        Line("CloudFront requests", "HTTPS", v.cdn_requests * m / 10_000 * CLOUDFRONT_PER_10K_HTTPS,
             f"{v.cdn_requests} per visitor, {v.serving_polls} of them /serving_num"),
        Line("CloudFront data out", "GB", v.cdn_requests * BYTES_OUT * m / 1e9 * CLOUDFRONT_PER_GB_OUT),
        Line("API Gateway (REST)", "requests", v.origin_requests * REST_API_PER_MILLION,
             f"{v.origin_requests} origin requests per visitor"),
        Line("Lambda requests", "requests", v.lambda_invocations * LAMBDA_PER_MILLION_REQUESTS),
        Line("Lambda compute", "GB-s", (gb_s + window_gb_s) * LAMBDA_GB_SECOND[architecture],
             f"{gb_s + window_gb_s:,.0f} GB-s, {window_gb_s:,.0f} of them the worker's ordering window",
             assumed=True),
        Line("SQS", "requests", (1 + 2 / WORKER_BATCH) * SQS_PER_MILLION),
        # position: a transaction of the record and its position's reservation (2 items x 2 units);
        # token (conditional put); session close
        Line("DynamoDB writes", "WRU", (4 + 2 + 2) * DYNAMODB_PER_MILLION_WRITES),
        Line("DynamoDB reads", "RRU", 3 * DYNAMODB_PER_MILLION_READS),
        Line("ElastiCache ECPU", "ECPU",
             (v.origin_requests + 4) * SERVERLESS_PER_MILLION_ECPU[engine]),
        # token_generated, session_updated (measured by `vwr load`)
        Line("EventBridge", "events", 2 * EVENTBRIDGE_PER_MILLION_EVENTS),
        # the same two, carried from the tokens table's stream by the outbox function
        Line("Lambda (outbox)", "requests", 2 * LAMBDA_PER_MILLION_REQUESTS,
             "one invocation per event at most; its stream reads are free"),
        Line("Lambda (outbox) compute", "GB-s",
             2 * OUTBOX_INVOCATION_SECONDS * OUTBOX_MEMORY_GB * m * LAMBDA_GB_SECOND[architecture],
             f"{OUTBOX_INVOCATION_SECONDS}s x {OUTBOX_MEMORY_GB * 1024:.0f} MB per event", assumed=True),
    ]  # fmt: skip
    if waf:
        inspected = v.inspected(waf_free)
        lines.append(
            Line("AWS WAF requests", "requests", inspected * WAF_PER_MILLION_REQUESTS,
                 f"{inspected} of the {v.cdn_requests} per visitor reach a distribution with the web ACL")
        )  # fmt: skip
    return lines


# -- behind the edge gate (WaitingRoom-Edge) --------------------------------------------------------
# aws.amazon.com/cloudfront/pricing, checked 2026-12-06: CloudFront Functions $0.10 per million
# invocations. KeyValueStore reads from a function: no rate found on a pricing page we could check;
# assumed $0.03 per million (verify before relying on it).
CLOUDFRONT_FUNCTION_PER_MILLION = 0.10
KVS_PER_MILLION_READS = 0.03
# What one visitor asks of the gated site, assumed: pages and assets that reach the gate.
GATED_REQUESTS_PER_VISITOR = 30
# Reads per gated request (edge_gate/gate.js): gate settings, state, and the key of the cookie's pass.
KVS_READS_PER_REQUEST = 3


def edge_gate_lines(requests_per_visitor: int = GATED_REQUESTS_PER_VISITOR) -> list[Line]:
    """What the gate adds per million visitors: its invocations and its store's reads."""
    requests = requests_per_visitor  # millions, per million visitors
    return [
        Line("CloudFront Functions", "invocations", requests * CLOUDFRONT_FUNCTION_PER_MILLION,
             f"{requests_per_visitor} gated requests per visitor (assumed)"),
        Line("KeyValueStore reads", "reads", requests * KVS_READS_PER_REQUEST * KVS_PER_MILLION_READS,
             f"{KVS_READS_PER_REQUEST} per request", assumed=True),
        Line("POST /edge_pass", "requests",
             REST_API_PER_MILLION + LAMBDA_PER_MILLION_REQUESTS + CLOUDFRONT_PER_10K_HTTPS * 100,
             "one per visitor (no CORS preflight): API Gateway, Lambda and CloudFront requests"),
    ]  # fmt: skip


def page_files_lines(waf: bool = True) -> list[Line]:
    """The page's own files per million visitors, where a distribution of the deployment serves it."""
    files = PAGE_FILES_PER_VISIT
    lines = [
        Line("CloudFront requests", "HTTPS", files * 100 * CLOUDFRONT_PER_10K_HTTPS,
             f"{files} files on the page's first load"),
    ]  # fmt: skip
    if waf:
        lines.append(
            Line(
                "AWS WAF requests",
                "requests",
                files * WAF_PER_MILLION_REQUESTS,
                "if its distribution has one",
            )
        )
    return lines


def oidc_lines() -> list[Line]:
    """What the OpenID adapter adds per million visitors (its discovery and keys are cached: per
    client, not per visitor)."""
    n = OIDC_REQUESTS_PER_VISITOR
    return [
        Line("CloudFront requests", "HTTPS", n * 100 * CLOUDFRONT_PER_10K_HTTPS, f"{n} per visitor"),
        Line("API Gateway (REST)", "requests", n * REST_API_PER_MILLION, f"{n} per visitor"),
        Line("Lambda requests", "requests", n * LAMBDA_PER_MILLION_REQUESTS, f"{n} per visitor"),
    ]  # fmt: skip


def _total(lines: list[Line]) -> float:
    return sum(line.monthly for line in lines)


# -- CloudFront flat-rate plans -----------------------------------------------------------------------
# docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/flat-rate-pricing-plan.html and
# aws.amazon.com/cloudfront/pricing, checked 2026-12-06: a monthly price per distribution that
# includes its requests and data transfer up to an allowance, AWS WAF (a web ACL is required) and
# DDoS protection; no overage charge (past the allowance AWS may slow the distribution or ask for
# another plan); requests the WAF blocks do not count. Premium is "from" $1,000 (up to 6B requests).
@dataclass(frozen=True)
class FlatRatePlan:
    name: str
    monthly: float
    requests: int
    transfer_gb: int


FLAT_RATE_PLANS = (
    FlatRatePlan("Free", 0, 1_000_000, 100),
    FlatRatePlan("Pro", 15, 10_000_000, 50_000),
    FlatRatePlan("Business", 200, 125_000_000, 50_000),
    FlatRatePlan("Premium", 1_000, 500_000_000, 50_000),
)


def flat_rate_lines(wait_minutes: float, waf_acl_monthly: float, waf_free: frozenset[str]) -> list[str]:
    """For each plan: how many visitors a month its allowance holds on the WAF-ed distribution,
    and from how many visitors it costs less than pay-as-you-go CloudFront plus the WAF."""
    v = visitor(wait_minutes)
    requests = v.inspected(waf_free)  # the WAF-ed distribution's share of the visitor's requests
    per_visitor = (
        requests / 10_000 * CLOUDFRONT_PER_10K_HTTPS
        + requests * BYTES_OUT / 1e9 * CLOUDFRONT_PER_GB_OUT
        + requests / 1e6 * WAF_PER_MILLION_REQUESTS
    )
    out = []
    for plan in FLAT_RATE_PLANS:
        holds = min(plan.requests / requests, plan.transfer_gb * 1e9 / (requests * BYTES_OUT))
        cheaper_from = max(0.0, (plan.monthly - waf_acl_monthly) / per_visitor)
        payg_at_full = waf_acl_monthly + holds * per_visitor
        verdict = (
            f"cheaper from {cheaper_from:,.0f} visitors a month"
            if cheaper_from < holds
            else "never cheaper within its allowance"
        )
        out.append(
            f"  {plan.name:9} ${plan.monthly:>7,.0f}/month: holds {holds:,.0f} visitors a month "
            f"({plan.requests / 1e6:,.0f}M requests); pay-as-you-go for as many: ${payg_at_full:,.2f}; "
            f"{verdict}"
        )
    return out


# Average response size, headers included.
BYTES_OUT = 600

# -- an idle event (the registry, lambdas/waiting_room/registry.py) --------------------------------
# Measured by `pytest benchmarks/test_many_events.py --benchmark-only -s` at 1,000 idle events
# (a quiet 2-core machine):
# the seconds each event adds to a run of the expiry sweeper and of the metrics job.
SWEEP_SECONDS_PER_EVENT = 0.0006
METRICS_SECONDS_PER_EVENT = 0.0008
# Redis commands per event each minute: the sweep script, and the metrics job's reads.
REDIS_COMMANDS_PER_EVENT_MINUTE = 5
# An event's registry item; both jobs read every item each minute (strongly consistent Scan).
EVENT_ITEM_BYTES = 450
MINUTES_PER_MONTH = 30 * 24 * 60


def idle_event_lines(
    engine: str = "valkey", architecture: str = "arm64", *, periodic: bool = False
) -> list[Line]:
    """What one more registered event costs a month while nobody enters it.

    It sends no `waiting_room_metrics` event while its counters stay still, holds no Redis key
    until someone enters, and has no resource of its own: only the scheduled jobs' visits remain.
    `periodic`: its Periodic inlet is inside its window, and asks for its counters each minute
    (one private API call and the function that answers it).
    """
    runs = MINUTES_PER_MONTH
    gb_s = runs * (SWEEP_SECONDS_PER_EVENT + METRICS_SECONDS_PER_EVENT) * LAMBDA_MEMORY_GB
    # The draw's sweep lists the events too, once every DRAW_SWEEP_MINUTES.
    read_units = (2 + 1 / catalog.DRAW_SWEEP_MINUTES) * runs * EVENT_ITEM_BYTES / 4096
    lines = [
        Line("Lambda compute", "GB-s", gb_s * LAMBDA_GB_SECOND[architecture],
             "the sweeper's and the metrics job's minute, per event"),
        Line("DynamoDB reads", "RRU", read_units / 1e6 * DYNAMODB_PER_MILLION_READS,
             "its registry item, read by both jobs each minute and the draw's sweep every "
             + ("minute" if catalog.DRAW_SWEEP_MINUTES == 1 else f"{catalog.DRAW_SWEEP_MINUTES} minutes")),
        Line("ElastiCache ECPU", "ECPU",
             runs * REDIS_COMMANDS_PER_EVENT_MINUTE / 1e6 * SERVERLESS_PER_MILLION_ECPU[engine]),
    ]  # fmt: skip
    if periodic:
        lines += [
            Line("API Gateway (REST)", "requests", runs / 1e6 * REST_API_PER_MILLION,
                 "the Periodic inlet's GET /counters each minute"),
            Line("Lambda requests", "requests", runs / 1e6 * LAMBDA_PER_MILLION_REQUESTS),
            Line("Lambda compute", "GB-s",
                 runs * INVOCATION_SECONDS * LAMBDA_MEMORY_GB * LAMBDA_GB_SECOND[architecture],
                 "the function that answers it"),
        ]  # fmt: skip
    return lines


def _line_text(line: Line, width: int = 36) -> str:
    note = f"  ({line.note})" if line.note else ""
    return f"  {line.monthly:8.2f}  {line.kind:{width}} {line.resource}{note}"


def report(outdir: Path) -> tuple[str, dict[str, float]]:
    out: list[str] = [f"Idle monthly cost per stack; prices: {PRICES_AS_OF}", ""]
    totals: dict[str, float] = {}
    waf_lines: list[tuple[str, Line]] = []
    waf_free: frozenset[str] = frozenset()
    for stack, template in _templates(outdir):
        lines = idle_lines(template)
        waf_lines += [(stack, line) for line in lines if line.kind in WEB_ACL_TYPES]
        if any(line.kind in WEB_ACL_TYPES for line in lines):
            waf_free = waf_free_paths(template)
        priced = [line for line in lines if not line.assumed]
        assumed = [line for line in lines if line.assumed]
        totals[stack] = _total(lines)
        out.append(
            f"{stack}: ${totals[stack]:.2f}/month idle"
            + (f" (${_total(priced):.2f} priced + ${_total(assumed):.2f} assumed)" if assumed else "")
        )
        out += [_line_text(line) for line in sorted(priced, key=lambda item: -item.monthly)]
        if assumed:
            out.append("    assumed (rates no pricing page states; stacks/cost.py):")
            out += [_line_text(line) for line in sorted(assumed, key=lambda item: -item.monthly)]
        out.append("")
    for stack, line in waf_lines:
        out.append(
            f"AWS WAF in {stack} (EnableWaf, on by default): ${line.monthly:.2f}/month idle plus "
            f"${WAF_PER_MILLION_REQUESTS} per million requests; EnableWaf=false removes it."
        )
    if waf_lines:
        out.append(
            f"EnableBotControl=true adds ${BOT_CONTROL_MONTH + WAF_RULE_MONTH:.2f}/month "
            f"(the Bot Control fee and one rule) plus ${BOT_CONTROL_PER_MILLION:.0f} per million entries "
            "inspected."
        )
        out.append("")
    out.append(
        "Per million visitors, by how long they wait (the page's poll schedule, lambdas.catalog."
        "PollSchedule; free tiers ignored):"
    )
    if waf_free:
        one_address = _total(per_million_visitors(10, waf=True))
        out.append(
            f"  (the web ACL does not see {', '.join(sorted(waf_free))}: the page polls them at the "
            f"core's PublicReadsUrl; a client that knows one address pays ${one_address:,.2f} for 10 minutes)"
        )
    for minutes in WAITS_MINUTES:
        on = per_million_visitors(minutes, waf=True, waf_free=waf_free)
        off = per_million_visitors(minutes, waf=False)
        out.append(
            f"  {minutes}-minute wait: ${_total(on):,.2f} per million visitors with the WAF "
            f"(${_total(off):,.2f} with EnableWaf=false)"
        )
        for line in on:
            label = f"{line.resource} (assumed)" if line.assumed else line.resource
            note = f"  ({line.note})" if line.note else ""
            out.append(f"    {line.monthly:8.2f}  {label}{note}")
    continuous = [
        _total(per_million_visitors(minutes, waf=True, waf_free=waf_free, regular=False))
        for minutes in WAITS_MINUTES
    ]
    polls = [visitor(minutes, regular=False).serving_polls for minutes in WAITS_MINUTES]
    out.append(
        "  on a line whose moves are not regular steps (MaxSize: the counter moves as sessions close), the "
        "page polls by the schedule alone, on the model's line "
        f"{' / '.join(map(str, polls))} /serving_num polls: "
        f"{' / '.join(f'${total:,.2f}' for total in continuous)} with the WAF"
    )
    out.append(
        "  assumed: each request-path invocation bills "
        f"{INVOCATION_SECONDS * 1000:.0f} ms at {LAMBDA_MEMORY_GB * 1024:.0f} MB; "
        f"{WORKER_BATCH} entries per worker batch; {BYTES_OUT} bytes per answer."
    )
    if waf_lines:
        acl = waf_lines[0][1].monthly
        out += [
            "",
            "CloudFront flat-rate plans for the distribution with the web ACL (a subscription on the "
            "distribution, chosen in the CloudFront console; docs/DEPLOY.md), against pay-as-you-go "
            f"requests, data and WAF (${acl:.2f}/month idle), 10-minute waits:",
            *flat_rate_lines(10, acl, waf_free),
        ]
    files, oidc = page_files_lines(), oidc_lines()
    out += [
        "",
        f"The page's own files, where a distribution of the deployment serves it (Sample; OpenId's "
        f"hosted page), added per million visitors: ${_total(files):,.2f} with a web ACL "
        f"(${_total(page_files_lines(waf=False)):,.2f} without):",
        *(f"    {line.monthly:8.2f}  {line.resource}  ({line.note})" for line in files),
        "",
        f"Through the OpenID adapter (WaitingRoom-OpenId), added per million visitors: ${_total(oidc):,.2f}:",
        *(f"    {line.monthly:8.2f}  {line.resource}  ({line.note})" for line in oidc),
    ]
    gate = edge_gate_lines()
    out += [
        "",
        f"Behind the edge gate (WaitingRoom-Edge), added per million visitors: ${_total(gate):,.2f} "
        "(plus the gated distribution's own requests and data out, as CloudFront prices them):",
        *(f"    {line.monthly:8.2f}  {line.resource}"
          + (" (assumed)" if line.assumed else "") + f"  ({line.note})" for line in gate),
    ]  # fmt: skip
    for periodic, what in ((False, "no inlet running"), (True, "its Periodic inlet inside its window")):
        lines = idle_event_lines(periodic=periodic)
        idle_event = _total(lines)
        out += ["", f"Each more event, idle (nobody entering; {what}): ${idle_event:.4f}/month"]
        for line in lines:
            out.append(f"    {line.monthly:8.4f}  {line.resource}  ({line.note or line.kind})")
    return "\n".join(out), totals


def main(argv: list[str]) -> int:
    outdir = Path(argv[1] if len(argv) > 1 else "cdk.out")
    if not outdir.is_dir():
        print(f"{outdir} does not exist: run `make synth` first", file=sys.stderr)
        return 2
    text, _ = report(outdir)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""What `vwr verify-deploy` verifies: a deployment's addresses and resources.

From AWS: CloudFormation `DescribeStacks` and `ListStackResources` of the stacks named on the
command line (the standard credential chain, the SDK's standard retries). From `vwr local`: its
READY line, whose moto endpoint stands in for AWS. Every field the local runtime lacks stays None,
and the checks that need it say so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

# The SDK's standard retry mode: throttling and transient faults are retried with backoff.
AWS_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=30)

# A stack is recognised by the description its template carries (stacks/*.py).
KINDS = {
    "Virtual waiting room: core": "core",
    "Virtual waiting room: API Gateway authorizer": "authorizer",
    "Virtual waiting room: sample pages": "sample",
    "Virtual waiting room: inlet strategy": "inlet",
    "Virtual waiting room: OpenID Connect adapter": "openid",
    "Virtual waiting room: edge": "edge",
}
# The outputs docs/DEPLOY.md documents for each kind that every deployment has (the core's
# DashboardName exists with EnableDashboard=true only, the inlet's topic with MaxSize only).
DOCUMENTED_OUTPUTS: dict[str, tuple[str, ...]] = {
    "core": (
        "PublicApiUrl",
        "PublicReadsUrl",
        "PrivateApiUrl",
        "PrivateApiGroupName",
        "TokenIssuer",
        "AlarmTopicArn",
        "EventBusName",
        "JwtKeysSecretArn",
        "JwtPublicKeyParameter",
        "WaitingRoomEventId",
    ),
    "authorizer": ("AuthorizerArn",),
    "sample": ("WaitingRoomURL", "ControlPanelURL", "StoreApiUrl"),
    "inlet": (),
    "openid": ("OidcIssuer", "HostedPageUrl", "ClientSecretArn"),
    "edge": ("DistributionDomainName", "GateFunctionArn", "KeyValueStoreArn"),
}
HEALTHY_STATES = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})


@dataclass
class Stack:
    name: str
    kind: str | None
    status: str
    status_reason: str
    outputs: dict[str, str]
    parameters: dict[str, str]
    # (resource type, logical id, physical id)
    resources: list[tuple[str, str, str]]

    def physical_ids(self, resource_type: str, logical_prefix: str = "") -> list[str]:
        return [
            physical
            for kind, logical, physical in self.resources
            if kind == resource_type and logical.startswith(logical_prefix) and physical
        ]


@dataclass
class Deployment:
    """Everything the checks read; None: this deployment (or the local runtime) has no such part."""

    public_api: str
    private_api: str
    event_id: str
    region: str
    session: boto3.Session
    # moto's address for `vwr local`; None on AWS.
    endpoint_url: str | None = None
    local: bool = False
    issuer: str | None = None
    group_name: str | None = None
    protected_url: str | None = None
    dead_letter_queue_url: str | None = None
    event_bus: str | None = None
    # The outbox function's event source mappings (their UUIDs) and the function's name.
    outbox_mappings: list[str] | None = None
    outbox_function: str | None = None
    alarms: list[str] | None = None
    distribution_id: str | None = None
    waf_enabled: bool | None = None
    origin_url: str | None = None
    # The core's second distribution: the shared cached reads, without the web ACL (None locally).
    public_reads: str | None = None
    oidc_issuer: str | None = None
    edge: Stack | None = None
    # `vwr local --protect`: the gate's address and the room it sends visitors to (no store to read).
    local_gate: str | None = None
    waiting_room: str | None = None
    stacks: list[Stack] = field(default_factory=list)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.session.client(
            service, region_name=region or self.region, endpoint_url=self.endpoint_url, config=AWS_CONFIG
        )


def _base(url: str) -> str:
    return url.rstrip("/")


def from_ready(ready: dict[str, Any]) -> Deployment:
    """The local runtime of a READY line (`vwr local` prints `READY <json>`)."""
    session = boto3.Session(
        aws_access_key_id=ready["access_key_id"],
        aws_secret_access_key=ready["secret_access_key"],
        region_name=ready["region"],
    )
    return Deployment(
        public_api=_base(ready["public_api"]),
        private_api=_base(ready["private_api"]),
        event_id=ready["event_id"],
        region=ready["region"],
        session=session,
        endpoint_url=ready["aws_endpoint"],
        local=True,
        # The handlers' issuer is the public API's base URL (API.md).
        issuer=_base(ready["public_api"]),
        protected_url=_base(ready["store_api"]) + "/checkout",
        dead_letter_queue_url=ready.get("entry_dlq_url"),
        event_bus=ready.get("event_bus"),
        oidc_issuer=_base(ready["oidc_api"]) if ready.get("oidc_api") else None,
        local_gate=_base(ready["protected"]) if ready.get("protected") else None,
        waiting_room=ready.get("waiting_room"),
    )


def read_ready(path: str) -> dict[str, Any]:
    """A READY file: the JSON itself, or `vwr local`'s stdout with its `READY <json>` line."""
    text = Path(path).read_text()
    for line in text.splitlines():
        if line.startswith("READY "):
            return json.loads(line[len("READY ") :])
    try:
        return json.loads(text)
    except ValueError as error:
        raise ValueError(f"{path} holds neither vwr local's READY line nor its JSON") from error


def kind_of(description: str) -> str | None:
    return next((kind for prefix, kind in KINDS.items() if description.startswith(prefix)), None)


def describe(cloudformation: Any, name: str) -> Stack:
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    resources = [
        (r["ResourceType"], r["LogicalResourceId"], r.get("PhysicalResourceId", ""))
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=name)
        for r in page["StackResourceSummaries"]
    ]
    return Stack(
        name=stack["StackName"],
        kind=kind_of(stack.get("Description", "")),
        status=stack["StackStatus"],
        status_reason=stack.get("StackStatusReason", ""),
        outputs={o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])},
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])},
        resources=resources,
    )


def from_stacks(
    names: list[str],
    *,
    session: boto3.Session,
    region: str,
    endpoint_url: str | None = None,
    protected_url: str | None = None,
) -> Deployment:
    """A deployment on AWS, from its stacks; the first core stack among them is the one verified."""
    cloudformation = session.client(
        "cloudformation", region_name=region, endpoint_url=endpoint_url, config=AWS_CONFIG
    )
    stacks = [describe(cloudformation, name) for name in names]
    core = next((s for s in stacks if s.kind == "core"), None)
    if core is None:
        raise ValueError(
            "none of the stacks is a waiting room core stack (its description starts with "
            f"{next(iter(KINDS))!r}): name the core with --stack"
        )
    outputs = core.outputs
    sample = next((s for s in stacks if s.kind == "sample"), None)
    openid = next((s for s in stacks if s.kind == "openid"), None)
    rest_api = core.physical_ids("AWS::ApiGateway::RestApi", "PublicApi")
    dead_letters = core.physical_ids("AWS::SQS::Queue", "EntryDeadLetters")
    distributions = core.physical_ids("AWS::CloudFront::Distribution", "Cdn")
    store = protected_url or (
        sample.outputs.get("StoreApiUrl", "").rstrip("/") + "/checkout" if sample else None
    )
    return Deployment(
        public_api=_base(outputs.get("PublicApiUrl", "")),
        public_reads=_base(outputs["PublicReadsUrl"]) if outputs.get("PublicReadsUrl") else None,
        private_api=_base(outputs.get("PrivateApiUrl", "")),
        event_id=outputs.get("WaitingRoomEventId", ""),
        region=region,
        session=session,
        endpoint_url=endpoint_url,
        issuer=outputs.get("TokenIssuer"),
        group_name=outputs.get("PrivateApiGroupName"),
        protected_url=store,
        dead_letter_queue_url=dead_letters[0] if dead_letters else None,
        event_bus=outputs.get("EventBusName"),
        outbox_mappings=core.physical_ids("AWS::Lambda::EventSourceMapping", "OutboxStreams"),
        outbox_function=next(iter(core.physical_ids("AWS::Lambda::Function", "OutboxFunction")), None),
        alarms=core.physical_ids("AWS::CloudWatch::Alarm"),
        distribution_id=distributions[0] if distributions else None,
        waf_enabled=core.parameters.get("EnableWaf", "true").lower() == "true",
        origin_url=f"https://{rest_api[0]}.execute-api.{region}.amazonaws.com/prod" if rest_api else None,
        oidc_issuer=openid.outputs.get("OidcIssuer") if openid else None,
        edge=next((s for s in stacks if s.kind == "edge"), None),
        stacks=stacks,
    )

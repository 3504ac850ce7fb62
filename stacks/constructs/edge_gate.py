"""The edge gate as a construct: put it on any CloudFront distribution's behaviors.

    gate = EdgeGate(self, "Gate", event_id=..., room_url=..., public_api_url=..., edge_keys_secret_arn=...)
    cloudfront.Distribution(..., default_behavior=cloudfront.BehaviorOptions(
        origin=..., function_associations=gate.function_associations, ...))

It holds the CloudFront Function (edge_gate/gate.js, deployed as it is, runtime cloudfront-js-2.0),
its KeyValueStore, and the scheduled EdgeSync function that fills the store from the event's state
and the pass keys (lambdas/edge_sync.py). No key is in the function's code: it reads them from the
store, which the sync copies from Secrets Manager.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_iam as iam
from constructs import Construct

from lambdas import catalog
from lambdas.catalog import Resource, Setting
from stacks.config import AppConfig
from stacks.constructs import triggers
from stacks.constructs.bindings import Bindings, secret_grant
from stacks.constructs.function import CatalogFunction

GATE_SOURCE = Path(__file__).resolve().parents[2] / "edge_gate" / "gate.js"
# CloudFront Functions' limit on a function's code (bytes).
MAX_FUNCTION_BYTES = 10 * 1024


def _store_grant(store_arn: str):
    def grant(grantee: iam.IGrantable, _access: str, _entry: catalog.Function) -> None:
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=[
                    "cloudfront-keyvaluestore:DescribeKeyValueStore",
                    "cloudfront-keyvaluestore:ListKeys",
                    "cloudfront-keyvaluestore:UpdateKeys",
                ],
                resources=[store_arn],
            )
        )

    return grant


class EdgeGate(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        event_id: str,
        room_url: str,
        public_api_url: str,
        edge_keys_secret_arn: str,
        hosts: str = "",
        bypass: str = "",
    ) -> None:
        """`hosts` and `bypass` are comma-separated (a CommaDelimitedList parameter joined is fine)."""
        super().__init__(scope, construct_id)
        source = GATE_SOURCE.read_text()
        if len(source.encode()) >= MAX_FUNCTION_BYTES:
            raise ValueError(f"{GATE_SOURCE.name} is over CloudFront Functions' 10 KB")
        self.store = cloudfront.KeyValueStore(self, "Store", comment="Edge gate: event state and pass keys")
        self.function = cloudfront.Function(
            self,
            "Function",
            code=cloudfront.FunctionCode.from_inline(source),
            runtime=cloudfront.FunctionRuntime.JS_2_0,
            key_value_store=self.store,
            comment="Waiting room edge gate (viewer request)",
        )
        self.function_associations = [
            cloudfront.FunctionAssociation(
                function=self.function, event_type=cloudfront.FunctionEventType.VIEWER_REQUEST
            )
        ]
        gate = Stack.of(self).to_json_string(
            {"event": event_id, "room": room_url, "hosts": hosts, "bypass": bypass}
        )
        bindings = Bindings(settings={Setting.PUBLIC_API_URL: public_api_url, Setting.EDGE_GATE: gate})
        bindings.bind(Resource.EDGE_KEYS_SECRET, edge_keys_secret_arn, secret_grant(edge_keys_secret_arn))
        bindings.bind(
            Resource.EDGE_STORE, self.store.key_value_store_arn, _store_grant(self.store.key_value_store_arn)
        )
        (entry,) = catalog.functions_of("edge")
        self.sync = CatalogFunction(
            self, entry, architecture=config.architecture, tracing=config.tracing, bindings=bindings
        )
        for trigger in entry.triggers:
            if not isinstance(trigger, catalog.Schedule):
                raise TypeError(f"the edge gate cannot wire {trigger!r}")
            triggers.schedule_trigger(self, entry.name, self.sync.function, trigger, {})

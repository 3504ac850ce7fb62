"""A Lambda function built from one catalog entry: its own role, log group, environment and grants."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from lambdas import catalog
from lambdas.waiting_room.aws import DUAL_STACK_SERVICES_VARIABLE
from stacks.config import Architecture
from stacks.constructs.bindings import Bindings
from stacks.constructs.packaging import RUNTIME, lambda_architecture, lambda_code
from stacks.nag import ack

# Tag on every function built from the catalog, so tests can tell them from CDK's own helper
# functions (custom resource provider, bucket deployment).
CATALOG_TAG = "vwr:function"


@dataclass(frozen=True)
class VpcPlacement:
    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    security_group: ec2.ISecurityGroup
    # The services the SDK reaches on their dual-stack endpoints (stacks/constructs/network.py).
    dual_stack_services: str = ""


class CatalogFunction(Construct):
    def __init__(
        self,
        scope: Construct,
        entry: catalog.Function,
        *,
        architecture: Architecture,
        bindings: Bindings,
        tracing: bool = False,
        placement: VpcPlacement | None = None,
    ) -> None:
        super().__init__(scope, entry.name)
        self.entry = entry
        self.log_group = logs.LogGroup(
            self, "Logs", retention=logs.RetentionDays.ONE_MONTH, removal_policy=RemovalPolicy.DESTROY
        )
        # One role per function; only what this function's catalog entry asks for is granted.
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the {entry.name} function of the waiting room",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        environment = {
            "POWERTOOLS_SERVICE_NAME": "waiting-room",
            "POWERTOOLS_METRICS_NAMESPACE": "WaitingRoom",
            # Handlers import the X-Ray SDK only when this says false (lambdas/waiting_room/tracing.py).
            "POWERTOOLS_TRACE_DISABLED": "false" if tracing else "true",
        }
        for setting in entry.settings:
            environment[setting.value] = bindings.setting(setting)
        for resource, access in entry.uses:
            binding = bindings.resource(resource)
            environment[resource.value] = binding.value
            environment.update(binding.environment)
            binding.grant(self.role, access, entry)
        for action in entry.extra_permissions:
            bindings.grant_extra(self.role, action)

        vpc_props: dict[str, object] = {}
        if entry.needs_redis:
            if placement is None:
                raise ValueError(f"{entry.name} talks to Redis but its stack has no VPC")
            # ENI management for the function's network interfaces (the one managed policy used).
            self.role.add_managed_policy(
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWSLambdaENIManagementAccess")
            )
            vpc_props = {
                "vpc": placement.vpc,
                "vpc_subnets": placement.subnets,
                "security_groups": [placement.security_group],
                # Out over IPv6 through the subnets' egress-only gateway (no NAT gateway).
                "ipv6_allowed_for_dual_stack": True,
            }
            environment[DUAL_STACK_SERVICES_VARIABLE] = placement.dual_stack_services

        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=lambda_architecture(architecture),
            handler=entry.handler,
            code=lambda_code(architecture),
            role=self.role,
            log_group=self.log_group,
            timeout=Duration.seconds(entry.timeout_seconds),
            memory_size=entry.memory_mb,
            description=entry.description or f"Waiting room {entry.name}",
            environment=environment,
            tracing=lambda_.Tracing.ACTIVE if tracing else lambda_.Tracing.DISABLED,
            **vpc_props,  # type: ignore[arg-type]
        )
        self.function.node.default_child.add_metadata(CATALOG_TAG, entry.name)  # type: ignore[union-attr]
        if tracing:
            ack(
                self.role,
                "IAM5[Resource::*]",
                "X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions.",
            )

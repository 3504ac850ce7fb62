"""The VPC for the functions that talk to Redis: no NAT gateway, nothing that listens on the
internet.

What VPC functions reach outside the VPC, and how:
- DynamoDB through a gateway endpoint (free), over IPv4.
- Secrets Manager (the Redis password and the JWT signing key, read once per container: passing
  them in environment variables would put them in the function configuration in plain text),
  EventBridge (the metrics event each minute with EnableEventGeneration, the expiry sweeper's
  automatic increments with IncrSvcOnQueuePositionExpiry), SQS (the queue worker puts entries
  back while Redis is away) and EventBridge Scheduler (the events API writes a scheduled sale's
  draw schedule), by one of two ways:
  - by default, over IPv6: the subnets are dual-stack, an egress-only internet gateway (free; it
    lets connections out and none in) is their route to ::/0, and the functions may send IPv6
    (Lambda's `Ipv6AllowedForDualStack`). Secrets Manager's regional endpoint is dual-stack as it
    is; EventBridge, SQS and Scheduler have separate dual-stack endpoints (`events.<region>.api.aws`,
    `sqs.<region>.api.aws`, `scheduler.<region>.api.aws`), which the functions' SDK is told to use
    for those services only
    (`DUAL_STACK_SERVICES`, lambdas/waiting_room/aws.py), so DynamoDB stays on its gateway endpoint;
  - with `PrivateEndpoints=true`, through interface endpoints (AWS PrivateLink) for Secrets
    Manager, SQS, Scheduler and, where functions put events, EventBridge, and no route out of the VPC. They
    cost ~$7.30 a month per AZ each, so they get one ENI in one AZ (`endpoint_azs` context);
    functions in the other AZ reach it across the AZ boundary.
"""

from __future__ import annotations

from aws_cdk import CfnCondition, CfnParameter, CfnResource, Fn, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks import params
from stacks.config import AppConfig
from stacks.constructs.function import VpcPlacement

# The services whose dual-stack endpoint has its own name, which the SDK must be asked for. Secrets
# Manager's regional endpoint answers over IPv4 and IPv6 under its usual name.
DUAL_STACK_SERVICES = ("events", "sqs", "scheduler")


class Network(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        config: AppConfig,
        *,
        event_bus_endpoint_condition: CfnCondition | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = scope
        private_endpoints: CfnParameter = params.flag(
            stack,
            "PrivateEndpoints",
            False,
            "Reach Secrets Manager, EventBridge, Scheduler and SQS through interface endpoints (about "
            "$7.30 a month each) instead of over IPv6 through an egress-only internet gateway",
        )
        self.private = params.is_true(stack, "PrivateEndpointsAsked", private_endpoints)
        over_ipv6 = CfnCondition(stack, "EgressOverIpv6", expression=Fn.condition_not(self.private))

        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.42.0.0/22"),
            ip_protocol=ec2.IpProtocol.DUAL_STACK,
            max_azs=config.max_azs,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                )
            ],
            restrict_default_security_group=False,
        )
        # CDK makes the egress-only gateway of a dual-stack VPC but routes no isolated subnet to it.
        gateway = next(c for c in self.vpc.node.children if isinstance(c, ec2.CfnEgressOnlyInternetGateway))
        gateway.cfn_options.condition = over_ipv6
        routes: list[CfnResource] = []
        for index, subnet in enumerate(self.vpc.isolated_subnets):
            route = ec2.CfnRoute(
                self,
                f"Ipv6Egress{index + 1}",
                route_table_id=subnet.route_table.route_table_id,
                destination_ipv6_cidr_block="::/0",
                egress_only_internet_gateway_id=gateway.ref,
            )
            route.cfn_options.condition = over_ipv6
            routes.append(route)

        # Rejected traffic only: enough to debug a security group, almost nothing to ingest.
        flow_logs = logs.LogGroup(
            self, "FlowLogs", retention=logs.RetentionDays.ONE_WEEK, removal_policy=RemovalPolicy.DESTROY
        )
        self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )
        isolated = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)
        self.vpc.add_gateway_endpoint("DynamoDb", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB)

        self.function_security_group = ec2.SecurityGroup(
            self,
            "FunctionsSg",
            vpc=self.vpc,
            description="Waiting room functions that talk to Redis",
            allow_all_ipv6_outbound=True,
        )
        endpoint_subnets = ec2.SubnetSelection(subnets=self.vpc.isolated_subnets[: config.endpoint_azs])
        endpoint_sg = ec2.SecurityGroup(
            self,
            "EndpointsSg",
            vpc=self.vpc,
            description="Interface endpoints, HTTPS from the waiting room functions",
            allow_all_outbound=False,
        )
        endpoint_sg.add_ingress_rule(self.function_security_group, ec2.Port.tcp(443), "HTTPS from functions")

        def endpoint(
            name: str, service: ec2.InterfaceVpcEndpointAwsService, condition: CfnCondition
        ) -> CfnResource:
            built = self.vpc.add_interface_endpoint(
                name,
                service=service,
                subnets=endpoint_subnets,
                security_groups=[endpoint_sg],
                open=False,
                private_dns_enabled=True,
            )
            resource = built.node.default_child
            assert isinstance(resource, CfnResource)
            resource.cfn_options.condition = condition
            return resource

        secrets = endpoint("SecretsManager", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER, self.private)
        events_condition = self.private
        if event_bus_endpoint_condition is not None:
            events_condition = CfnCondition(
                stack,
                "EventBridgeEndpointWanted",
                expression=Fn.condition_and(self.private, event_bus_endpoint_condition),
            )
        endpoint("EventBridge", ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE, events_condition)
        # CDK names no constant for it: the service is `com.amazonaws.<region>.scheduler`.
        endpoint("Scheduler", ec2.InterfaceVpcEndpointAwsService("scheduler"), self.private)
        # The queue worker defers entries onto the entry queue; /counters reads the dead-letter depth.
        endpoint("Sqs", ec2.InterfaceVpcEndpointAwsService.SQS, self.private)

        # What must exist before a function in the VPC first runs (a custom resource that reads a
        # secret): the secrets endpoint, or the IPv6 routes. A resource cannot depend on another
        # that a condition may leave out, so this always-made handle refers to whichever is made.
        self.egress_ready = CfnResource(
            self,
            "EgressReady",
            type="AWS::CloudFormation::WaitConditionHandle",
        )
        self.egress_ready.add_metadata(
            "Egress",
            Fn.condition_if(
                self.private.logical_id,
                secrets.ref,
                Fn.join(",", [route.ref for route in routes]),
            ),
        )
        self.placement = VpcPlacement(
            self.vpc,
            isolated,
            self.function_security_group,
            dual_stack_services=Fn.condition_if(
                self.private.logical_id, "", ",".join(DUAL_STACK_SERVICES)
            ).to_string(),
        )

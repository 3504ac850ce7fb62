"""The VPC for the functions that talk to Redis: isolated subnets only, no NAT gateway.

What VPC functions reach outside the VPC, and how:
- DynamoDB through a gateway endpoint (free).
- Secrets Manager through an interface endpoint: the Redis password and the JWT signing key are
  read once per container; passing them in environment variables instead would put them in the
  function configuration in plain text.
- EventBridge through an interface endpoint, only where VPC functions put events: the metrics
  event each minute (EnableEventGeneration) and the expiry sweeper's automatic increments
  (IncrSvcOnQueuePositionExpiry). Token and session events need none: they leave through the
  tokens table's stream (stacks/constructs/outbox.py). (Routing the rest through a non-VPC
  function would cost an invocation per event.)
Interface endpoints cost ~$7.30 a month per AZ each, so by default they get one ENI in one AZ
(`endpoint_azs` context). Functions in the other AZ reach it across the AZ boundary; if that AZ
fails, warm containers keep their cached secrets and only new containers and events are hit.
"""

from __future__ import annotations

from aws_cdk import CfnCondition, CfnResource, RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from stacks.config import AppConfig
from stacks.constructs.function import VpcPlacement


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
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.42.0.0/22"),
            max_azs=config.max_azs,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
                )
            ],
            restrict_default_security_group=False,
        )
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
            self, "FunctionsSg", vpc=self.vpc, description="Waiting room functions that talk to Redis"
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

        def endpoint(name: str, service: ec2.InterfaceVpcEndpointAwsService) -> ec2.InterfaceVpcEndpoint:
            return self.vpc.add_interface_endpoint(
                name,
                service=service,
                subnets=endpoint_subnets,
                security_groups=[endpoint_sg],
                open=False,
                private_dns_enabled=True,
            )

        self.secrets_endpoint = endpoint("SecretsManager", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER)
        events_endpoint = endpoint("EventBridge", ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE)
        if event_bus_endpoint_condition is not None:
            resource = events_endpoint.node.default_child
            assert isinstance(resource, CfnResource)
            resource.cfn_options.condition = event_bus_endpoint_condition
        self.placement = VpcPlacement(self.vpc, isolated, self.function_security_group)

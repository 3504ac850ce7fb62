"""WaitingRoom-Edge: a CloudFront distribution with the edge gate, in front of any website.

    npx aws-cdk@2 deploy WaitingRoom-Edge \
        --parameters OriginDomain=shop.example.com --parameters EventId=Sample ...

Every request passes through the gate (edge_gate/gate.js) on its way to the origin. The
distribution caches nothing (a shop's pages differ per visitor) and forwards every header except
Host, every cookie and every query string, so the origin sees what it saw without the gate; Host is
the origin's own name, so any origin answers before the site's domain points here.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, CfnParameter, Fn, Stack
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from constructs import Construct

from stacks import params
from stacks.config import AppConfig
from stacks.constructs.cdn import NO_ERROR_CACHING
from stacks.constructs.edge_gate import EdgeGate
from stacks.nag import acknowledge_edge


class EdgeStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, config: AppConfig, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.template_options.description = "Virtual waiting room: edge gate in front of any website"
        origin_domain = CfnParameter(
            self, "OriginDomain", type="String", allowed_pattern=r"^[A-Za-z0-9.-]+(:[0-9]+)?$",
            description="The site to protect: its origin's domain name (HTTPS)",
        )  # fmt: skip
        event_id = params.event_id(self)
        room_url = params.url(
            self, "WaitingRoomUrl", "The waiting room page (the sample stack's WaitingRoomURL output)"
        )
        public_api_url = params.url(self, "PublicApiUrl", "The core stack's PublicApiUrl output")
        keys_secret = params.text(self, "PassKeysArn", "The core stack's EdgeKeysSecretArn output")
        hosts = CfnParameter(
            self, "SiteHosts", type="CommaDelimitedList", default="",
            description="The site's own host names, where visitors come back to (empty: the host asked for)",
        )  # fmt: skip
        bypass = CfnParameter(
            self, "BypassPatterns", type="CommaDelimitedList", default="",
            description="Paths that always pass, besides /robots.txt, /favicon.ico and /.well-known/* "
            "(a trailing * matches any rest)",
        )  # fmt: skip
        self.gate = EdgeGate(
            self,
            "Gate",
            config=config,
            event_id=event_id.value_as_string,
            room_url=room_url.value_as_string,
            public_api_url=public_api_url.value_as_string,
            edge_keys_secret_arn=keys_secret.value_as_string,
            hosts=Fn.join(",", hosts.value_as_list),
            bypass=Fn.join(",", bypass.value_as_list),
        )
        self.distribution = cloudfront.Distribution(
            self,
            "GatedDistribution",
            comment="Waiting room edge gate",
            # An error of the site is the site's answer to one visitor: none is kept.
            error_responses=NO_ERROR_CACHING,
            minimum_protocol_version=cloudfront.SecurityPolicyProtocol.TLS_V1_2_2021,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.HttpOrigin(
                    origin_domain.value_as_string, protocol_policy=cloudfront.OriginProtocolPolicy.HTTPS_ONLY
                ),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                function_associations=self.gate.function_associations,
            ),
        )
        CfnOutput(
            self,
            "DistributionDomainName",
            value=self.distribution.distribution_domain_name,
            description="Point the site's domain here (CNAME or alias)",
        )
        CfnOutput(self, "GateFunctionArn", value=self.gate.function.function_arn, description="The gate")
        CfnOutput(
            self,
            "KeyValueStoreArn",
            value=self.gate.store.key_value_store_arn,
            description="The gate's store",
        )
        acknowledge_edge(self)

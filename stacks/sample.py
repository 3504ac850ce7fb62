"""The sample a new user deploys first: the waiting room page and the control panel on S3 +
CloudFront, and a store API protected by the waiting room's authorizer."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from lambdas import catalog
from stacks import params
from stacks.config import AppConfig
from stacks.constructs.bindings import Bindings
from stacks.constructs.function import CatalogFunction
from stacks.constructs.rest_api import CatalogRestApi
from stacks.constructs.static_site import StaticSite
from stacks.nag import acknowledge_sample


class SampleStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        public_api_url: str | None = None,
        private_api_url: str | None = None,
        public_reads_url: str | None = None,
        event_id: str | None = None,
        authorizer_arn: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.template_options.description = "Virtual waiting room: sample pages and protected store API"
        public_api_url, private_api_url = params.given_or_core_api_urls(self, public_api_url, private_api_url)
        public_reads_url = params.given_or_reads_url(self, public_reads_url, public_api_url)
        event_id = params.given_or_event_id(self, event_id, retired="EventID")
        authorizer_arn = params.given_or_text(
            self, authorizer_arn, "AuthorizerArn", "The authorizer stack's AuthorizerArn output",
            retired="AuthorizerARN",
        )  # fmt: skip
        # The control panel signs its private API calls for the core's region.
        core_region = params.core_region(self, "APIGatewayRegion")

        self.functions = {
            entry.name: CatalogFunction(
                self, entry, architecture=config.architecture, tracing=config.tracing, bindings=Bindings()
            )
            for entry in catalog.functions_of("sample")
        }
        # same_environment: the authorizer is in this account and region, so CDK may grant API
        # Gateway permission to invoke it.
        authorizer_fn = lambda_.Function.from_function_attributes(
            self, "AuthorizerFunction", function_arn=authorizer_arn, same_environment=True
        )
        [trigger] = [
            t for t in catalog.by_name("Authorizer").triggers if isinstance(t, catalog.AuthorizerTrigger)
        ]
        header = apigw.IdentitySource.header("Authorization")
        # Decisions cached per Authorization header: a visitor's burst costs one authorization,
        # and a closed session or a reset is noticed within the TTL (lambdas/catalog.py).
        cache_ttl = Duration.seconds(trigger.result_cache_seconds)
        if trigger.kind == "TOKEN":
            self.authorizer: apigw.IAuthorizer = apigw.TokenAuthorizer(
                self, "Authorizer", handler=authorizer_fn, identity_source=header, results_cache_ttl=cache_ttl
            )
        else:
            self.authorizer = apigw.RequestAuthorizer(
                self,
                "Authorizer",
                handler=authorizer_fn,
                identity_sources=[header],
                results_cache_ttl=cache_ttl,
            )
        self.store_api = CatalogRestApi(
            self, "StoreApi", api="store", description="Sample store (token protected)"
        )
        self.store_api.add_catalog_routes({n: c.function for n, c in self.functions.items()}, self.authorizer)

        site_config = {
            "public_api": public_api_url,
            "reads_api": public_reads_url,
            "private_api": private_api_url,
            "store_api": self.store_api.url,
            "event_id": event_id,
            "region": core_region,
        }
        self.site = StaticSite(
            self,
            "Site",
            comment="Waiting room sample page",
            api_urls=[public_api_url, public_reads_url, self.store_api.url],
        )
        self.waiting_room_url = self.site.deploy_folder("waiting_room_site", "waiting_room_site", site_config)
        # The control panel gets an origin of its own: a script running in the public waiting room
        # page (an injected one included) cannot script it, read its sessionStorage (where the
        # operator's keys live) or frame it, and its policy alone allows calls to the private API.
        self.control_panel_site = StaticSite(
            self,
            "ControlPanelSite",
            comment="Waiting room control panel",
            api_urls=[public_api_url, private_api_url],
        )
        self.control_panel_url = self.control_panel_site.deploy_folder(
            "control_panel", "control_panel", site_config
        )
        CfnOutput(self, "WaitingRoomURL", value=self.waiting_room_url, description="The waiting room page")
        CfnOutput(
            self, "ControlPanelURL", value=self.control_panel_url, description="The operator's control panel"
        )
        CfnOutput(self, "StoreApiUrl", value=self.store_api.url, description="The protected store API")
        acknowledge_sample(self)

"""The Lambda authorizer a protected site's API Gateway puts in front of its routes."""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from lambdas import catalog
from lambdas.catalog import Setting
from stacks import params
from stacks.config import AppConfig
from stacks.constructs.bindings import Bindings
from stacks.constructs.function import CatalogFunction
from stacks.nag import acknowledge_functions


class AuthorizerStack(Stack):
    """Standalone, its inputs are parameters; composed, the caller passes the core stack's values."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        public_api_url: str | None = None,
        event_id: str | None = None,
        issuer: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.template_options.description = (
            "Virtual waiting room: API Gateway authorizer for a protected site"
        )
        public_api_url = params.given_or_url(
            self,
            public_api_url,
            "PublicApiUrl",
            "The core stack's PublicApiUrl output (where the public keys are)",
            retired="PublicAPIEndpoint",
        )
        event_id = params.given_or_event_id(self, event_id, retired="WaitingRoomEventID")
        issuer = params.given_or_url(
            self, issuer, "Issuer", "The core stack's TokenIssuer output", retired="IssuerURI"
        )
        deny_closed_sessions = params.flag(
            self,
            "DenyClosedSessions",
            False,
            "Also refuse tokens whose session was closed (one public API call per authorization)",
        )
        bindings = Bindings(
            settings={
                Setting.EVENT_ID: event_id,
                Setting.PUBLIC_API_URL: public_api_url,
                Setting.ISSUER: issuer,
                Setting.DENY_CLOSED_SESSIONS: deny_closed_sessions.value_as_string,
            }
        )
        self.functions: dict[str, CatalogFunction] = {
            entry.name: CatalogFunction(
                self, entry, architecture=config.architecture, tracing=config.tracing, bindings=bindings
            )
            for entry in catalog.functions_of("authorizer")
        }
        self.function: lambda_.IFunction = self.functions["Authorizer"].function
        for name in ("AuthorizerArn", "ApiGatewayAuthorizerArn"):  # ours, the retired solution's
            CfnOutput(
                self,
                name,
                value=self.function.function_arn,
                description="Use as a TOKEN authorizer (identity source: the Authorization header)",
            )
        acknowledge_functions(self)

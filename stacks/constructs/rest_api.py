"""A REST API whose routes are the catalog's routes for one API (public, private, store, oidc)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import Aws, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

import mapping_templates
from lambdas import catalog

STAGE = "prod"
# The control panel signs private calls with SigV4 from the browser; these headers must pass CORS.
CORS_HEADERS = [
    "Content-Type",
    "Authorization",
    "X-Amz-Date",
    "X-Amz-Security-Token",
    "X-Amz-Content-Sha256",
    "X-Api-Key",
]
# API Gateway's own error answers: readable by a browser (CORS), kept by no cache.
_GATEWAY_RESPONSE_HEADERS = {
    "Access-Control-Allow-Origin": "'*'",
    "Access-Control-Allow-Headers": "'" + ",".join(CORS_HEADERS) + "'",
    "Cache-Control": "'no-store'",
}


# One JSON line per request: who called (the IAM caller's ARN, from SigV4), what and how it went.
ACCESS_LOG_FORMAT = apigw.AccessLogFormat.custom(
    json.dumps(
        {
            "requestId": apigw.AccessLogField.context_request_id(),
            "requestTime": apigw.AccessLogField.context_request_time(),
            "userArn": apigw.AccessLogField.context_identity_user_arn(),
            "caller": apigw.AccessLogField.context_identity_caller(),
            "accountId": apigw.AccessLogField.context_identity_account_id(),
            "sourceIp": apigw.AccessLogField.context_identity_source_ip(),
            "httpMethod": apigw.AccessLogField.context_http_method(),
            "resourcePath": apigw.AccessLogField.context_resource_path(),
            "status": apigw.AccessLogField.context_status(),
            "responseLength": apigw.AccessLogField.context_response_length(),
        }
    )
)
# An audit trail outlives the event it describes; the private API sees a few calls a minute.
ACCESS_LOG_RETENTION = logs.RetentionDays.ONE_YEAR


class CatalogRestApi(Construct):
    """Lambda proxy routes from the wiring table, JSON errors from API Gateway itself, CORS."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: catalog.Api,
        description: str,
        iam_auth: bool = False,
        api_key_required: bool = False,
        throttle_rate: int = 1000,
        throttle_burst: int = 500,
        access_log: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self.api_name: catalog.Api = api
        self.access_logs = (
            logs.LogGroup(
                self,
                "AccessLogs",
                retention=ACCESS_LOG_RETENTION,
                removal_policy=RemovalPolicy.DESTROY,
            )
            if access_log
            else None
        )
        self.rest_api = apigw.RestApi(
            self,
            "Api",
            # Unique per stack, ends with the catalog's API name (tests and dashboards rely on it).
            rest_api_name=f"{Stack.of(self).stack_name}-{api}",
            description=description,
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # API Gateway writes access logs with the account's CloudWatch role (one per account
            # and region): kept on `destroy`, since other APIs of the account may log with it.
            cloud_watch_role=access_log,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN if access_log else None,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                throttling_rate_limit=throttle_rate,
                throttling_burst_limit=throttle_burst,
                access_log_destination=(
                    apigw.LogGroupLogDestination(self.access_logs) if self.access_logs else None
                ),
                access_log_format=ACCESS_LOG_FORMAT if self.access_logs else None,
            ),
            default_cors_preflight_options=apigw.CorsOptions(
                allow_origins=apigw.Cors.ALL_ORIGINS,
                allow_methods=list(catalog.CORS_METHODS),
                allow_headers=CORS_HEADERS,
            ),
            default_method_options=apigw.MethodOptions(
                authorization_type=apigw.AuthorizationType.IAM if iam_auth else None,
                api_key_required=api_key_required or None,
            ),
        )
        # CDK adds an output of the stage URL with a trailing slash; the stacks output `url` instead.
        self.rest_api.node.try_remove_child("Endpoint")
        # API Gateway's own errors (403 from IAM, 401 from the authorizer, 400 from validation,
        # 429 from throttling, 5xx) follow the contract's shape, carry CORS headers so a browser
        # can read them, and say no-store so no cache keeps them.
        for name, response_type, template in (
            ("Default4xx", apigw.ResponseType.DEFAULT_4_XX, mapping_templates.GATEWAY_ERROR),
            ("Default5xx", apigw.ResponseType.DEFAULT_5_XX, mapping_templates.GATEWAY_ERROR),
            ("BadBody", apigw.ResponseType.BAD_REQUEST_BODY, mapping_templates.INVALID_BODY),
        ):
            self.rest_api.add_gateway_response(
                name,
                type=response_type,
                response_headers=_GATEWAY_RESPONSE_HEADERS,
                templates={"application/json": mapping_templates.read(template)},
            )

        self.routes: list[tuple[catalog.Route, apigw.Method]] = []

    def add_catalog_routes(
        self, functions: Mapping[str, lambda_.IFunction], authorizer: apigw.IAuthorizer | None = None
    ) -> None:
        """Separate from construction so functions can be built between the API and its routes
        (they may carry the API's URL in their environment)."""
        for route, entry in catalog.routes_of(self.api_name):
            method_options: dict[str, object] = {}
            if route.authorized:
                if authorizer is None:
                    raise ValueError(f"{route.path} needs an authorizer")
                method_options = {
                    "authorizer": authorizer,
                    "authorization_type": authorizer.authorization_type,
                }
            method = self.rest_api.root.resource_for_path(route.path).add_method(
                route.method,
                apigw.LambdaIntegration(functions[entry.name], allow_test_invoke=False),
                **method_options,  # type: ignore[arg-type]
            )
            self.routes.append((route, method))

    def route_arn(self, method: str, path: str) -> str:
        """The execute-api ARN of one route on the deployed stage (no wildcard)."""
        return self.rest_api.arn_for_execute_api(method, path, STAGE)

    @property
    def url(self) -> str:
        """The stage's URL without a trailing slash: clients append `/route` to it."""
        stage = self.rest_api.deployment_stage.stage_name
        return f"https://{self.rest_api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{stage}"

    def base_url_without_deployment(self) -> str:
        """The stage URL built from the API id alone: functions of this API may carry it in their
        environment without a dependency cycle (the stage depends on the functions' methods)."""
        return f"https://{self.rest_api.rest_api_id}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}/{STAGE}"

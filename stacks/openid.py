"""OpenID Connect adapter: lets a site that speaks OIDC use the waiting room as its identity
provider. Its own API (discovery, JWKS, authorize, token, userInfo), a table of single-use
authorization codes, the client secret, and a hosted page that queues the visitor."""

from __future__ import annotations

from aws_cdk import Aws, CfnOutput, CfnParameter, Fn, RemovalPolicy, Stack
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from lambdas import catalog
from lambdas.catalog import Resource, Setting
from stacks import params
from stacks.config import AppConfig
from stacks.constructs.bindings import Bindings, invoke_grant, parameter_arn, parameter_grant, secret_grant
from stacks.constructs.function import CatalogFunction
from stacks.constructs.rest_api import CatalogRestApi
from stacks.constructs.static_site import StaticSite
from stacks.core import bind_table, build_table
from stacks.inlet import private_route_arn
from stacks.nag import acknowledge_openid

# The retired solution's endpoint outputs and the catalog function behind each.
_ENDPOINT_OUTPUTS = {
    "AuthorizationURL": "OidcAuthorize",
    "TokenURL": "OidcToken",
    "UserInfoURL": "OidcUserInfo",
    "PublicKeysURL": "OidcJwks",
    "ConfigurationURL": "OidcDiscovery",
}


def _route_path(function: str) -> str:
    """The path of a function's routes (/authorize answers GET and POST on one path)."""
    (path,) = {route.path for route in catalog.by_name(function).routes}
    return path


class OpenIdStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        public_api_url: str | None = None,
        private_api_url: str | None = None,
        event_id: str | None = None,
        jwt_keys_secret_arn: str | None = None,
        jwt_public_key_parameter: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.template_options.description = "Virtual waiting room: OpenID Connect adapter"
        public_api_url, private_api_url = params.given_or_core_api_urls(self, public_api_url, private_api_url)
        core_region = params.core_region(self, "APIRegion")
        event_id = params.given_or_event_id(self, event_id, retired="EventID")
        jwt_keys_secret_arn = params.given_or_text(
            self,
            jwt_keys_secret_arn,
            "SigningKeyArn",
            "The core stack's JwtKeysSecretArn output (ARN of the signing key secret)",
        )
        public_key_parameter = params.given_or_text(
            self,
            jwt_public_key_parameter,
            "PublicKeyParameter",
            "The core stack's JwtPublicKeyParameter output (SSM parameter of the public signing key)",
        )
        redirect_uris = CfnParameter(
            self, "RedirectUris", type="CommaDelimitedList",
            description="Registered redirect URIs of the client (comma separated)",
        )  # fmt: skip

        codes = build_table(self, Resource.OIDC_CODES_TABLE)
        # {"client_secret": <generated>, "redirect_uris": [...]}; the client id is the event id.
        uris_json = Fn.join('","', redirect_uris.value_as_list)
        client = secretsmanager.Secret(
            self,
            "ClientSecret",
            description="OpenID client secret and registered redirect URIs",
            generate_secret_string=secretsmanager.SecretStringGenerator(
                secret_string_template=f'{{"redirect_uris": ["{uris_json}"]}}',
                generate_string_key="client_secret",
                exclude_punctuation=True,
                password_length=48,
            ),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.api = CatalogRestApi(
            self, "OidcApi", api="oidc", description="Waiting room OpenID Connect adapter"
        )
        issuer = self.api.base_url_without_deployment()
        # The issuer, not the stage URL: same origin, and no cycle through the stage (whose
        # /authorize function needs the page's address).
        self.page = StaticSite(
            self, "HostedPage", comment="Waiting room OpenID hosted page", api_urls=[public_api_url, issuer]
        )
        bindings = Bindings(
            settings={
                Setting.EVENT_ID: event_id,
                Setting.OIDC_ISSUER: issuer,
                # The hosted page is the waiting room site's openid/ page; it reads ../config.json.
                Setting.OIDC_PAGE_URL: f"{self.page.base_url}/oidc/openid/index.html",
                Setting.CORE_API_REGION: core_region,
            }
        )
        bind_table(bindings, Resource.OIDC_CODES_TABLE, codes)
        bindings.bind(Resource.OIDC_CLIENT_SECRET, client.secret_arn, secret_grant(client.secret_arn))
        bindings.bind(Resource.JWT_KEYS_SECRET, jwt_keys_secret_arn, secret_grant(jwt_keys_secret_arn))
        bindings.bind(
            Resource.JWT_PUBLIC_KEY,
            public_key_parameter,
            parameter_grant(parameter_arn(public_key_parameter)),
        )
        bindings.bind(
            Resource.PRIVATE_API,
            private_api_url,
            invoke_grant(private_route_arn(private_api_url, core_region)),
        )

        self.functions = {
            entry.name: CatalogFunction(
                self, entry, architecture=config.architecture, tracing=config.tracing, bindings=bindings
            )
            for entry in catalog.functions_of("openid")
        }
        self.api.add_catalog_routes({name: c.function for name, c in self.functions.items()})
        self.page.deploy_folder(
            "waiting_room_site",
            "oidc",
            {
                "public_api": public_api_url,
                "event_id": event_id,
                "region": Aws.REGION,
                "oidc_api": self.api.url,
            },
        )
        for name, value, description in (
            ("OidcIssuer", issuer, "OpenID issuer URL"),
            (
                "HostedPageUrl",
                bindings.settings[Setting.OIDC_PAGE_URL],
                "Where /authorize sends visitors to queue",
            ),
            ("ClientSecretArn", client.secret_arn, "client_id = event id; secret here"),
            # The retired solution's names: the same values, and its endpoints one by one.
            ("IssuerURL", issuer, "Same as OidcIssuer"),
            ("ClientID", event_id, "The OpenID client id: the event id"),
            ("ClientSecretID", client.secret_arn, "Same as ClientSecretArn"),
            ("WaitingRoomWebContentBucket", self.page.bucket.bucket_name, "Bucket of the hosted page"),
            *(
                (output, issuer + _route_path(function), f"The {function} endpoint")
                for output, function in _ENDPOINT_OUTPUTS.items()
            ),
        ):
            CfnOutput(self, name, value=value, description=description)
        acknowledge_openid(self)

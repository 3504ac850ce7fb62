"""CloudFront in front of the public API: per-route cache policies from the catalog, an origin
secret, and an optional WAF rate limit per client IP.

Origin lock: every public method requires an API key, and only CloudFront knows it (it adds the
`x-api-key` header to each origin request, overriding any value a viewer sends). A request that goes
to the execute-api URL directly gets 403. API keys cost nothing, unlike a regional WAF.

Caching: only GET routes with a catalog cache policy are cached, keyed on exactly the listed query
keys. Min TTL is 0, so an origin answer with `Cache-Control: no-store` (the 202 "not yet" answers)
is never cached while a 200 is kept for the policy's TTL. Errors are never cached: CloudFront
honours `no-store` on an error only for 404, 410, 414 and 501 and keeps the others for its error
caching minimum TTL (10 s by default), so every error code it caches gets a TTL of 0.
"""

from __future__ import annotations

from aws_cdk import Aws, CfnCondition, CfnParameter, Duration, Fn
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from lambdas import catalog

ORIGIN_KEY_HEADER = "x-api-key"
# The status codes whose caching a distribution can set (AWS::CloudFront::Distribution
# CustomErrorResponse.ErrorCode); a TTL of 0 sends the next request to the origin again.
CACHEABLE_ERROR_CODES = (400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504)
NO_ERROR_CACHING = [
    cloudfront.ErrorResponse(http_status=code, ttl=Duration.seconds(0)) for code in CACHEABLE_ERROR_CODES
]


class PublicApiDistribution(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: apigw.RestApi,
        origin_key: str,
        enable_waf: CfnParameter,
        waf_rate_limit: CfnParameter,
    ) -> None:
        super().__init__(scope, construct_id)
        origin = origins.RestApiOrigin(api, custom_headers={ORIGIN_KEY_HEADER: origin_key})
        behaviors: dict[str, cloudfront.BehaviorOptions] = {}
        for route, _entry in catalog.routes_of("public"):
            if route.cache is None or route.method != "GET":
                continue
            name = route.path.strip("/").replace("_", " ").title().replace(" ", "")
            policy = cloudfront.CachePolicy(
                self,
                f"{name}Cache",
                comment=f"{route.path}: {route.cache.ttl_seconds}s by {', '.join(route.cache.query_keys)}",
                default_ttl=Duration.seconds(route.cache.ttl_seconds),
                max_ttl=Duration.seconds(route.cache.ttl_seconds),
                min_ttl=Duration.seconds(0),
                query_string_behavior=cloudfront.CacheQueryStringBehavior.allow_list(*route.cache.query_keys),
                header_behavior=cloudfront.CacheHeaderBehavior.none(),
                cookie_behavior=cloudfront.CacheCookieBehavior.none(),
                enable_accept_encoding_gzip=True,
                enable_accept_encoding_brotli=True,
            )
            behaviors[route.path] = cloudfront.BehaviorOptions(
                origin=origin,
                cache_policy=policy,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
                response_headers_policy=cloudfront.ResponseHeadersPolicy.CORS_ALLOW_ALL_ORIGINS,
            )
        self.cached_paths = sorted(behaviors)

        self.waf_enabled = CfnCondition(
            self, "WafEnabled", expression=Fn.condition_equals(enable_waf.value_as_string, "true")
        )
        acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="CLOUDFRONT",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=_visibility("WaitingRoomPublic"),
            rules=[
                wafv2.CfnWebACL.RuleProperty(
                    name="RateLimitPerIp",
                    priority=0,
                    action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                            aggregate_key_type="IP", limit=waf_rate_limit.value_as_number
                        )
                    ),
                    visibility_config=_visibility("RateLimitPerIp"),
                )
            ],
        )
        acl.cfn_options.condition = self.waf_enabled

        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment="Waiting room public API",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origin,
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                origin_request_policy=cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_ALL,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            ),
            additional_behaviors=behaviors,
            error_responses=NO_ERROR_CACHING,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
            web_acl_id=Fn.condition_if(self.waf_enabled.logical_id, acl.attr_arn, Aws.NO_VALUE).to_string(),
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )

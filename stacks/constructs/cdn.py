"""CloudFront in front of the public API: per-route cache policies from the catalog, an origin
secret, and AWS WAF (on by default).

The web ACL sits on the distribution, where the client's own address is known (behind CloudFront,
a regional web ACL on the API stage would see CloudFront's addresses, and the forwarded-for header
it could read instead is written by the client). Its rules: a rate limit per IP on entries (the
catalog's ENTRY_RATE_LIMIT_PER_IP, the local gateway's `--waf` limit too), a looser one on every
route against floods, Amazon's IP reputation list, and Bot Control on entries when asked for. A
CloudFront web ACL can only be created in us-east-1: in another region the stack has none.

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

import json

from aws_cdk import Aws, CfnCondition, CfnParameter, Duration, Fn, Token
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
        entry_rate_limit: CfnParameter,
        enable_bot_control: CfnParameter,
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
            self,
            "WafEnabled",
            expression=Fn.condition_and(
                Fn.condition_equals(enable_waf.value_as_string, "true"),
                # CloudFront's web ACLs exist only in us-east-1 (AWS WAF developer guide, "Resources
                # that you can protect"); elsewhere the stack deploys without one (docs/SECURITY.md).
                Fn.condition_equals(Aws.REGION, "us-east-1"),
            ),
        )
        bot_control_asked = Fn.condition_equals(enable_bot_control.value_as_string, "true")
        rules = [
            _rate_rule("EntryRateLimitPerIp", 0, entry_rate_limit.value_as_number, scope_down=_ENTRY),
            _rate_rule("RateLimitPerIp", 1, waf_rate_limit.value_as_number),
            _managed_rule("AWSManagedRulesAmazonIpReputationList", 2),
        ]
        # Two web ACLs, one deployed: CloudFormation cannot leave one item of a list out by a
        # condition. Bot Control inspects entries only, since it is priced per request inspected.
        variants = {
            "WebAcl": (Fn.condition_not(bot_control_asked), rules),
            "WebAclWithBotControl": (bot_control_asked, [*rules, _bot_control(3)]),
        }
        web_acl_id: str | object = Aws.NO_VALUE
        for acl_id, (when, acl_rules) in variants.items():
            deployed = CfnCondition(
                self, f"{acl_id}Deployed", expression=Fn.condition_and(self.waf_enabled, when)
            )
            acl = wafv2.CfnWebACL(
                self,
                acl_id,
                scope="CLOUDFRONT",
                default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
                visibility_config=_visibility("WaitingRoomPublic"),
                custom_response_bodies={
                    "RateLimited": wafv2.CfnWebACL.CustomResponseBodyProperty(
                        content_type="APPLICATION_JSON",
                        content=json.dumps({"error": catalog.RATE_LIMITED_ERROR}),
                    )
                },
                rules=acl_rules,
            )
            acl.cfn_options.condition = deployed
            web_acl_id = Fn.condition_if(deployed.logical_id, acl.attr_arn, web_acl_id)

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
            web_acl_id=Token.as_string(web_acl_id),
        )
        self.url = f"https://{self.distribution.distribution_domain_name}"


# A POST to the entry route, whatever the case or doubled slashes of its path.
_ENTRY = wafv2.CfnWebACL.StatementProperty(
    and_statement=wafv2.CfnWebACL.AndStatementProperty(
        statements=[
            wafv2.CfnWebACL.StatementProperty(
                byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                    positional_constraint="EXACTLY",
                    search_string=catalog.ASSIGN_QUEUE_NUM.path.lower(),
                    text_transformations=[
                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NORMALIZE_PATH"),
                        wafv2.CfnWebACL.TextTransformationProperty(priority=1, type="LOWERCASE"),
                    ],
                )
            ),
            wafv2.CfnWebACL.StatementProperty(
                byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                    field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(method={}),
                    positional_constraint="EXACTLY",
                    search_string=catalog.ASSIGN_QUEUE_NUM.method,
                    text_transformations=[
                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                    ],
                )
            ),
        ]
    )
)


def _rate_rule(
    name: str, priority: int, limit: float, scope_down: wafv2.CfnWebACL.StatementProperty | None = None
) -> wafv2.CfnWebACL.RuleProperty:
    """Blocks a client IP over `limit` requests in AWS WAF's five-minute window, with a 429."""
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        action=wafv2.CfnWebACL.RuleActionProperty(
            block=wafv2.CfnWebACL.BlockActionProperty(
                custom_response=wafv2.CfnWebACL.CustomResponseProperty(
                    response_code=catalog.RATE_LIMITED_STATUS, custom_response_body_key="RateLimited"
                )
            )
        ),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                aggregate_key_type="IP",
                limit=limit,
                evaluation_window_sec=catalog.ENTRY_RATE_WINDOW_SECONDS,
                scope_down_statement=scope_down,
            )
        ),
        visibility_config=_visibility(name),
    )


def _managed_rule(
    name: str,
    priority: int,
    *,
    scope_down: wafv2.CfnWebACL.StatementProperty | None = None,
    configs: list[wafv2.CfnWebACL.ManagedRuleGroupConfigProperty] | None = None,
) -> wafv2.CfnWebACL.RuleProperty:
    """An AWS managed rule group with its own actions (block on a match)."""
    return wafv2.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS",
                name=name,
                scope_down_statement=scope_down,
                managed_rule_group_configs=configs,
            )
        ),
        visibility_config=_visibility(name),
    )


def _bot_control(priority: int) -> wafv2.CfnWebACL.RuleProperty:
    common = wafv2.CfnWebACL.AWSManagedRulesBotControlRuleSetProperty(inspection_level="COMMON")
    return _managed_rule(
        "AWSManagedRulesBotControlRuleSet",
        priority,
        scope_down=_ENTRY,
        configs=[
            wafv2.CfnWebACL.ManagedRuleGroupConfigProperty(aws_managed_rules_bot_control_rule_set=common)
        ],
    )


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )

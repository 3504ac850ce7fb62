"""CloudFront in front of the public API: per-route cache policies from the catalog, an origin
secret, and AWS WAF (on by default).

The web ACL sits on the distribution, where the client's own address is known (behind CloudFront,
a regional web ACL on the API stage would see CloudFront's addresses, and the forwarded-for header
it could read instead is written by the client). Its rules: a rate limit per IP on entries (the
catalog's ENTRY_RATE_LIMIT_PER_IP, the local gateway's `--waf` limit too), a looser one on every
route against floods, Amazon's IP reputation list, and Bot Control on entries when asked for. It
guards against one client taking the line, not against exploits: no Java (so no Log4j) runs behind
it, and the known-bad-inputs group would add a rule's cost to inspect two short fields. A
CloudFront web ACL can only be created in us-east-1, so a custom resource creates it there from
whatever region the stack is in (lambdas/cloudfront_web_acl.py): one template, its parameters
unchanged, and nothing to bootstrap in us-east-1.

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
from typing import Any

from aws_cdk import Aws, CfnCondition, CfnParameter, CfnResource, Duration, Fn, Stack, Token
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from constructs import Construct

from lambdas import catalog
from stacks.constructs import triggers
from stacks.constructs.function import CatalogFunction

ORIGIN_KEY_HEADER = "x-api-key"
# The status codes whose caching a distribution can set (AWS::CloudFront::Distribution
# CustomErrorResponse.ErrorCode); a TTL of 0 sends the next request to the origin again.
CACHEABLE_ERROR_CODES = (400, 403, 404, 405, 414, 416, 500, 501, 502, 503, 504)
NO_ERROR_CACHING = [
    cloudfront.ErrorResponse(http_status=code, ttl=Duration.seconds(0)) for code in CACHEABLE_ERROR_CODES
]
# The web ACL's name, unique in the account since a stack's name is unique in its region.
WEB_ACL_NAME = f"{Aws.STACK_NAME}-{Aws.REGION}"


def web_acl_permissions() -> dict[str, list[str]]:
    """What CloudFrontWebAcl may do: its own web ACL, and name AWS's managed rule groups in it."""
    arn = f"arn:{Aws.PARTITION}:wafv2:us-east-1:{Aws.ACCOUNT_ID}:global"
    own = [f"{arn}/webacl/{WEB_ACL_NAME}/*"]
    writes = [*own, f"{arn}/managedruleset/*/*"]
    return {
        "wafv2:CreateWebACL": writes,
        "wafv2:UpdateWebACL": writes,
        "wafv2:GetWebACL": own,
        "wafv2:DeleteWebACL": own,
    }


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
        web_acl: CatalogFunction,
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
        bot_control = CfnCondition(
            self,
            "BotControlAsked",
            expression=Fn.condition_equals(enable_bot_control.value_as_string, "true"),
        )
        rules = [
            _rate_rule("EntryRateLimitPerIp", 0, entry_rate_limit.value_as_number, scope_down=_ENTRY),
            _rate_rule("RateLimitPerIp", 1, waf_rate_limit.value_as_number),
            _managed_rule("AWSManagedRulesAmazonIpReputationList", 2),
        ]
        # A CloudFront web ACL exists only in us-east-1; this resource makes it there from any
        # region (lambdas/cloudfront_web_acl.py). Bot Control inspects entries only, since it is
        # priced per request inspected.
        (trigger,) = web_acl.entry.triggers
        self.web_acl = triggers.custom_resource(
            self,
            "WebAcl",
            web_acl.function,
            trigger,
            {
                "Name": WEB_ACL_NAME,
                "Description": "Waiting room public API, on its CloudFront distribution",
                "DefaultAction": {"Allow": {}},
                "VisibilityConfig": _visibility("WaitingRoomPublic"),
                "CustomResponseBodies": {
                    "RateLimited": {
                        "ContentType": "APPLICATION_JSON",
                        "Content": json.dumps({"error": catalog.RATE_LIMITED_ERROR}),
                    }
                },
                "Rules": Fn.condition_if(bot_control.logical_id, [*rules, _bot_control(3)], rules),
            },
        )
        cfn_web_acl: CfnResource = self.web_acl.node.default_child  # type: ignore[assignment]
        cfn_web_acl.cfn_options.condition = self.waf_enabled
        web_acl_id = Fn.condition_if(
            self.waf_enabled.logical_id, self.web_acl.get_att_string("Arn"), Aws.NO_VALUE
        )

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

        # The shared cached reads again, on a distribution without the web ACL: AWS WAF prices each
        # request it inspects, and these are most of a visitor's requests while the origin sees one
        # per cache period and edge whatever the traffic. The page is configured to poll here; the
        # distribution above still answers them too, for clients that know one address. Anything
        # else reaches the origin without the origin key and gets API Gateway's 403.
        self.reads_distribution = cloudfront.Distribution(
            Stack.of(self),
            "ReadsCdn",
            comment="Waiting room public API: shared cached reads (no web ACL)",
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.RestApiOrigin(api),
                cache_policy=cloudfront.CachePolicy.CACHING_DISABLED,
                allowed_methods=cloudfront.AllowedMethods.ALLOW_GET_HEAD,
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
            ),
            additional_behaviors={
                route.path: behaviors[route.path]
                for route, _entry in catalog.routes_of("public")
                if route.shared_read
            },
            error_responses=NO_ERROR_CACHING,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        self.reads_url = f"https://{self.reads_distribution.distribution_domain_name}"


# The rules below are written as the WAF API takes them (lambdas/cloudfront_web_acl.py passes them on).

# A POST to the entry route, whatever the case or doubled slashes of its path.
_ENTRY: dict[str, Any] = {
    "AndStatement": {
        "Statements": [
            {
                "ByteMatchStatement": {
                    "FieldToMatch": {"UriPath": {}},
                    "PositionalConstraint": "EXACTLY",
                    "SearchString": catalog.ASSIGN_QUEUE_NUM.path.lower(),
                    "TextTransformations": [
                        {"Priority": 0, "Type": "NORMALIZE_PATH"},
                        {"Priority": 1, "Type": "LOWERCASE"},
                    ],
                }
            },
            {
                "ByteMatchStatement": {
                    "FieldToMatch": {"Method": {}},
                    "PositionalConstraint": "EXACTLY",
                    "SearchString": catalog.ASSIGN_QUEUE_NUM.method,
                    "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
                }
            },
        ]
    }
}


def _rate_rule(
    name: str, priority: int, limit: float, scope_down: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Blocks a client IP over `limit` requests in AWS WAF's five-minute window, with a 429."""
    rate: dict[str, Any] = {
        "AggregateKeyType": "IP",
        "Limit": limit,
        "EvaluationWindowSec": catalog.ENTRY_RATE_WINDOW_SECONDS,
    }
    if scope_down is not None:
        rate["ScopeDownStatement"] = scope_down
    return {
        "Name": name,
        "Priority": priority,
        "Action": {
            "Block": {
                "CustomResponse": {
                    "ResponseCode": catalog.RATE_LIMITED_STATUS,
                    "CustomResponseBodyKey": "RateLimited",
                }
            }
        },
        "Statement": {"RateBasedStatement": rate},
        "VisibilityConfig": _visibility(name),
    }


def _managed_rule(name: str, priority: int, **statement: Any) -> dict[str, Any]:
    """An AWS managed rule group with its own actions (block on a match)."""
    return {
        "Name": name,
        "Priority": priority,
        "OverrideAction": {"None": {}},
        "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name, **statement}},
        "VisibilityConfig": _visibility(name),
    }


def _bot_control(priority: int) -> dict[str, Any]:
    return _managed_rule(
        "AWSManagedRulesBotControlRuleSet",
        priority,
        ScopeDownStatement=_ENTRY,
        ManagedRuleGroupConfigs=[{"AWSManagedRulesBotControlRuleSet": {"InspectionLevel": "COMMON"}}],
    )


def _visibility(name: str) -> dict[str, Any]:
    return {"CloudWatchMetricsEnabled": True, "MetricName": name, "SampledRequestsEnabled": True}

"""cdk-nag (AwsSolutions) acknowledgements. Each one says in a sentence why the finding is accepted.

Acknowledgements are attached to the narrowest scope that holds every affected resource.
"""

from __future__ import annotations

from aws_cdk import Acknowledgment, CfnElement, Stack, Validations
from constructs import IConstruct

from lambdas import catalog
from stacks.constructs.rest_api import STAGE

PACK = "AwsSolutions"
BASIC_EXECUTION = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
ENI_MANAGEMENT = "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"
API_GATEWAY_LOGS = (
    "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
)


def ack(scope: IConstruct, rule: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{PACK}::{PACK}-{rule}", reason=reason))


def ack_template_check(scope: IConstruct, check: str, reason: str) -> None:
    """A finding of CDK's own template validation (cfn-lint's rules)."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"CloudFormation-Validate::{check}", reason=reason))


def acknowledge_functions(scope: IConstruct) -> None:
    ack(
        scope,
        "L1",
        "requirements/lambda.txt is resolved and its binary wheels installed for Python 3.12, "
        "so the runtime stays on 3.12 until the pins are re-resolved for a newer one.",
    )
    ack(
        scope,
        f"IAM4[{ENI_MANAGEMENT}]",
        "Functions that talk to Redis run in the VPC and need exactly this AWS policy's ENI actions, "
        "which IAM does not allow to scope to a resource.",
    )


def acknowledge_apis(scope: IConstruct) -> None:
    ack(
        scope,
        "APIG1",
        "Access logs would cost about as much as the requests they describe at visitor scale; "
        "API Gateway metrics and the dashboard cover operations. The private API, which few callers "
        "use and whose callers must be known, has one.",
    )
    ack(
        scope,
        "APIG6",
        "Execution logging is off for the same cost reason; each function writes its own structured logs.",
    )
    ack(
        scope,
        "APIG3",
        "A regional WAF per API costs $5+/month idle; the public API is reachable only through CloudFront, "
        "which has the optional WAF web ACL, and the other APIs need IAM or a token.",
    )
    ack(
        scope,
        "COG4",
        "No Cognito users exist here: the private API uses IAM (SigV4), the store API the waiting room's "
        "token authorizer, and the public API is public by contract.",
    )


def acknowledge_secrets(scope: IConstruct) -> None:
    ack(
        scope,
        "SMG4",
        "These secrets are generated at deploy time and read once per container; rotating the Redis "
        "password or the origin key needs a coordinated update of ElastiCache or CloudFront, and the "
        "signing key is replaced by redeploying its custom resource; rotating the proof-of-work key "
        "voids the challenges in flight (five minutes' worth), so it is replaced by a deploy.",
    )


def logical_id(resource: CfnElement) -> str:
    stack = Stack.of(resource)
    return str(stack.resolve(stack.get_logical_id(resource)))


def acknowledge_provider(scope: IConstruct, handler: CfnElement) -> None:
    """`handler` is the CfnFunction the provider framework invokes."""
    ack(
        scope,
        f"IAM4[{BASIC_EXECUTION}]",
        "The CDK custom resource provider framework's own function uses the basic execution policy.",
    )
    ack(
        scope,
        f"IAM5[Resource::<{logical_id(handler)}.Arn>:*]",
        "The provider framework may invoke every version of its one handler (`<arn>:*`), nothing else.",
    )
    ack(
        scope,
        "L1",
        "The CDK provider framework chooses its own Node.js runtime, which CDK upgrades with the library.",
    )


def acknowledge_distribution(scope: IConstruct) -> None:
    ack(scope, "CFR1", "A waiting room serves every country its protected site serves; no geo restriction.")
    ack(
        scope,
        "CFR3",
        "CloudFront access logs cost storage per request at visitor scale; its metrics cover operations.",
    )
    ack(
        scope,
        "CFR4",
        "The distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the "
        "TLS policy; attach a custom domain and certificate to choose TLSv1.2_2021.",
    )


def acknowledge_core(stack: IConstruct) -> None:
    acknowledge_functions(stack)
    acknowledge_apis(stack)
    acknowledge_secrets(stack)
    for name in ("GenerateKeys", "InitializeState"):
        handler = stack.node.find_child(name).node.find_child("Function").node.default_child
        acknowledge_provider(stack.node.find_child(f"{name}Provider"), handler)  # type: ignore[arg-type]
    cdn = stack.node.find_child("Cdn")
    acknowledge_distribution(cdn)
    reads = stack.node.find_child("ReadsCdn")
    acknowledge_distribution(reads)
    ack(
        reads,
        "CFR2",
        "Only the shared, cached reads every visitor polls: the web ACL would price each of them while "
        "the origin sees one per cache period and edge; all else answers 403 without the origin key.",
    )
    web_acl = stack.node.find_child("CloudFrontWebAcl")
    acknowledge_provider(
        cdn.node.find_child("WebAclProvider"), web_acl.node.find_child("Function").node.default_child
    )  # type: ignore[arg-type]
    ack(
        web_acl,
        "IAM5[Resource::arn:<AWS::Partition>:wafv2:us-east-1:<AWS::AccountId>:global/webacl/<AWS::StackName>-<AWS::Region>/*]",
        "The stack's one web ACL, by its name; WAF chooses its id when it creates it.",
    )
    ack(
        web_acl,
        "IAM5[Resource::arn:<AWS::Partition>:wafv2:us-east-1:<AWS::AccountId>:global/managedruleset/*/*]",
        "Writing a web ACL that names AWS managed rule groups needs this permission on them; AWS names them.",
    )
    acknowledge_draw_schedules(stack)
    public_api = stack.node.find_child("PublicApi")
    ack(
        public_api,
        "APIG4",
        "The public API is public by contract (visitors are anonymous); CloudFront's origin key is required "
        "on every method, and API Gateway validates the entry body.",
    )
    private_api = stack.node.find_child("PrivateApi")
    ack(
        private_api,
        "APIG2",
        "Every private handler validates its JSON body and answers 400 with the contract's error shape.",
    )
    rest_api = logical_id(private_api.node.find_child("Api").node.default_child)  # type: ignore[arg-type]
    for route, _ in catalog.routes_of("private"):
        if route.arn_path != route.path:
            ack(
                stack.node.find_child("PrivateApiGroup"),
                f"IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:"
                f"<{rest_api}>/{STAGE}/{route.method}{route.arn_path}]",
                "The star is the event id of /events/{event_id}: an operator may read, change and "
                "delete any event. IAM's star would also match deeper paths, and the API has none.",
            )
    ack(
        private_api,
        f"IAM4[{API_GATEWAY_LOGS}]",
        "API Gateway's account-wide CloudWatch role for the private API's access log: AWS documents this "
        "managed policy for it, and the role is API Gateway's, not any function's.",
    )


def acknowledge_draw_schedules(stack: IConstruct) -> None:
    """The functions that write the draws' schedules (stacks/constructs/draw_schedules.py)."""
    group = stack.node.find_child("DrawSchedules").node.find_child("Group").node.default_child
    name = Stack.of(stack).resolve(group.name)  # type: ignore[union-attr]
    for entry in catalog.functions_of("core"):
        if catalog.Resource.DRAW_SCHEDULES in dict(entry.uses):
            ack(
                stack.node.find_child(entry.name),
                "IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:"
                f"schedule/{name}/*]",
                "A schedule is named by its event's id, which the operator chooses after deployment; "
                "the grant covers the schedules of the deployment's own draw group and no other.",
            )


def acknowledge_site(scope: IConstruct) -> None:
    ack(
        scope,
        "S1",
        "The bucket holds only the public pages deployed from the repository; CloudTrail records changes "
        "and server access logs would add a second bucket for no operational use.",
    )
    acknowledge_distribution(scope)
    ack(
        scope,
        "CFR2",
        "Static pages served from a cache: requests never reach an origin that a WAF would protect, "
        "and a web ACL would cost $6+/month idle.",
    )


def acknowledge_bucket_deployment(stack: Stack, *buckets: CfnElement) -> None:
    """CDK's BucketDeployment helper function (one per stack, at the stack's root): it copies the
    pages from the CDK asset bucket into `bucket` and invalidates the distribution."""
    wildcards = [
        "Action::s3:GetObject*",
        "Action::s3:GetBucket*",
        "Action::s3:List*",
        "Action::s3:DeleteObject*",
        "Action::s3:Abort*",
        "Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*",
        *(f"Resource::<{logical_id(bucket)}.Arn>/*" for bucket in buckets),
        # cloudfront:CreateInvalidation does not support resource-level permissions.
        "Resource::*",
    ]
    for child in stack.node.children:
        if not child.node.id.startswith("Custom::CDKBucketDeployment"):
            continue
        ack(
            child,
            f"IAM4[{BASIC_EXECUTION}]",
            "CDK's bucket deployment function uses the basic execution policy.",
        )
        ack(child, "L1", "CDK's bucket deployment function runtime is chosen and upgraded by CDK itself.")
        for finding in wildcards:
            ack(
                child,
                f"IAM5[{finding}]",
                "CDK's bucket deployment grants itself object-level access to the asset and site buckets "
                "and CloudFront invalidation, which has no resource-level permissions.",
            )


def acknowledge_sample(stack: Stack) -> None:
    acknowledge_functions(stack)
    acknowledge_apis(stack)
    for site in ("Site", "ControlPanelSite"):
        acknowledge_site(stack.node.find_child(site))
    acknowledge_bucket_deployment(stack, _bucket(stack, "Site"), _bucket(stack, "ControlPanelSite"))
    ack(
        stack.node.find_child("StoreApi"),
        "APIG2",
        "The sample store handler validates its own input; the API exists to show the authorizer at work.",
    )
    if stack.node.try_find_child("AuthorizerArnOrAuthorizerARN"):
        # Standalone: the authorizer's ARN comes from AuthorizerArn or its retired name, both empty by
        # default; the linter resolves those defaults, while the rule refuses a deploy with neither.
        for check in ("F3031", "F3033", "W9006"):
            ack_template_check(
                stack.node.find_child("AuthorizerFunction"), check, "The rule asks for an ARN."
            )


def acknowledge_openid(stack: Stack) -> None:
    acknowledge_functions(stack)
    acknowledge_apis(stack)
    acknowledge_secrets(stack)
    acknowledge_site(stack.node.find_child("HostedPage"))
    acknowledge_bucket_deployment(stack, _bucket(stack, "HostedPage"))
    api = stack.node.find_child("OidcApi")
    ack(api, "APIG2", "Each OpenID handler validates its own parameters and answers the protocol's errors.")
    ack(
        api,
        "APIG4",
        "OpenID endpoints are public by protocol; /token authenticates the client secret and /userInfo the "
        "bearer token inside the handler.",
    )


def _bucket(stack: Stack, site: str) -> CfnElement:
    return stack.node.find_child(site).node.find_child("Bucket").node.default_child  # type: ignore[return-value]


def acknowledge_replication_group(group: IConstruct, *, multi_az: bool) -> None:
    ack(
        group,
        "AEC6",
        "Clients authenticate as a role-based (RBAC) user of a user group, which replaces the single "
        "shared AUTH token this rule looks for.",
    )
    if not multi_az:
        ack(
            group,
            "AEC4",
            "One node was chosen (redis_nodes=1) to save cost; the counters can be rebuilt by "
            "InitializeState, and redis_nodes=2 turns on Multi-AZ failover.",
        )


def acknowledge_edge(stack: Stack) -> None:
    acknowledge_functions(stack)
    acknowledge_distribution(stack.node.find_child("GatedDistribution"))
    ack(
        stack.node.find_child("GatedDistribution"),
        "CFR2",
        "The gate's distribution stands in front of the user's own site; a web ACL is theirs to attach "
        "(docs/PROTECTING.md), and the waiting room's own API keeps its WAF.",
    )

"""Findings of the template scanners (checkov, and cfn-lint with its serverless rules) that the
product accepts, each with its reason: the scanners' counterpart of cdk-nag's acknowledgements in
`stacks/nag.py`.

tests/infrastructure/test_quality.py runs both scanners on every synthesized template: a finding
that no entry here accepts fails, and so does an entry that accepts no finding any more.
An entry covers one rule on the resources whose logical ids match its patterns (fnmatch).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class Accepted:
    rule: str
    reason: str
    resources: tuple[str, ...] = ("*",)

    def covers(self, rule: str, logical_id: str) -> bool:
        return rule == self.rule and any(fnmatchcase(logical_id, p) for p in self.resources)


_BUCKET_DEPLOYMENT = "CustomCDKBucketDeployment*"
_PROVIDERS = "*ProviderframeworkonEvent*"
_NO_TRACING = (
    "X-Ray tracing is a synth-time option (`-c tracing=true`), off by default because its SDK adds "
    "about 190 ms to every cold start."
)
_NO_ACCESS_LOGS = (
    "Access logs would cost about as much as the requests they describe at visitor scale; metrics "
    "and the functions' own logs cover operations (cdk-nag APIG1 and CFR3 say the same)."
)

ACCEPTED: tuple[Accepted, ...] = (
    # -- cfn-lint ---------------------------------------------------------------------------------
    Accepted(
        "W3005",
        "CDK writes a DependsOn beside a GetAtt or Ref on the same resource; the duplicate is harmless.",
    ),
    Accepted(
        "W2001",
        "RedisPort is the retired template's parameter, kept so its deploy scripts still pass it; "
        "ElastiCache Serverless listens on a fixed port, so nothing reads it (docs/MIGRATING.md).",
        ("Parameters/RedisPort",),
    ),
    Accepted(
        "W1030",
        "The store takes its authorizer as AuthorizerArn or, as the retired template named it, "
        "AuthorizerARN; both default to empty and a template rule refuses a deploy that gives neither, "
        "so the empty default never reaches a resource.",
        ("Parameters/AuthorizerArn/Default", "AuthorizerFunction*Permissions*"),
    ),
    # -- cfn-lint serverless rules -----------------------------------------------------------------
    Accepted("WS1000", _NO_TRACING),
    Accepted("WS2002", _NO_TRACING),
    Accepted(
        "WS1004",
        "Every function logs into a log group of its own stack with a retention (LoggingConfig), which "
        "the rule does not look for; tests/infrastructure/test_teardown.py checks it.",
    ),
    Accepted("ES2000", _NO_ACCESS_LOGS),
    Accepted(
        "ES1001",
        "The entry queue's redrive policy moves an entry that failed five times to the dead-letter "
        "queue, which has an alarm; a second failure destination would duplicate it.",
        ("QueueWorkerFunctionSqsEventSource*",),
    ),
    Accepted(
        "ES1007",
        "Lambda retries a failed asynchronous invocation twice; the scheduled jobs run again a minute "
        "later, and a MaxSize message that still fails is in the function's log with its error.",
    ),
    Accepted(
        "ES4000",
        "A missed run of a per-minute schedule is made up by the next run; there is nothing to replay.",
    ),
    Accepted(
        "ES6000",
        "This is the dead-letter queue itself: a scheduled function sends its entries back to the "
        "worker, three times at most, then refuses them (410 not_numbered); an alarm watches it. "
        "Or the outbox mappings' failure destination: its messages (stream positions) wait there "
        "for an operator, with an alarm.",
        ("EntryDeadLetters*", "OutboxStreamsFailures*"),
    ),
    Accepted(
        "ES7000",
        "SNS hands each MaxSize message to Lambda, which retries it itself; a message that still fails "
        "is in the function's log, and its publisher (the protected site) can send it again.",
        ("MaxSize*",),
    ),
    Accepted(
        "ES1005",
        "The CDK provider framework's relay function only forwards the event to our handler, which "
        "sets its own memory.",
        (_PROVIDERS,),
    ),
    # -- checkov -----------------------------------------------------------------------------------
    Accepted("CKV_AWS_73", _NO_TRACING),
    Accepted("CKV_AWS_76", _NO_ACCESS_LOGS),
    Accepted("CKV_AWS_86", _NO_ACCESS_LOGS),
    Accepted(
        "CKV_AWS_18",
        "The page buckets hold only files deployed from the repository; server access logs would need "
        "a second bucket and CloudTrail already records changes.",
        ("SiteBucket*", "ControlPanelSiteBucket*", "HostedPageBucket*"),
    ),
    Accepted(
        "CKV_AWS_21",
        "The page buckets are rewritten from the repository on every deploy; git is their version history.",
        ("SiteBucket*", "ControlPanelSiteBucket*", "HostedPageBucket*"),
    ),
    Accepted(
        "CKV_AWS_68",
        "Static pages served from the CloudFront cache; a web ACL costs $6+ a month idle, and the public "
        "API's distribution has the optional one (EnableWaf).",
        ("SiteDistribution*", "ControlPanelSiteDistribution*", "HostedPageDistribution*"),
    ),
    Accepted(
        "CKV_AWS_68",
        "The edge gate's distribution stands in front of the user's own site, whose web ACL (if any) is "
        "theirs to attach; the waiting room's public API keeps its own (EnableWaf).",
        ("GatedDistribution*",),
    ),
    Accepted(
        "CKV_AWS_68",
        "The public API's shared, cached reads that every waiting visitor polls: a web ACL would price "
        "each poll while the origin sees one per cache period and edge; every other path answers 403.",
        ("ReadsCdn*",),
    ),
    Accepted(
        "CKV_AWS_174",
        "The distributions use the default *.cloudfront.net certificate, for which CloudFront fixes the "
        "TLS policy; a custom domain and certificate are needed to choose TLSv1.2_2021.",
    ),
    Accepted(
        "CKV_AWS_120",
        "CloudFront caches the public routes per the wiring table's policies; an API Gateway cache "
        "costs from $14 a month and the private, store and OpenID answers must not be cached.",
    ),
    Accepted(
        "CKV_AWS_59",
        "The OpenID endpoints are public by the protocol: discovery and JWKS are read by anyone, and "
        "/authorize, /token and /userInfo authenticate the client or the token themselves.",
        ("OidcApi*",),
    ),
    Accepted(
        "CKV_AWS_115",
        "No reserved concurrency: it would be carved out of the account's pool for every function; API "
        "Gateway stage throttling bounds the load, and the worker scales with the queue.",
    ),
    Accepted(
        "CKV_AWS_116",
        "API, authorizer and custom resource invocations are synchronous (no DLQ applies); the entry "
        "queue has its own dead-letter queue, and the scheduled jobs run again a minute later.",
    ),
    Accepted(
        "CKV_AWS_117",
        "Only the functions that talk to Redis run in the VPC; the others reach public AWS endpoints, "
        "which from the VPC would need more interface endpoints at $7.30 a month per AZ each.",
    ),
    Accepted(
        "CKV_AWS_173",
        "The environment holds names, URLs and ARNs only; secrets are read from Secrets Manager, so "
        "Lambda's default encryption at rest is enough.",
    ),
    Accepted(
        "CKV_AWS_158",
        "Function logs carry no secrets (request ids are masked) and CloudWatch encrypts them at rest; "
        "a customer managed key would add $1 a month per stack.",
    ),
    Accepted(
        "CKV_AWS_119",
        "Tables are encrypted with the AWS managed key aws/dynamodb; a customer managed key would add "
        "$1 a month per stack and protect against no reader the account does not already control.",
    ),
    Accepted(
        "CKV_AWS_149",
        "Secrets are encrypted with the AWS managed key aws/secretsmanager; a customer managed key would "
        "add $1 a month per stack for no reader outside the account.",
    ),
    Accepted(
        "CKV_AWS_27",
        "The entry queues and the outbox failure queue use SQS managed encryption "
        "(SqsManagedSseEnabled), which the check does not count; a KMS key would add a KMS call to "
        "every entry (and $1 a month).",
        ("EntryQueue*", "EntryDeadLetters*", "OutboxStreamsFailures*"),
    ),
    Accepted(
        "CKV_AWS_111",
        "CDK's bucket deployment needs cloudfront:CreateInvalidation, which has no resource-level "
        "permissions (cdk-nag IAM5 is acknowledged for it in stacks/nag.py).",
        (f"{_BUCKET_DEPLOYMENT}ServiceRoleDefaultPolicy*",),
    ),
)


def accepted(rule: str, logical_id: str) -> Accepted | None:
    """The entry that accepts `rule` on the resource `logical_id`, if any."""
    return next((entry for entry in ACCEPTED if entry.covers(rule, logical_id)), None)

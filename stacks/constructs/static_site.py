"""A private S3 bucket served by CloudFront (origin access control), filled from repository
folders, each folder getting a generated `config.json` beside its files. A link in a folder to a
file outside it (control_panel/css/common.css, the stylesheet both apps share) is uploaded as the
file it names, so both sites serve the same bytes from one source.

Every answer carries the pages' security headers (lambdas/catalog.py, the same the local gateway
sends): a content security policy whose `connect-src` names the API origins the pages call, no
framing, no referrer, no MIME sniffing, and HSTS.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Duration, Fn, RemovalPolicy, SymlinkFollowMode
from aws_cdk import aws_cloudfront as cloudfront
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from constructs import Construct

from lambdas import catalog
from stacks.constructs.cdn import NO_ERROR_CACHING
from stacks.constructs.packaging import REPO_ROOT

CONFIG_FILE = "config.json"


class StaticSite(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, comment: str, api_urls: Sequence[str]) -> None:
        """`api_urls`: the APIs the pages call (URLs or tokens), allowed by `connect-src`."""
        super().__init__(scope, construct_id)
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            removal_policy=RemovalPolicy.DESTROY,
            auto_delete_objects=False,
        )
        self.distribution = cloudfront.Distribution(
            self,
            "Distribution",
            comment=comment,
            default_behavior=cloudfront.BehaviorOptions(
                origin=origins.S3BucketOrigin.with_origin_access_control(self.bucket),
                viewer_protocol_policy=cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                cache_policy=cloudfront.CachePolicy.CACHING_OPTIMIZED,
                response_headers_policy=security_headers(self, "Headers", comment, api_urls),
            ),
            default_root_object="index.html",
            # A page missing for a moment during a deployment must not stay missing for 10 s.
            error_responses=NO_ERROR_CACHING,
            price_class=cloudfront.PriceClass.PRICE_CLASS_100,
        )
        self.base_url = f"https://{self.distribution.distribution_domain_name}"
        # For CDK's copying function (one per stack, shared by every folder's deployment): without
        # it, the function logs into a group Lambda creates on first use, which keeps its logs
        # forever and outlives `cdk destroy`.
        self.deployment_logs = logs.LogGroup(
            self,
            "DeploymentLogs",
            retention=logs.RetentionDays.ONE_WEEK,
            removal_policy=RemovalPolicy.DESTROY,
        )

    def deploy_folder(self, folder: str, prefix: str, config: Mapping[str, Any]) -> str:
        """Uploads `folder` under `prefix/` with its config.json; returns the page URL."""
        source = REPO_ROOT / folder
        if not Path(source, "index.html").exists():
            raise FileNotFoundError(f"{source}/index.html is missing")
        s3deploy.BucketDeployment(
            self,
            f"Deploy{prefix.title().replace('_', '')}",
            destination_bucket=self.bucket,
            destination_key_prefix=f"{prefix}/",
            sources=[
                s3deploy.Source.asset(str(source), follow_symlinks=SymlinkFollowMode.EXTERNAL),
                s3deploy.Source.json_data(CONFIG_FILE, dict(config)),
            ],
            # config.json and the pages change together; drop the cached copies on each deploy.
            distribution=self.distribution,
            distribution_paths=[f"/{prefix}/*"],
            memory_limit=256,
            # Deleting the stack deletes the files too, so the bucket is empty when its turn comes.
            retain_on_delete=False,
            log_group=self.deployment_logs,
        )
        return f"{self.base_url}/{prefix}/index.html"


def origin_of(url: str) -> str:
    """`https://host` of an https URL, also when the URL is a deploy-time token (a parameter)."""
    return Fn.join("", ["https://", Fn.select(2, Fn.split("/", url))])


def security_headers(
    scope: Construct, construct_id: str, comment: str, api_urls: Sequence[str]
) -> cloudfront.ResponseHeadersPolicy:
    csp = catalog.content_security_policy(tuple(origin_of(url) for url in api_urls))
    return cloudfront.ResponseHeadersPolicy(
        scope,
        construct_id,
        comment=f"{comment}: security headers"[:128],
        security_headers_behavior=cloudfront.ResponseSecurityHeadersBehavior(
            content_security_policy=cloudfront.ResponseHeadersContentSecurityPolicy(
                content_security_policy=csp, override=True
            ),
            frame_options=cloudfront.ResponseHeadersFrameOptions(
                frame_option=cloudfront.HeadersFrameOption[catalog.FRAME_OPTIONS], override=True
            ),
            referrer_policy=cloudfront.ResponseHeadersReferrerPolicy(
                referrer_policy=cloudfront.HeadersReferrerPolicy.NO_REFERRER, override=True
            ),
            content_type_options=cloudfront.ResponseHeadersContentTypeOptions(override=True),
            strict_transport_security=cloudfront.ResponseHeadersStrictTransportSecurity(
                access_control_max_age=Duration.seconds(catalog.HSTS_MAX_AGE_SECONDS),
                include_subdomains=True,
                override=True,
            ),
        ),
    )

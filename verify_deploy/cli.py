"""`vwr verify-deploy`: proves a deployment end to end (see the module docstring of the package)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from verify_deploy import deployment as deployments
from verify_deploy.context import Context, Options
from verify_deploy.report import Table, write_json
from verify_deploy.run import run

# Everything the command calls besides the private API (which the IAM group PrivateApiGroupName
# grants). The temporary rule and queue carry the throw-away event's name, `vwr-verify-...`.
IAM_POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadTheDeployment",
            "Effect": "Allow",
            "Action": [
                "cloudformation:DescribeStacks",
                "cloudformation:ListStackResources",
                "cloudfront:GetDistributionConfig",
                "lambda:GetFunctionConfiguration",
                "lambda:GetEventSourceMapping",
                "cloudwatch:DescribeAlarms",
                "sqs:GetQueueAttributes",
                "cloudfront-keyvaluestore:GetKey",
            ],
            "Resource": "*",
        },
        {
            "Sid": "TemporaryQueue",
            "Effect": "Allow",
            "Action": [
                "sqs:CreateQueue",
                "sqs:SetQueueAttributes",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
                "sqs:DeleteQueue",
            ],
            "Resource": "arn:aws:sqs:*:*:vwr-verify-*",
        },
        {
            "Sid": "TemporaryRule",
            "Effect": "Allow",
            "Action": ["events:PutRule", "events:PutTargets", "events:RemoveTargets", "events:DeleteRule"],
            "Resource": "arn:aws:events:*:*:rule/*/vwr-verify-*",
        },
    ],
}

DESCRIPTION = """\
Proves a deployment end to end in about a minute: the stacks and their outputs, the private API's
IAM lock, a visitor's whole journey on a throw-away event (created through the private API and
deleted afterwards, even on failure or Ctrl-C), CloudFront's caching, the origin lock, the WAF,
the outbox function and the bus, the dead-letter queue and the alarms. Read-only on everything else.
Exit code 0 only when no check fails; a skipped check names the part the deployment lacks.

Against AWS:     vwr verify-deploy --stack WaitingRoom-Core [--stack WaitingRoom-Sample ...]
Against vwr local: vwr verify-deploy --ready READY.json   (the file holds vwr local's READY line)
"""

EPILOG = (
    "Permissions: the caller must be allowed to call the private API (be in the core stack's "
    "PrivateApiGroupName group), plus this policy statement (no managed policy needed):\n\n"
    + json.dumps(IAM_POLICY, indent=2)
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="vwr verify-deploy",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument(
        "--stack",
        action="append",
        metavar="NAME",
        help="a stack of the deployment (repeat); one must be the core",
    )
    target.add_argument("--ready", metavar="FILE", help="vwr local's READY JSON (or its stdout)")
    p.add_argument("--region", help="the stacks' region (default: the AWS configuration's)")
    p.add_argument("--profile", help="an AWS profile (default: the standard credential chain)")
    p.add_argument("--protected-url", help="a URL of your protected site the authorizer guards")
    p.add_argument("--keep", action="store_true", help="leave the throw-away event for inspection")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout, for CI")
    p.add_argument(
        "--position-timeout", type=float, default=30.0, help="seconds an entry may wait for its position"
    )
    p.add_argument(
        "--event-timeout", type=float, default=30.0, help="seconds token_generated may take to reach the bus"
    )
    p.add_argument("--http-timeout", type=float, default=10.0, help="seconds for one HTTP answer")
    return p


def _deployment(args: argparse.Namespace) -> deployments.Deployment:
    if args.ready:
        return deployments.from_ready(deployments.read_ready(args.ready))
    session = boto3.Session(profile_name=args.profile, region_name=args.region)
    region = args.region or session.region_name
    if not region:
        raise ValueError("no region: pass --region or configure one (AWS_REGION, `aws configure`)")
    return deployments.from_stacks(
        args.stack, session=session, region=region, protected_url=args.protected_url
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        deployment = _deployment(args)
    except (ValueError, OSError, KeyError, BotoCoreError, ClientError) as error:
        hint = (
            " (configure them as for the AWS CLI, or pass --profile)"
            if isinstance(error, NoCredentialsError)
            else ""
        )
        print(f"vwr verify-deploy: {error}{hint}", file=sys.stderr)
        return 2
    if args.protected_url:
        deployment.protected_url = args.protected_url
    table = Table(
        sys.stderr if args.json else sys.stdout, colour=(sys.stderr if args.json else sys.stdout).isatty()
    )
    ctx = Context(
        deployment,
        Options(
            position_timeout=args.position_timeout,
            event_timeout=args.event_timeout,
            http_timeout=args.http_timeout,
        ),
        progress=table.progress,
    )

    def interrupt(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    # SIGTERM (a CI job cancelled) cleans up as Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        lines = run(ctx, keep=args.keep, on_line=table.line)
    except KeyboardInterrupt:
        print("vwr verify-deploy: interrupted; what it created is removed", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGTERM, previous)
    if args.json:
        write_json(sys.stdout, lines)
    else:
        table.summary(lines)
    return 0 if all(line.result.status != "fail" for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())

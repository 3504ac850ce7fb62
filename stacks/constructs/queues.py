"""The SQS queues of the stacks: encrypted at rest and reachable over TLS only, as cdk-nag asks."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_sqs as sqs
from constructs import Construct

# SQS's longest retention: what a failure queue keeps, so someone can still read why.
LONGEST_RETENTION = Duration.days(14)


def secure_queue(
    scope: Construct, construct_id: str, *, retention: Duration = LONGEST_RETENTION, **options: Any
) -> sqs.Queue:
    return sqs.Queue(
        scope,
        construct_id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=retention,
        **options,
    )

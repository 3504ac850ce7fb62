"""Events that are record changes (lambdas.catalog.OUTBOX): each streamed table's stream -> a Lambda
event source mapping -> the outbox function (lambdas/outbox.py) -> the deployment's bus.

A handler's write is the event, so no event is lost once its record is written and the hot path
makes no PutEvents call. Each mapping:
- reads its stream from the oldest record (TRIM_HORIZON), so records written before the mapping
  ran are not skipped;
- passes only the records its table's events' filters match (the catalog's `filter_pattern`), so
  other changes never invoke the function;
- retries what the function reports failed (partial batch responses), halving the batch on each
  error, within the catalog's StreamTrigger bounds; then it sends the records' position to the
  failure queue, which raises an alarm (stacks/constructs/monitoring.py).
Lambda's polling of a DynamoDB stream is not billed (stacks/cost.py), so an idle deployment pays
nothing for it, with or without automatic increments.
"""

from __future__ import annotations

import json

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from constructs import Construct

from lambdas import catalog
from lambdas.catalog import Resource
from stacks.constructs.queues import secure_queue
from stacks.nag import ack

# What a mapping needs of a DynamoDB stream (nothing else of the table), granted to the function's
# role on the streams it reads only.
STREAM_READ = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
]


class OutboxMappings(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        role: iam.IRole,
        trigger: catalog.StreamTrigger,
        tables: dict[Resource, dynamodb.Table],
    ) -> None:
        super().__init__(scope, construct_id)
        # Where a record lands when its retries are spent: its shard and sequence numbers, to
        # read it again from the stream within the day it keeps it.
        self.failures = secure_queue(self, "Failures")
        ack(
            self.failures,
            "SQS3",
            "The outbox mappings' on-failure destination: the last stop of a record whose retries "
            "are spent, watched by an alarm; a queue behind it would only move the same question.",
        )
        self.mappings: dict[Resource, lambda_.EventSourceMapping] = {}
        for resource, table in tables.items():
            events = catalog.outbox_of(resource)
            if not events:
                continue
            stream_arn = table.table_stream_arn
            if stream_arn is None:
                raise ValueError(f"{resource.name} carries outbox events but has no stream")
            grant = role.add_to_principal_policy(
                iam.PolicyStatement(actions=STREAM_READ, resources=[stream_arn])
            )
            mapping = lambda_.EventSourceMapping(
                self,
                resource.name.title().replace("_", ""),
                target=function,
                event_source_arn=stream_arn,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=trigger.batch_size,
                max_batching_window=Duration.seconds(trigger.max_batching_window_seconds),
                bisect_batch_on_error=True,
                retry_attempts=trigger.retry_attempts,
                max_record_age=Duration.seconds(trigger.max_record_age_seconds),
                report_batch_item_failures=True,
                # One batch at a time per shard: the events of one item leave in their order.
                parallelization_factor=1,
                on_failure=sources.SqsDlq(self.failures),
                filters=[{"pattern": json.dumps(event.filter_pattern())} for event in events],
            )
            # The mapping starts only once the role may read the stream.
            if grant.policy_dependable is not None:
                mapping.node.add_dependency(grant.policy_dependable)
            self.mappings[resource] = mapping

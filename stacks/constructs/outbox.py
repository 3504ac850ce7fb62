"""Events that are record changes (lambdas.catalog.OUTBOX): a table's stream -> an EventBridge pipe
-> the deployment's bus.

A handler's write is the event, so no event is lost once its record is written and the hot path
makes no PutEvents call. Each pipe:
- reads the stream from its oldest record (TRIM_HORIZON), so records written before the pipe ran
  are not skipped;
- keeps only the changes its filter names (filtered records are not billed);
- shapes the detail with an input template, no enrichment function, and puts it with the catalog's
  detail type and source;
- retries a failed put until the record leaves the stream (24 hours): delivery is at least once,
  and the detail's `dedup_id` is the same for every delivery of one change.
One pipe per detail type, because a pipe's detail type is fixed; a stream shard serves at most two
readers without throttling, and the tokens table has two.
"""

from __future__ import annotations

import json

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_pipes as pipes
from constructs import Construct

from lambdas import catalog
from lambdas.catalog import Resource

# What a pipe needs of a DynamoDB stream source (nothing else of the table).
STREAM_READ = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
]


def _pascal(detail_type: str) -> str:
    return "".join(word.title() for word in detail_type.split("_"))


class OutboxPipes(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        tables: dict[Resource, dynamodb.Table],
        bus: events.IEventBus,
    ) -> None:
        super().__init__(scope, construct_id)
        account = Stack.of(self).account
        self.pipes: dict[str, pipes.CfnPipe] = {}
        for event in catalog.OUTBOX:
            name = _pascal(event.detail_type)
            stream_arn = tables[event.table].table_stream_arn
            if stream_arn is None:
                raise ValueError(f"{event.table.name} carries {event.detail_type} but has no stream")
            role = iam.Role(
                self,
                f"{name}Role",
                description=f"Pipe: {event.table.name} stream -> {event.detail_type} events",
                # Only pipes of this account may take the role (no confused deputy).
                assumed_by=iam.ServicePrincipal(
                    "pipes.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": account}}
                ),
            )
            role.add_to_policy(iam.PolicyStatement(actions=STREAM_READ, resources=[stream_arn]))
            role.add_to_policy(
                iam.PolicyStatement(actions=["events:PutEvents"], resources=[bus.event_bus_arn])
            )
            pipe = pipes.CfnPipe(
                self,
                name,
                description=f"{event.detail_type}: {event.change} records of {event.table.name}",
                role_arn=role.role_arn,
                source=stream_arn,
                source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                    dynamo_db_stream_parameters=pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
                        starting_position="TRIM_HORIZON"
                    ),
                    filter_criteria=pipes.CfnPipe.FilterCriteriaProperty(
                        filters=[pipes.CfnPipe.FilterProperty(pattern=json.dumps(event.filter_pattern()))]
                    ),
                ),
                target=bus.event_bus_arn,
                target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                    input_template=event.input_template(),
                    event_bridge_event_bus_parameters=pipes.CfnPipe.PipeTargetEventBridgeEventBusParametersProperty(
                        detail_type=event.detail_type, source=catalog.EVENT_SOURCE
                    ),
                ),
            )
            # The role's policy must exist before the pipe starts reading.
            pipe.node.add_dependency(role)
            self.pipes[event.detail_type] = pipe

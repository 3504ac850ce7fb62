"""Non-HTTP triggers of catalog functions: SQS, schedules, SNS topics and custom resources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnCondition, CustomResource, Duration, Fn, RemovalPolicy
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import custom_resources as cr
from constructs import Construct

from lambdas import catalog


def queue_trigger(function: lambda_.IFunction, trigger: catalog.QueueTrigger, queue: sqs.IQueue) -> None:
    # Partial batch responses: one bad message is retried (then dead-lettered) on its own.
    function.add_event_source(
        sources.SqsEventSource(
            queue,
            batch_size=trigger.batch_size,
            max_batching_window=Duration.seconds(trigger.max_batching_window_seconds),
            report_batch_item_failures=True,
        )
    )


def schedule_trigger(
    scope: Construct,
    name: str,
    function: lambda_.IFunction,
    trigger: catalog.Schedule,
    conditions: Mapping[catalog.Setting, CfnCondition],
) -> events.Rule:
    minutes = trigger.rate_minutes
    rule = events.Rule(
        scope,
        f"{name}Schedule",
        description=f"Runs {name} every {minutes} minute(s)",
        schedule=events.Schedule.rate(Duration.minutes(minutes)),
        targets=[targets.LambdaFunction(function, retry_attempts=0)],
    )
    if trigger.enabled_by is not None:
        # The rule exists either way so a parameter update can switch it on without replacement.
        condition = conditions[trigger.enabled_by]
        cfn_rule: events.CfnRule = rule.node.default_child  # type: ignore[assignment]
        cfn_rule.state = Fn.condition_if(condition.logical_id, "ENABLED", "DISABLED").to_string()
    return rule


def topic_trigger(function: lambda_.IFunction, topic: sns.ITopic) -> None:
    function.add_event_source(sources.SnsEventSource(topic))


def custom_resource(
    scope: Construct,
    name: str,
    function: lambda_.IFunction,
    trigger: catalog.CustomResourceTrigger,
    properties: Mapping[str, Any],
) -> CustomResource:
    """The CDK provider framework turns the handler's return value ({PhysicalResourceId, Data})
    into the CloudFormation response, so the handler needs no network path to the response URL."""
    provider = cr.Provider(
        scope,
        f"{name}Provider",
        on_event_handler=function,
        log_group=logs.LogGroup(
            scope,
            f"{name}ProviderLogs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.DESTROY,
        ),
    )
    return CustomResource(
        scope,
        f"{name}Resource",
        service_token=provider.service_token,
        resource_type=trigger.resource_type,
        properties=dict(properties),
    )

"""Alarms that page someone (through one SNS topic) and a dashboard of the visitor flow."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: Mapping[str, lambda_.IFunction],
        worker: str,
        queue: sqs.IQueue,
        dead_letters: sqs.IQueue,
        public_api_name: str,
        private_api_name: str,
        outbox: str,
        outbox_failures: sqs.IQueue,
    ) -> None:
        """`outbox`: the name (in `functions`) of the function the tables' streams invoke."""
        super().__init__(scope, construct_id)
        # CloudWatch can only publish to an encrypted topic whose key lets it use the key, which
        # rules out the AWS managed aws/sns key; one customer managed key ($1/month) it is.
        # Deleted with the stack (CDK's default keeps keys, at $1 a month each, after `destroy`);
        # KMS waits the shortest window it allows before the deletion takes effect.
        key = kms.Key(
            self,
            "TopicKey",
            description="Waiting room alarm topic",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(
            self, "AlarmTopic", display_name="Waiting room alarms", master_key=key, enforce_ssl=True
        )

        def summed(namespace: str, metric_name: str, dimensions: dict[str, str]) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace=namespace,
                metric_name=metric_name,
                dimensions_map=dimensions,
                statistic="Sum",
                period=Duration.minutes(5),
            )

        def api_5xx(api_name: str) -> cloudwatch.Metric:
            return summed("AWS/ApiGateway", "5XXError", {"ApiName": api_name})

        def alarm(alarm_id: str, description: str, metric: cloudwatch.IMetric, above: int, periods: int = 1):
            """An alarm when the metric goes above `above`; no data (an idle stack) is not a breach."""
            return cloudwatch.Alarm(
                self,
                alarm_id,
                alarm_description=description,
                metric=metric,
                threshold=above,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=periods,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            )

        five_minutes = Duration.minutes(5)
        self.alarms = [
            alarm(
                "DeadLetters",
                "Entries failed five times and reached the dead-letter queue (sent back each minute)",
                # The redrive receives each dead letter within a minute, so a depth sampled once a
                # minute may never see one; only the redrive receives from this queue.
                dead_letters.metric_number_of_messages_received(period=five_minutes, statistic="Sum"),
                above=0,
            ),
            alarm(
                "EntryBacklog",
                "The oldest waiting entry is older than two minutes: the worker lags",
                queue.metric_approximate_age_of_oldest_message(period=Duration.minutes(1)),
                above=120,
                periods=3,
            ),
            alarm(
                "WorkerErrors",
                "The queue worker fails whole batches",
                functions[worker].metric_errors(period=five_minutes),
                above=0,
            ),
            alarm("PublicApi5xx", "The public API answers 5xx", api_5xx(public_api_name), above=10),
            alarm("PrivateApi5xx", "The private API answers 5xx", api_5xx(private_api_name), above=0),
            # The outbox: an invocation that raises or times out (a failed put is reported record
            # by record, no error), records waiting behind one that fails (the stream's oldest
            # unread record grows old), and records whose retries are spent (their positions wait
            # on the failure queue).
            alarm(
                "OutboxErrors",
                "The outbox function crashes or times out on a batch of stream records",
                functions[outbox].metric_errors(period=five_minutes),
                above=0,
            ),
            alarm(
                "OutboxIteratorAge",
                "Outbox events wait more than five minutes to leave: a record keeps failing",
                functions[outbox].metric("IteratorAge", statistic="Maximum", period=Duration.minutes(1)),
                above=300_000,
                periods=3,
            ),
            alarm(
                "OutboxFailures",
                "Stream records gave up reaching the bus: their positions wait on the outbox failure queue",
                outbox_failures.metric_approximate_number_of_messages_visible(period=five_minutes),
                above=0,
            ),
        ]
        for alarm in self.alarms:
            alarm.add_alarm_action(actions.SnsAction(self.topic))

        self.dashboard = cloudwatch.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        api_requests = [
            cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name="Count",
                dimensions_map={"ApiName": name},
                statistic="Sum",
                label=label,
                period=Duration.minutes(1),
            )
            for name, label in ((public_api_name, "public"), (private_api_name, "private"))
        ]
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(title="API requests per minute", left=api_requests, width=12),
            cloudwatch.GraphWidget(
                title="Entry queue",
                left=[
                    queue.metric_approximate_number_of_messages_visible(label="waiting entries"),
                    dead_letters.metric_approximate_number_of_messages_visible(label="dead letters"),
                ],
                right=[queue.metric_approximate_age_of_oldest_message(label="oldest (s)")],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Function errors",
                left=[
                    fn.metric_errors(label=name, period=Duration.minutes(1)) for name, fn in functions.items()
                ],
                width=12,
            ),
            cloudwatch.GraphWidget(
                title="Function duration p99 (ms)",
                left=[
                    fn.metric_duration(label=name, statistic="p99", period=Duration.minutes(1))
                    for name, fn in functions.items()
                ],
                width=12,
            ),
            cloudwatch.AlarmStatusWidget(title="Alarms", alarms=self.alarms, width=24),
        )

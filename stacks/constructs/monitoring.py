"""Alarms that page someone (through one SNS topic) and a dashboard of the visitor flow."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
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
    ) -> None:
        super().__init__(scope, construct_id)
        # CloudWatch can only publish to an encrypted topic whose key lets it use the key, which
        # rules out the AWS managed aws/sns key; one customer managed key ($1/month) it is.
        key = kms.Key(self, "TopicKey", description="Waiting room alarm topic", enable_key_rotation=True)
        key.grant(iam.ServicePrincipal("cloudwatch.amazonaws.com"), "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic = sns.Topic(
            self, "AlarmTopic", display_name="Waiting room alarms", master_key=key, enforce_ssl=True
        )

        def api_5xx(api_name: str) -> cloudwatch.Metric:
            return cloudwatch.Metric(
                namespace="AWS/ApiGateway",
                metric_name="5XXError",
                dimensions_map={"ApiName": api_name},
                statistic="Sum",
                period=Duration.minutes(5),
            )

        worker_fn = functions[worker]
        self.alarms = [
            cloudwatch.Alarm(
                self,
                "DeadLetters",
                alarm_description="Entries failed five times and wait in the dead-letter queue",
                metric=dead_letters.metric_approximate_number_of_messages_visible(period=Duration.minutes(5)),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.Alarm(
                self,
                "EntryBacklog",
                alarm_description="The oldest waiting entry is older than two minutes: the worker lags",
                metric=queue.metric_approximate_age_of_oldest_message(period=Duration.minutes(1)),
                threshold=120,
                evaluation_periods=3,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.Alarm(
                self,
                "WorkerErrors",
                alarm_description="The queue worker fails whole batches",
                metric=worker_fn.metric_errors(period=Duration.minutes(5)),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.Alarm(
                self,
                "PublicApi5xx",
                alarm_description="The public API answers 5xx",
                metric=api_5xx(public_api_name),
                threshold=10,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            ),
            cloudwatch.Alarm(
                self,
                "PrivateApi5xx",
                alarm_description="The private API answers 5xx",
                metric=api_5xx(private_api_name),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
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

"""Inlet strategies: move the serving counter through the private API (SigV4).

Both strategies are in the template; the `InletStrategy` parameter decides which one's resources
CloudFormation creates, so switching is a parameter update, not a new synth.
- Periodic: a schedule adds up to `IncrementBy` each minute between a start and an end time,
  skipped while a named CloudWatch alarm is in ALARM.
- MaxSize: the protected site publishes `{"exited", "completed", "abandoned"}` to an SNS topic.
The core may be in another region (`CoreApiRegion`): calls are signed for it and grants name it.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Aws, CfnCondition, CfnOutput, CfnParameter, CfnResource, Fn, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from lambdas import catalog
from lambdas.catalog import Resource, Setting
from stacks import params
from stacks.config import AppConfig
from stacks.constructs import triggers
from stacks.constructs.bindings import Bindings, alarm_grant, invoke_grant
from stacks.constructs.function import CatalogFunction
from stacks.nag import acknowledge_functions

STRATEGIES = {"PeriodicInlet": "Periodic", "MaxSizeInlet": "MaxSize"}


def apply_condition(scope: IConstruct, condition: CfnCondition) -> None:
    """Every CloudFormation resource under `scope` exists only when `condition` holds."""
    for child in scope.node.find_all():
        if CfnResource.is_cfn_resource(child):
            child.cfn_options.condition = condition  # type: ignore[attr-defined]


def private_route_arn(private_api_url: str, region: str) -> Callable[[catalog.Route], str]:
    """The invoke ARN of a private route, from the API's URL and region (no wildcard)."""
    api_id, stage = params.api_id_of(private_api_url), params.stage_of(private_api_url)
    api_arn = f"arn:{Aws.PARTITION}:execute-api:{region}:{Aws.ACCOUNT_ID}:{api_id}"

    def arn(route: catalog.Route) -> str:
        return f"{api_arn}/{stage}/{route.method}{route.arn_path}"

    return arn


class InletStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: AppConfig,
        private_api_url: str | None = None,
        event_id: str | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)  # type: ignore[arg-type]
        self.template_options.description = "Virtual waiting room: inlet strategy (Periodic or MaxSize)"
        default = str(self.node.try_get_context("inlet_strategy") or "Periodic")
        strategy = CfnParameter(
            self, "InletStrategy", type="String", allowed_values=["Periodic", "MaxSize"], default=default,
            description="Periodic: a schedule moves the counter; MaxSize: SNS messages about exits do",
        )  # fmt: skip
        private_api_url = params.given_or_url(
            self, private_api_url, "PrivateApiUrl", "The core stack's PrivateApiUrl output",
            retired="PrivateCoreApiEndpoint",
        )  # fmt: skip
        core_region = params.core_region(self, "CoreApiRegion")
        event_id = params.given_or_event_id(self, event_id)
        increment_by = CfnParameter(
            self, "IncrementBy", type="Number", default=10, min_value=1,
            description="Periodic: most positions admitted per minute",
        )  # fmt: skip
        start_time = CfnParameter(
            self, "StartTime", type="Number", default=0, min_value=0,
            description="Periodic: epoch seconds to start at (0: now)",
        )  # fmt: skip
        end_time = CfnParameter(
            self, "EndTime", type="Number", default=0, min_value=0,
            description="Periodic: epoch seconds to stop at (0: never)",
        )  # fmt: skip
        alarm_name = CfnParameter(
            self, "CloudWatchAlarmName", type="String", default="",
            description="Periodic: skip increments while this alarm is in ALARM (empty: none)",
        )  # fmt: skip
        max_size = params.aliased(
            self,
            CfnParameter(
                self, "InletMaxSize", type="Number", default=100, min_value=1,
                description="MaxSize: most visitors holding an active token at once",
            ),
            "MaxSize",
            pattern="^$|^[1-9][0-9]*$",
        )  # fmt: skip

        # With no alarm named, the grant names an alarm that is never created instead of `alarm:`.
        has_alarm = CfnCondition(
            self,
            "AlarmNamed",
            expression=Fn.condition_not(Fn.condition_equals(alarm_name.value_as_string, "")),
        )
        alarm = Fn.condition_if(has_alarm.logical_id, alarm_name.value_as_string, "no-alarm-configured")
        alarm_arn = f"arn:{Aws.PARTITION}:cloudwatch:{Aws.REGION}:{Aws.ACCOUNT_ID}:alarm:{alarm.to_string()}"
        bindings = Bindings(
            settings={
                Setting.EVENT_ID: event_id,
                Setting.INLET_INCREMENT_BY: increment_by.value_as_string,
                Setting.INLET_START_TIME: start_time.value_as_string,
                Setting.INLET_END_TIME: end_time.value_as_string,
                Setting.INLET_MAX_SIZE: max_size.value,
                Setting.CORE_API_REGION: core_region,
            },
            extra_permissions={"cloudwatch:DescribeAlarms": [alarm_arn]},
        )
        bindings.bind(
            Resource.PRIVATE_API,
            private_api_url,
            invoke_grant(private_route_arn(private_api_url, core_region)),
        )
        bindings.bind(Resource.CLOUDWATCH_ALARMS, alarm_name.value_as_string, alarm_grant(alarm_arn))

        self.functions: dict[str, CatalogFunction] = {}
        self.topics: dict[str, sns.Topic] = {}
        for entry in catalog.functions_of("inlet"):
            group = Construct(self, STRATEGIES[entry.name])
            condition = CfnCondition(
                self,
                f"{STRATEGIES[entry.name]}Chosen",
                expression=Fn.condition_equals(strategy.value_as_string, STRATEGIES[entry.name]),
            )
            built = CatalogFunction(
                group, entry, architecture=config.architecture, tracing=config.tracing, bindings=bindings
            )
            self.functions[entry.name] = built
            for trigger in entry.triggers:
                if isinstance(trigger, catalog.Schedule):
                    triggers.schedule_trigger(group, entry.name, built.function, trigger, {})
                elif isinstance(trigger, catalog.TopicTrigger):
                    topic = sns.Topic(
                        group,
                        trigger.topic,
                        display_name="Waiting room exits (MaxSize inlet)",
                        # The AWS managed key: publishers in this account need no key policy changes.
                        master_key=kms.Alias.from_alias_name(group, "SnsKey", "alias/aws/sns"),
                        enforce_ssl=True,
                    )
                    triggers.topic_trigger(built.function, topic)
                    self.topics[trigger.topic] = topic
                    for name in ("MaxSizeTopicArn", "InletTopicARN"):  # ours, the retired solution's
                        output = CfnOutput(
                            self, name, value=topic.topic_arn, description="Publish exits here"
                        )
                        output.condition = condition
                else:
                    raise TypeError(f"the inlet stack cannot wire {trigger!r}")
            apply_condition(group, condition)
        acknowledge_functions(self)

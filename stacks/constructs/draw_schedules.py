"""The draws' one-time schedules (lambdas/waiting_room/draw_schedule.py): their group, the role they
invoke the Draw function as, and what the function that writes them may do.

The group is the deployment's own, so the writer's grant covers its schedules and no other; the
role may invoke the Draw function and nothing else, and only EventBridge Scheduler acting for this
account may assume it. The writer may pass that role, to Scheduler only.
"""

from __future__ import annotations

import jsii
from aws_cdk import Aws, IStableStringProducer, Lazy, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from constructs import Construct

from lambdas.catalog import DRAW_SCHEDULE_ROLE_VARIABLE, DRAW_TARGET_VARIABLE, Access, Function

SCHEDULER = "scheduler.amazonaws.com"
# What lambdas/waiting_room/draw_schedule.py calls: it never reads a schedule back.
WRITE_ACTIONS = ("scheduler:CreateSchedule", "scheduler:UpdateSchedule", "scheduler:DeleteSchedule")


@jsii.implements(IStableStringProducer)
class _Later:
    """A value known once the Draw function exists, which is built after its writer's environment."""

    def __init__(self) -> None:
        self.value: str | None = None

    def produce(self) -> str | None:
        if self.value is None:
            raise ValueError("the draws' schedules have no target: call DrawSchedules.target()")
        return self.value


class DrawSchedules(Construct):
    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        # Deleting the stack deletes the group and every schedule left in it.
        self.group = scheduler.ScheduleGroup(self, "Group", removal_policy=RemovalPolicy.DESTROY)
        self.group_name = self.group.schedule_group_name
        self.schedules_arn = (
            f"arn:{Aws.PARTITION}:scheduler:{Aws.REGION}:{Aws.ACCOUNT_ID}:schedule/{self.group_name}/*"
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal(
                SCHEDULER, conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}
            ),
            description="EventBridge Scheduler invokes a scheduled sale's draw as this role",
        )
        self._target = _Later()

    def target(self, function: lambda_.IFunction) -> None:
        """What every schedule invokes: the Draw function, the role's only permission."""
        self._target.value = function.function_arn
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[function.function_arn])
        )

    @property
    def environment(self) -> dict[str, str]:
        """What the writer names in each schedule, beside the group."""
        return {
            DRAW_TARGET_VARIABLE: Lazy.string(self._target),
            DRAW_SCHEDULE_ROLE_VARIABLE: self.role.role_arn,
        }

    def grant(self, grantee: iam.IGrantable, access: Access, _entry: Function) -> None:
        if access != "write":
            raise ValueError(f"the draws' schedules are only written, not {access!r}")
        principal = grantee.grant_principal
        principal.add_to_principal_policy(
            iam.PolicyStatement(actions=list(WRITE_ACTIONS), resources=[self.schedules_arn])
        )
        principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["iam:PassRole"],
                resources=[self.role.role_arn],
                conditions={"StringEquals": {"iam:PassedToService": SCHEDULER}},
            )
        )

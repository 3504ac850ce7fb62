"""How a catalog entry's `uses` become an environment variable plus a least-privilege grant.

A stack registers each shared resource it owns (or imports through a parameter) once; every
function that names the resource in the catalog then gets its name/URL/ARN in the environment
variable the catalog chose and exactly the actions its access level needs, on that resource only.
Statements are written out instead of using CDK's `grant*` helpers so that no grant carries a
wildcard resource (`table/*/index/*`) that would weaken least privilege.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aws_cdk import Aws
from aws_cdk import aws_iam as iam

from lambdas.catalog import Access, Function, Resource, Route, Setting, private_calls

# What a function may do with a resource: its role, its access level, and its catalog entry.
Grant = Callable[[iam.IGrantable, Access, Function], None]

_TABLE_READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"]
_TABLE_WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
_SECRET_READ = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
_SECRET_WRITE = [*_SECRET_READ, "secretsmanager:PutSecretValue"]


def _allow(grantee: iam.IGrantable, actions: Sequence[str], resources: Sequence[str]) -> None:
    grantee.grant_principal.add_to_principal_policy(
        iam.PolicyStatement(actions=list(actions), resources=list(resources))
    )


def table_grant(table_arn: str, index_names: Sequence[str]) -> Grant:
    # Reads may go through an index; writes never do. Each index is named, not `index/*`.
    index_arns = [f"{table_arn}/index/{name}" for name in index_names]

    def grant(grantee: iam.IGrantable, access: Access, _entry: Function) -> None:
        if access in ("read", "read_write"):
            _allow(grantee, _TABLE_READ, [table_arn, *index_arns])
        if access in ("write", "read_write"):
            _allow(grantee, _TABLE_WRITE, [table_arn])
        if access not in ("read", "write", "read_write"):
            raise ValueError(f"a table cannot be used with access {access!r}")

    return grant


def secret_grant(secret_arn: str) -> Grant:
    def grant(grantee: iam.IGrantable, access: Access, _entry: Function) -> None:
        if access == "read":
            _allow(grantee, _SECRET_READ, [secret_arn])
        elif access in ("write", "read_write"):
            _allow(grantee, _SECRET_WRITE, [secret_arn])
        else:
            raise ValueError(f"a secret cannot be used with access {access!r}")

    return grant


def parameter_arn(name: str) -> str:
    """The ARN of an SSM parameter of this account and region whose name starts with `/`."""
    return f"arn:{Aws.PARTITION}:ssm:{Aws.REGION}:{Aws.ACCOUNT_ID}:parameter{name}"


def parameter_grant(parameter_arn: str) -> Grant:
    def grant(grantee: iam.IGrantable, access: Access, _entry: Function) -> None:
        if access != "read":
            raise ValueError(f"a parameter is only read, not {access!r}")
        _allow(grantee, ["ssm:GetParameter"], [parameter_arn])

    return grant


def event_bus_grant(bus_arn: str) -> Grant:
    def grant(grantee: iam.IGrantable, access: Access, _entry: Function) -> None:
        if access not in ("write", "publish", "send"):
            raise ValueError(f"an event bus is only written to, not {access!r}")
        _allow(grantee, ["events:PutEvents"], [bus_arn])

    return grant


def queue_grant(queue_arn: str) -> Grant:
    def grant(grantee: iam.IGrantable, access: Access, _entry: Function) -> None:
        if access != "send":
            raise ValueError(f"a queue is only sent to, not {access!r}")
        _allow(grantee, ["sqs:SendMessage"], [queue_arn])

    return grant


def dead_letter_grant(queue_arn: str) -> Grant:
    """read: the queue's depth; read_write: also take its messages off it (receive and delete)."""

    def grant(grantee: iam.IGrantable, access: Access, _entry: Function) -> None:
        if access == "read":
            _allow(grantee, ["sqs:GetQueueAttributes"], [queue_arn])
        elif access == "read_write":
            _allow(grantee, ["sqs:ReceiveMessage", "sqs:DeleteMessage"], [queue_arn])
        else:
            raise ValueError(f"a dead-letter queue is read or drained, not {access!r}")

    return grant


def invoke_grant(route_arn: Callable[[Route], str]) -> Grant:
    """execute-api:Invoke on the private routes the function calls (its catalog `calls`), never `*`."""

    def grant(grantee: iam.IGrantable, _access: Access, entry: Function) -> None:
        routes = private_calls(entry)
        if not routes:
            raise ValueError(f"{entry.name} uses the private API but names no route it calls")
        _allow(grantee, ["execute-api:Invoke"], [route_arn(route) for route in routes])

    return grant


def alarm_grant(alarm_arn: str) -> Grant:
    def grant(grantee: iam.IGrantable, _access: Access, _entry: Function) -> None:
        _allow(grantee, ["cloudwatch:DescribeAlarms"], [alarm_arn])

    return grant


@dataclass
class Binding:
    value: str
    grant: Grant
    # More variables the resource's users read beside its own (the draws' schedules: their target
    # and role).
    environment: dict[str, str] = field(default_factory=dict)


@dataclass
class Bindings:
    """What a stack offers its functions: resources (env value + grant) and settings (env value)."""

    resources: dict[Resource, Binding] = field(default_factory=dict)
    settings: dict[Setting, str] = field(default_factory=dict)
    # Catalog `extra_permissions` (IAM actions) -> the resources the stack scopes them to.
    extra_permissions: dict[str, list[str]] = field(default_factory=dict)

    def bind(
        self, resource: Resource, value: str, grant: Grant, environment: dict[str, str] | None = None
    ) -> None:
        self.resources[resource] = Binding(value, grant, dict(environment or {}))

    def resource(self, resource: Resource) -> Binding:
        try:
            return self.resources[resource]
        except KeyError:
            raise KeyError(f"the stack provides no {resource.name} that a function uses") from None

    def setting(self, setting: Setting) -> str:
        try:
            return self.settings[setting]
        except KeyError:
            raise KeyError(f"the stack provides no {setting.name} that a function reads") from None

    def grant_extra(self, grantee: iam.IGrantable, action: str) -> None:
        try:
            resources = self.extra_permissions[action]
        except KeyError:
            raise KeyError(f"the stack does not scope the extra permission {action}") from None
        _allow(grantee, [action], resources)

"""Creates on an AWS endpoint (a moto server) what the core stack creates on AWS.

Tables come from the wiring table's `TABLES`; the key pair is made by the same custom-resource
handler that fills the secret on AWS. The result is the environment the handlers read: one
variable per resource, named by `lambdas.catalog.Resource`.
"""

from __future__ import annotations

import contextlib
import json
import secrets as secrets_module
from collections.abc import Mapping
from typing import Any

import boto3

from lambdas.catalog import (
    DRAW_SCHEDULE_ROLE_VARIABLE,
    DRAW_TARGET_VARIABLE,
    FUNCTIONS,
    TABLES,
    Resource,
    Table,
    TopicTrigger,
    outbox_of,
)
from local.events import ACCOUNT_ID


def _create_table(dynamodb: Any, name: str, table: Table, *, streamed: bool) -> None:
    keys = [table.partition_key, *([table.sort_key] if table.sort_key else [])]
    for index in table.indexes:
        keys += [index.partition_key, *([index.sort_key] if index.sort_key else [])]
    definitions = {key.name: key.type for key in keys}

    def schema(partition: Any, sort: Any) -> list[dict[str, str]]:
        return [
            {"AttributeName": partition.name, "KeyType": "HASH"},
            *([{"AttributeName": sort.name, "KeyType": "RANGE"}] if sort else []),
        ]

    options: dict[str, Any] = {}
    if streamed:
        # Both images: an outbox event's filter may need the item before the change.
        options["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if table.indexes:
        options["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": schema(index.partition_key, index.sort_key),
                "Projection": {"ProjectionType": "ALL"},
            }
            for index in table.indexes
        ]
    try:
        dynamodb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": t} for k, t in definitions.items()],
            KeySchema=schema(table.partition_key, table.sort_key),
            **options,
        )
    except dynamodb.exceptions.ResourceInUseException:
        return
    if table.ttl_attribute:
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
        )


def _secret(secrets: Any, name: str, value: str) -> str:
    try:
        return secrets.create_secret(Name=name, SecretString=value)["ARN"]
    except secrets.exceptions.ResourceExistsException:
        return secrets.describe_secret(SecretId=name)["ARN"]


def provision(
    session: boto3.Session,
    *,
    prefix: str = "vwr",
    max_receive_count: int = 5,
    oidc_redirect_uris: tuple[str, ...] = (),
    oidc_client_secret: str = "local-client-secret",
) -> dict[str, str]:
    """Creates every core resource (idempotently) and returns the handlers' environment."""
    env: dict[str, str] = {}
    dynamodb = session.client("dynamodb")
    for resource, table in TABLES.items():
        name = f"{prefix}-{resource.name.lower().replace('_table', '')}"
        _create_table(dynamodb, name, table, streamed=bool(outbox_of(resource)))
        env[resource.value] = name

    sqs = session.client("sqs")
    dlq_url = sqs.create_queue(QueueName=f"{prefix}-entry-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    env[Resource.ENTRY_QUEUE.value] = sqs.create_queue(
        QueueName=f"{prefix}-entry",
        Attributes={
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count}
            )
        },
    )["QueueUrl"]
    env[Resource.ENTRY_DEAD_LETTERS.value] = dlq_url

    bus = f"{prefix}-events"
    events = session.client("events")
    with contextlib.suppress(events.exceptions.ResourceAlreadyExistsException):
        events.create_event_bus(Name=bus)
    env[Resource.EVENT_BUS.value] = bus

    env.update(provision_draw_schedules(session, prefix=prefix))

    secrets = session.client("secretsmanager")
    env[Resource.JWT_KEYS_SECRET.value] = _secret(secrets, f"{prefix}-jwt-keys", "{}")
    # As the core stack generates it: a random key under kid "k1".
    edge_key = {"kid": "k1", "secret": secrets_module.token_urlsafe(36)}
    env[Resource.EDGE_KEYS_SECRET.value] = _secret(secrets, f"{prefix}-edge-keys", json.dumps(edge_key))
    # What Secrets Manager's generated string is on AWS: random, made once, kept across restarts.
    env[Resource.POW_KEY_SECRET.value] = _secret(secrets, f"{prefix}-pow-key", secrets_module.token_hex(32))
    # Written by `publish_public_key` once the key pair exists, as the stack does.
    env[Resource.JWT_PUBLIC_KEY.value] = f"/{prefix}/jwt-public-key"
    env[Resource.OIDC_CLIENT_SECRET.value] = _secret(
        secrets,
        f"{prefix}-oidc-client",
        json.dumps({"client_secret": oidc_client_secret, "redirect_uris": list(oidc_redirect_uris)}),
    )
    return env


def provision_draw_schedules(session: boto3.Session, *, prefix: str = "vwr") -> dict[str, str]:
    """The draws' schedule group, and what their schedules name: the Draw function (as the local
    runtime names functions) and the role they would run as (moto stores it, nothing assumes it)."""
    group = f"{prefix}-draws"
    scheduler = session.client("scheduler")
    # Looked up first: moto's CreateScheduleGroup would replace a group (and its schedules).
    try:
        scheduler.get_schedule_group(Name=group)
    except scheduler.exceptions.ResourceNotFoundException:
        scheduler.create_schedule_group(Name=group)
    return {
        Resource.DRAW_SCHEDULES.value: group,
        DRAW_TARGET_VARIABLE: f"arn:aws:lambda:{session.region_name}:{ACCOUNT_ID}:function:Draw",
        DRAW_SCHEDULE_ROLE_VARIABLE: f"arn:aws:iam::{ACCOUNT_ID}:role/{prefix}-draw-schedules",
    }


def publish_public_key(ssm: Any, env: Mapping[str, str], generated: Mapping[str, Any]) -> None:
    """What the core stack does with the GenerateKeys answer: the public JWK in its own parameter."""
    ssm.put_parameter(
        Name=env[Resource.JWT_PUBLIC_KEY.value],
        Value=generated["Data"]["PublicJwk"],
        Type="String",
        Overwrite=True,
    )


def generate_keys(env: dict[str, str], session: boto3.Session) -> None:
    """Fills the JWT key secret through the GenerateKeys custom-resource handler, as on AWS."""
    from lambdas.custom_resources import generate_keys_handler

    generated = generate_keys_handler(
        {
            "RequestType": "Create",
            "ResourceProperties": {"SecretId": env[Resource.JWT_KEYS_SECRET.value]},
        },
        None,
    )
    publish_public_key(session.client("ssm"), env, generated)


def provision_topics(session: boto3.Session, *, prefix: str = "vwr") -> dict[str, str]:
    """Creates the SNS topics that trigger functions (the MaxSize inlet's); topic name -> ARN."""
    sns = session.client("sns")
    names = {t.topic for f in FUNCTIONS for t in f.triggers if isinstance(t, TopicTrigger)}
    # CreateTopic is idempotent: the same name gives back the same ARN.
    return {name: sns.create_topic(Name=f"{prefix}-{name}")["TopicArn"] for name in sorted(names)}

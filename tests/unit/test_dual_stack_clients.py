"""Functions in the VPC reach EventBridge and SQS on their dual-stack endpoints (IPv6 through the
egress-only gateway), and everything else on the usual ones (DynamoDB: the gateway endpoint)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lambdas.waiting_room import aws


@pytest.fixture(autouse=True)
def fresh_clients(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_EVENTS",
        "AWS_ENDPOINT_URL_SQS",
        "AWS_USE_DUALSTACK_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    aws.client.cache_clear()
    yield
    aws.client.cache_clear()


def test_the_named_services_use_their_dual_stack_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(aws.DUAL_STACK_SERVICES_VARIABLE, "events,sqs")
    assert aws.client("events").meta.endpoint_url == "https://events.eu-west-1.api.aws"
    assert aws.client("sqs").meta.endpoint_url == "https://sqs.eu-west-1.api.aws"
    # Secrets Manager's regional endpoint is dual-stack under its usual name; DynamoDB keeps the
    # gateway endpoint.
    assert aws.client("secretsmanager").meta.endpoint_url == "https://secretsmanager.eu-west-1.amazonaws.com"
    assert aws.client("dynamodb").meta.endpoint_url == "https://dynamodb.eu-west-1.amazonaws.com"


def test_without_the_setting_every_service_uses_its_usual_endpoint() -> None:
    # Private endpoints (PrivateEndpoints=true), functions outside the VPC, the local runtime.
    assert aws.client("events").meta.endpoint_url == "https://events.eu-west-1.amazonaws.com"

"""The local runtime's fixes to moto (local/moto_tuning.py) keep moto's behaviour and drop its cost."""

from __future__ import annotations

import copy

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.table import Table

from local.moto_tuning import serialize_dynamodb_writes


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch):
    # moto's in-memory backend, not a server that another test may have pointed boto3 at.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    serialize_dynamodb_writes()
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="places",
            KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield client


def _put(key: str, **condition: str) -> dict:
    return {"Put": {"TableName": "places", "Item": {"key": {"S": key}}, **condition}}


def test_a_transaction_copies_each_table_once_not_once_per_item(dynamodb, monkeypatch) -> None:
    """The queue worker writes 100 items a transaction: 100 copies of a growing table made a
    burst's cost grow with the square of its visitors."""
    tables_copied = []
    deepcopy = copy.deepcopy

    def counting(value, *args):
        if isinstance(value, Table):
            tables_copied.append(value.name)
        return deepcopy(value, *args)

    monkeypatch.setattr(copy, "deepcopy", counting)
    dynamodb.transact_write_items(TransactItems=[_put(f"k{i}") for i in range(100)])
    assert tables_copied == ["places"]
    assert dynamodb.scan(TableName="places", Select="COUNT")["Count"] == 100


def test_a_failed_transaction_is_still_undone_whole(dynamodb) -> None:
    dynamodb.put_item(TableName="places", Item={"key": {"S": "taken"}})
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(
            TransactItems=[
                _put("new"),
                _put(
                    "taken",
                    ConditionExpression="attribute_not_exists(#k)",
                    ExpressionAttributeNames={"#k": "key"},
                ),
            ]
        )
    keys = {item["key"]["S"] for item in dynamodb.scan(TableName="places")["Items"]}
    assert keys == {"taken"}

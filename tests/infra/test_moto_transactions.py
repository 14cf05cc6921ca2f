"""The emulator's transactions (infra/moto_atomic.py): all or nothing, at a cost that does not
grow with the table. Checked on raw boto3 calls so nothing of KeyLedger is involved."""

from __future__ import annotations

import time

import boto3
import pytest
from moto import mock_aws


@pytest.fixture
def ddb():
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                       {"AttributeName": "sk", "KeyType": "RANGE"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                                  {"AttributeName": "sk", "AttributeType": "S"}])
        client.put_item(TableName="t", Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "n": {"N": "5"}})
        yield client


def _key(pk: str, sk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _items(client) -> list[dict]:
    return sorted(client.scan(TableName="t")["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def test_a_cancelled_transaction_leaves_every_item_as_it_was(ddb):
    before = _items(ddb)
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(TransactItems=[
            {"Update": {"TableName": "t", "Key": _key("a", "1"), "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"Put": {"TableName": "t", "Item": {**_key("b", "new"), "n": {"N": "1"}}}},
            {"ConditionCheck": {"TableName": "t", "Key": _key("z", "none"),
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    assert _items(ddb) == before  # the update undone, the put removed


def test_a_cancelled_transaction_restores_a_deleted_item(ddb):
    before = _items(ddb)
    with pytest.raises(ddb.exceptions.TransactionCanceledException):
        ddb.transact_write_items(TransactItems=[
            {"Delete": {"TableName": "t", "Key": _key("a", "1")}},
            {"ConditionCheck": {"TableName": "t", "Key": _key("z", "none"),
                                "ConditionExpression": "attribute_exists(pk)"}},
        ])
    assert _items(ddb) == before


def test_a_committed_transaction_writes_every_item(ddb):
    ddb.transact_write_items(TransactItems=[
        {"Update": {"TableName": "t", "Key": _key("a", "1"), "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Put": {"TableName": "t", "Item": {**_key("b", "new"), "n": {"N": "1"}}}},
    ])
    assert [(i["pk"]["S"], i["n"]["N"]) for i in _items(ddb)] == [("a", "6"), ("b", "1")]


def test_a_transaction_does_not_cost_more_on_a_big_table(ddb):
    def txn_seconds() -> float:
        started = time.perf_counter()
        for i in range(20):
            ddb.transact_write_items(TransactItems=[
                {"Update": {"TableName": "t", "Key": _key("a", "1"), "UpdateExpression": "SET n = n + :one",
                            "ExpressionAttributeValues": {":one": {"N": "1"}}}},
                {"Put": {"TableName": "t", "Item": {**_key("log", f"{time.perf_counter_ns()}-{i}")}}},
            ])
        return time.perf_counter() - started

    small = min(txn_seconds() for _ in range(3))
    for i in range(5000):  # a table the size a few hours of `make run` reach
        ddb.put_item(TableName="t", Item={**_key("bulk", f"{i:05d}"), "text": {"S": "x" * 200}})
    big = min(txn_seconds() for _ in range(3))
    # Copying 5,000 items per transaction item made this ~100x slower; item backups keep it flat.
    assert big < small * 3, (small, big)

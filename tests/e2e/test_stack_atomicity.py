"""The local stack's DynamoDB (moto server) applies each transaction atomically, as DynamoDB
does: 16 threads racing reservation-shaped transactions guarded by `n < LIMIT` stop exactly at
LIMIT, with every part of each winner written and nothing of a loser.
(Without it, moto could pass one condition twice: the load test found holds left on a balance.)"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.e2e
TABLE = "e2e-atomic-probe"
LIMIT = 40


def test_racing_conditional_updates_stop_exactly_at_the_limit(local_stack):
    ddb = boto3.client("dynamodb", endpoint_url=local_stack.dynamodb_url, region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    if TABLE not in ddb.list_tables()["TableNames"]:
        ddb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "counter"}, "n": {"N": "0"}})

    ddb.put_item(TableName=TABLE, Item={"pk": {"S": "mirror"}, "n": {"N": "0"}})

    def bump(i: int) -> bool:
        """One transaction shaped like a reservation: a guarded counter, a mirror, a new item."""
        client = boto3.client("dynamodb", endpoint_url=local_stack.dynamodb_url, region_name="us-east-1",
                              aws_access_key_id="local", aws_secret_access_key="local")
        add = {"UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}
        try:
            client.transact_write_items(TransactItems=[
                {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "counter"}}, **add,
                            "ConditionExpression": "n < :limit",
                            "ExpressionAttributeValues": {":one": {"N": "1"}, ":limit": {"N": str(LIMIT)}}}},
                {"Update": {"TableName": TABLE, "Key": {"pk": {"S": "mirror"}}, **add}},
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": f"hold-{i}"}}}},
            ])
            return True
        except ClientError as exc:
            assert exc.response["Error"]["Code"] in ("TransactionCanceledException",)
            return False

    with ThreadPoolExecutor(16) as pool:
        won = sum(pool.map(bump, range(3 * LIMIT)))
    def n(pk: str) -> int:
        return int(ddb.get_item(TableName=TABLE, Key={"pk": {"S": pk}}, ConsistentRead=True)["Item"]["n"]["N"])

    holds = sum(1 for i in range(3 * LIMIT)
                if "Item" in ddb.get_item(TableName=TABLE, Key={"pk": {"S": f"hold-{i}"}}))
    assert (won, n("counter"), n("mirror"), holds) == (LIMIT,) * 4

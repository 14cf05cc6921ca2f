"""The local stack's own DynamoDB calls are answered by moto in the calling thread
(infra/localstack/moto_inprocess.py): no request reaches the HTTP server, and botocore gets
moto's answers as over HTTP (items, conditional failures, transaction cancellations)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.localstack.moto_http import MotoHttpServer
from infra.localstack.moto_inprocess import serve_in_process, stop_serving
from infra.localstack.moto_state import emulator_backend
from infra.moto_atomic import make_moto_dynamodb_atomic
from tests.support.emulator import TABLE, create_probe_table


def _key(sk: str) -> dict[str, Any]:
    return {"pk": {"S": "u1"}, "sk": {"S": sk}}


def test_calls_skip_the_http_server_and_get_moto_answers_until_serving_stops() -> None:
    make_moto_dynamodb_atomic()
    emulator_backend().reset()
    server = MotoHttpServer()
    url = server.start()
    over_http: list[str] = []
    app = server.app

    def counting(environ: dict[str, Any], start_response: Any) -> Any:
        over_http.append(environ.get("HTTP_X_AMZ_TARGET", ""))
        return app(environ, start_response)

    server.app = counting
    serve_in_process(url)
    try:
        # A new session: the handler is added to sessions made after serve_in_process (as the
        # stack's are); boto3's default one may be older in a test process.
        ddb = boto3.session.Session().client("dynamodb", endpoint_url=url, region_name="us-east-1",
                                             aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106
        create_probe_table(ddb)
        ddb.put_item(TableName=TABLE, Item={**_key("BALANCE"), "n": {"N": "1"}})
        with pytest.raises(ClientError) as failed:
            ddb.put_item(TableName=TABLE, Item=_key("BALANCE"), ConditionExpression="attribute_not_exists(pk)")
        assert failed.value.response["Error"]["Code"] == "ConditionalCheckFailedException"
        with pytest.raises(ClientError) as cancelled:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": TABLE, "Item": _key("HOLD#1")}},
                {"ConditionCheck": {"TableName": TABLE, "Key": _key("BALANCE"), "ConditionExpression": "n > :ten",
                                    "ExpressionAttributeValues": {":ten": {"N": "10"}}}},
            ])
        reasons = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
        assert reasons == ["None", "ConditionalCheckFailed"]
        assert ddb.get_item(TableName=TABLE, Key=_key("BALANCE"), ConsistentRead=True)["Item"]["n"] == {"N": "1"}
        assert "Item" not in ddb.get_item(TableName=TABLE, Key=_key("HOLD#1"), ConsistentRead=True)
        assert over_http == []

        stop_serving(url)
        assert ddb.get_item(TableName=TABLE, Key=_key("BALANCE"), ConsistentRead=True)["Item"]["n"] == {"N": "1"}
        assert over_http == ["DynamoDB_20120810.GetItem"]
    finally:
        stop_serving(url)
        server.stop()
        emulator_backend().reset()

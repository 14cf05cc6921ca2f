"""moto's DynamoDB on the local stack's keep-alive HTTP server, in this process, with the
emulator's locks (infra/moto_atomic.py): for tests of the journal and of concurrency."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3

from infra.localstack.moto_http import MotoHttpServer
from infra.localstack.moto_state import emulator_backend
from infra.moto_atomic import set_write_observer

TABLE = "kl-emulator-probe"


def client(url: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")  # noqa: S106 - moto only


def create_probe_table(ddb: Any) -> None:
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"},
                                {"AttributeName": "sk", "KeyType": "RANGE"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                           {"AttributeName": "sk", "AttributeType": "S"}])


def items(ddb: Any) -> list[dict[str, Any]]:
    found = ddb.scan(TableName=TABLE, ConsistentRead=True)["Items"]
    return sorted(found, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


@contextmanager
def fresh_emulator() -> Iterator[str]:
    """A fresh emulator's URL (moto's state is process-wide: reset before and after)."""
    emulator_backend().reset()
    server = MotoHttpServer()
    url = server.start()
    try:
        yield url
    finally:
        set_write_observer(None)
        server.stop()
        emulator_backend().reset()

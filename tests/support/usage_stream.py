"""Tests' one way to let the usage rollups catch up: drain the usage table's stream.

On AWS a Lambda on the usage table's stream adds new request records to the rollups
(`usage/rollups.py`); the local stack polls moto's stream. A test that reads statistics or the
overview after proxied requests calls `drain_usage_stream()` first: it reads the stream's new
records with the local stack's reader and invokes the `roll_up_usage` function with them through
chalice.test's Lambda client, so its AWS calls are recorded for the IAM test like a deployed
invocation's.
"""

from __future__ import annotations

from typing import Any

from infra.localstack.usage_stream import StreamTail

_tails: dict[str, StreamTail] = {}


def _tail() -> StreamTail:
    from chalicelib.usage.store import UsageRecordItem

    client = UsageRecordItem._get_connection().connection.client
    table = UsageRecordItem.Meta.table_name
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    if arn not in _tails:  # a new table (each test's moto): read its stream from the start
        _tails.clear()
        _tails[arn] = StreamTail(client, table, from_start=True)
    return _tails[arn]


def drain_usage_stream() -> int:
    """Hand every usage record written since the last drain to the stream function; returns
    how many requests it newly counted."""
    from app import app
    from chalice.test import Client

    records = _tail().read()
    if not records:
        return 0
    with Client(app) as client:
        result: Any = client.lambda_.invoke("roll_up_usage", {"Records": records})
    return int(result.payload["rolled_up"])

"""Helpers for the ledger area's tests: the catalog table (declared by the catalog area's
model, absent until that branch is merged), paid requests, quick accounts."""

from __future__ import annotations

from typing import Any

from chalicelib.kernel.ids import new_id
from chalicelib.ledger.codes_store import CodeItem
from chalicelib.metering.types import RecordFields
from chalicelib.store.base import all_models

from tests.support.metering import ensure_keys_table, make_key, make_route, usage_of
from tests.support.usage_stream import drain_usage_stream


def ensure_catalog_table() -> None:
    """Create the catalog table (pk/sk + gsi1) if no model of the catalog area declares it."""
    if any(m.table == "catalog" and m.creates_table for m in all_models()):
        return
    client = CodeItem._get_connection().connection.client
    if CodeItem.Meta.table_name in client.list_tables()["TableNames"]:
        return
    keys = ("pk", "sk", "gsi1pk", "gsi1sk")
    client.create_table(
        TableName=CodeItem.Meta.table_name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in keys],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        GlobalSecondaryIndexes=[{
            "IndexName": "gsi1", "Projection": {"ProjectionType": "ALL"},
            "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                          {"AttributeName": "gsi1sk", "KeyType": "RANGE"}]}],
    )


def ensure_tables() -> None:
    ensure_catalog_table()
    ensure_keys_table()


def paid_request(container: Any, user_id: str, *, model: str = "gpt-test", provider: str = "p1",
                 quota_id: str = "q1", input_tokens: int = 100, output_tokens: int = 200,
                 request_id: str | None = None) -> str:
    """Reserve and settle one request through metering (record, charge entry), then let the
    usage stream add it to the rollups, as the deployed stream function would."""
    key = make_key(user_id, quota_id=quota_id)
    route = make_route(model)
    now = container.clock.now()
    rid = request_id or new_id(now)
    hold = container.metering.reserve(key, route, input_tokens, output_tokens, rid, now, ip="198.51.100.4")
    container.metering.settle(hold, usage_of(input_tokens, output_tokens), RecordFields(provider=provider,
                                                                                        latency_ms=321))
    drain_usage_stream()
    return rid

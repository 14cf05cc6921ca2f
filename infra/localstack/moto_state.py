"""The emulator's tables read and written in process, for the snapshot and the journal.

Loading and dumping go straight to moto's in-memory tables instead of through its HTTP API:
a 100x data folder loads in seconds, and loaded items add no stream records (the usage-stream
processor must not see the whole history again on every start).
"""

from __future__ import annotations

from typing import Any

from infra.moto_locks import Key

from .snapshot import FORMAT, VERSION, decode_value, encode_value

REGION = "us-east-1"


def emulator_backend() -> Any:
    """moto's DynamoDB backend that the local stack's server uses (default account, us-east-1)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][REGION]


def _schema(table: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"KeySchema": table.schema, "AttributeDefinitions": table.attr}
    gsis = [{k: g.describe()[k] for k in ("IndexName", "KeySchema", "Projection")} for g in table.global_indexes]
    if gsis:
        schema["GlobalSecondaryIndexes"] = gsis
    lsis = [{k: i.describe()[k] for k in ("IndexName", "KeySchema", "Projection")} for i in table.indexes]
    if lsis:
        schema["LocalSecondaryIndexes"] = lsis
    if table.ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and table.ttl.get("AttributeName"):
        schema["TtlAttribute"] = table.ttl["AttributeName"]
    if table.stream_specification and table.stream_specification.get("StreamEnabled"):
        schema["StreamSpecification"] = dict(table.stream_specification)
    return schema


def encode_item(item: Any) -> dict[str, Any]:
    return {k: encode_value(v) for k, v in item.to_json()["Attributes"].items()}


def dump_backend(backend: Any, generation: int) -> dict[str, Any]:
    """Every table's schema and items, as a JSON-safe snapshot document. The caller holds the
    emulator's exclusive lock (or nothing else runs)."""
    tables = {
        name: {"schema": _schema(table), "items": [encode_item(item) for item in table.all_items()]}
        for name, table in list(backend.tables.items())
    }
    return {"format": FORMAT, "version": VERSION, "generation": generation, "tables": tables}


def _keys(table: Any, attrs: dict[str, Any]) -> tuple[Any, Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    h = DynamoType(attrs[table.hash_key_attr])
    r = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
    return h, r


def put_item(table: Any, attrs: dict[str, Any]) -> None:
    """Store an item as moto's PutItem would, without conditions or a stream record."""
    from moto.dynamodb.models.dynamo_type import Item

    h, r = _keys(table, attrs)
    if r is None:
        table.items[h] = Item(h, None, attrs)
    else:
        table.items[h][r] = Item(h, r, attrs)


def delete_item(table: Any, key: dict[str, Any]) -> None:
    h, r = _keys(table, key)
    if r is None:
        table.items.pop(h, None)
    else:
        table.items.get(h, {}).pop(r, None)


def write_record(backend: Any, keys: list[Key]) -> list[list[Any]]:
    """The journal entries for the items a request wrote: each one's state now (after-images,
    so replaying a record twice changes nothing). The caller holds their locks."""
    entries: list[list[Any]] = []
    for key in keys:
        table = backend.tables.get(key.table)
        if table is None or not key.writes:
            continue
        h, r = _keys(table, key.key)
        item = table.get_item(h, r)
        if item is None:
            entries.append([key.table, "del", {k: encode_value(v) for k, v in key.key.items()}])
        else:
            entries.append([key.table, "put", encode_item(item)])
    return entries


def apply_entries(backend: Any, entries: list[Any]) -> int:
    """Replay journal entries; entries of a table that no longer exists are skipped. Returns
    how many were applied. Raises ValueError on a malformed entry."""
    applied = 0
    for entry in entries:
        table_name, kind, attrs = entry
        table = backend.tables.get(table_name)
        if table is None:
            continue
        decoded = {str(k): decode_value(v) for k, v in attrs.items()}
        if kind == "put":
            put_item(table, decoded)
        elif kind == "del":
            delete_item(table, decoded)
        else:
            raise ValueError(f"unknown journal entry kind {kind!r}")
        applied += 1
    return applied


def load_items(backend: Any, tables: dict[str, dict[str, Any]]) -> int:
    """Put a parsed snapshot's items into tables that exist; returns the item count."""
    count = 0
    for name, table in tables.items():
        target = backend.tables[name]
        for attrs in table["items"]:
            put_item(target, attrs)
        count += len(table["items"])
    return count

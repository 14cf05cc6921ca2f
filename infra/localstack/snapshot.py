"""The snapshot file: every DynamoDB table (schema and items) as JSON, and back.

Items are DynamoDB's typed JSON as boto3's low-level client returns it, with binary values
(`B`, `BS`) as base64 text, so every attribute type survives the round trip exactly. Table
schemas are kept too, so a table that no model creates any more is still restored. The
snapshot is the journal's base (journal.py): `generation` says which journal continues it.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .files import set_aside, write_atomic

log = logging.getLogger("local.snapshot")
FORMAT = "keyledger-local-snapshot"
VERSION = 1


class SnapshotError(ValueError):
    """The snapshot file is not one we wrote."""


def encode_value(value: dict[str, Any]) -> dict[str, Any]:
    """One typed attribute value (boto3 client form) to JSON-safe form."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode("ascii") for b in inner]}
    if kind == "L":
        return {"L": [encode_value(v) for v in inner]}
    if kind == "M":
        return {"M": {k: encode_value(v) for k, v in inner.items()}}
    return {kind: inner}


def decode_value(value: Any) -> dict[str, Any]:
    """The inverse of `encode_value`; raises SnapshotError on anything malformed."""
    if not isinstance(value, dict) or len(value) != 1:
        raise SnapshotError(f"not a typed attribute value: {value!r:.80}")
    ((kind, inner),) = value.items()
    try:
        if kind == "B":
            return {"B": base64.b64decode(inner, validate=True)}
        if kind == "BS":
            return {"BS": [base64.b64decode(b, validate=True) for b in inner]}
        if kind == "L":
            return {"L": [decode_value(v) for v in inner]}
        if kind == "M":
            return {"M": {str(k): decode_value(v) for k, v in inner.items()}}
    except (ValueError, TypeError, AttributeError) as exc:
        raise SnapshotError(f"bad {kind} value: {exc}") from exc
    if kind in ("S", "N") and isinstance(inner, str):
        return {kind: inner}
    if kind in ("SS", "NS") and isinstance(inner, list) and all(isinstance(s, str) for s in inner):
        return {kind: list(inner)}
    if kind == "BOOL" and isinstance(inner, bool):
        return {kind: inner}
    if kind == "NULL" and inner is True:
        return {kind: True}
    raise SnapshotError(f"unknown or malformed attribute type {kind!r}")


def table_names(client: Any) -> Iterator[str]:
    for page in client.get_paginator("list_tables").paginate():
        yield from page["TableNames"]


def parse_snapshot(doc: Any) -> dict[str, dict[str, Any]]:
    """Validate a whole snapshot before anything is written: `{table: {schema, items}}` with
    items decoded to boto3 form. Raises SnapshotError."""
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or doc.get("version") != VERSION:
        raise SnapshotError("missing or unknown format/version header")
    tables = doc.get("tables")
    if not isinstance(tables, dict):
        raise SnapshotError("'tables' is not an object")
    parsed: dict[str, dict[str, Any]] = {}
    for name, table in tables.items():
        if not isinstance(table, dict) or not isinstance(table.get("items"), list):
            raise SnapshotError(f"table {name!r} has no item list")
        schema = table.get("schema")
        if not isinstance(schema, dict) or "KeySchema" not in schema or "AttributeDefinitions" not in schema:
            raise SnapshotError(f"table {name!r} has no schema")
        items = []
        for item in table["items"]:
            if not isinstance(item, dict):
                raise SnapshotError(f"table {name!r} holds a non-object item")
            items.append({str(k): decode_value(v) for k, v in item.items()})
        parsed[name] = {"schema": schema, "items": items}
    return parsed


def create_table(client: Any, name: str, schema: dict[str, Any]) -> None:
    """Create a table from a snapshot's schema (indexes, TTL and stream included)."""
    params: dict[str, Any] = {
        "TableName": name,
        "KeySchema": schema["KeySchema"],
        "AttributeDefinitions": schema["AttributeDefinitions"],
        "BillingMode": "PAY_PER_REQUEST",
    }
    for index in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes", "StreamSpecification"):
        if schema.get(index):
            params[index] = schema[index]
    client.create_table(**params)
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 50})
    if schema.get("TtlAttribute"):
        client.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": schema["TtlAttribute"]}
        )


def write_snapshot(path: Path, doc: dict[str, Any]) -> None:
    """Write a dump atomically (temp file + fsync + rename)."""
    write_atomic(path, json.dumps(doc, separators=(",", ":"), sort_keys=True).encode("utf-8"))


def read_snapshot(path: Path) -> tuple[dict[str, dict[str, Any]] | None, int]:
    """The parsed snapshot and its journal generation; (None, 0) when there is none or it is
    unusable (then the bad file is kept aside with a clear warning and the stack starts empty).
    Snapshots written before the journal have no generation: 0."""
    if not path.exists():
        log.info("no snapshot at %s yet: starting with empty tables", path)
        return None, 0
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        tables = parse_snapshot(doc)
        generation = doc.get("generation", 0)
        if not isinstance(generation, int) or generation < 0:
            raise SnapshotError(f"bad generation {generation!r}")
        return tables, generation
    except (OSError, ValueError) as exc:  # SnapshotError and JSONDecodeError are ValueErrors
        kept = set_aside(path, "corrupt")
        log.warning("WARNING: snapshot %s could not be read (%s); kept it as %s and started with EMPTY tables",
                    path, exc, kept.name)
        return None, 0

"""DynamoDB calls and estimated request units per proxied request, from botocore events.

Calls are counted exactly (`before-call` on every table model's client). Units are ESTIMATED:
moto reports made-up ConsumedCapacity, so units follow DynamoDB's on-demand rules from item
sizes: reads ceil(size/4 KB) (x0.5 eventually consistent), writes ceil(size/1 KB), both x2 in
transactions; an updated item is measured after the write (read back outside the count), a
delete or condition check counts one unit (x2 in a transaction). Item size = attribute names
+ values, as DynamoDB computes it (numbers approximated).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any


def item_size(item: dict[str, Any]) -> int:
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, v), = value.items()
    if kind == "S":
        return len(v.encode())
    if kind == "N":
        return math.ceil(len(v.lstrip("-").replace(".", "")) / 2) + 1
    if kind == "B":
        return len(v) * 3 // 4
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: x}) for x in v)
    if kind == "L":
        return 3 + sum(1 + _value_size(x) for x in v)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + _value_size(x) for k, x in v.items())
    return 0


def _read_units(size: int, consistent: bool) -> float:
    return max(1, math.ceil(size / 4096)) * (1.0 if consistent else 0.5)


def _write_units(size: int) -> float:
    return float(max(1, math.ceil(size / 1024)))


class DynamoMeter:
    """`units=False` only counts calls: the unit estimate reads updated items back, which would
    add calls and time to a latency measurement."""

    def __init__(self, units: bool = True) -> None:
        self.units = units
        self.calls: Counter[str] = Counter()
        self.rru = 0.0
        self.wru = 0.0
        self._clients: list[Any] = []
        self._raw: Any = None

    def attach(self) -> DynamoMeter:
        from chalicelib.store.base import table_clients

        self._clients = table_clients()
        for client in self._clients:
            client.meta.events.register("before-call.dynamodb", self._before)
            client.meta.events.register("after-call.dynamodb", self._after)
        if self._raw is None and self._clients:  # a hook-free client for reading sizes back
            import boto3

            first = self._clients[0]
            self._raw = boto3.client("dynamodb", endpoint_url=first.meta.endpoint_url,
                                     region_name=first.meta.region_name)
        return self

    def detach(self) -> None:
        for client in self._clients:
            client.meta.events.unregister("before-call.dynamodb", self._before)
            client.meta.events.unregister("after-call.dynamodb", self._after)
        self._clients.clear()

    def reset(self) -> None:
        self.calls.clear()
        self.rru = self.wru = 0.0

    def _before(self, model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        self.calls[model.name] += 1
        body = params.get("body") or b"{}"
        context["bench_params"] = json.loads(body) if isinstance(body, bytes | str) else dict(body)

    def _after(self, model: Any, parsed: dict[str, Any], context: dict[str, Any], http_response: Any,
               **_: Any) -> None:
        if http_response.status_code >= 300 or not self.units:
            return
        p = context.get("bench_params", {})
        op = model.name
        if op == "GetItem":
            self.rru += _read_units(item_size(parsed.get("Item", {})), p.get("ConsistentRead", False))
        elif op == "BatchGetItem":
            for table, items in parsed.get("Responses", {}).items():
                consistent = p.get("RequestItems", {}).get(table, {}).get("ConsistentRead", False)
                self.rru += sum(_read_units(item_size(i), consistent) for i in items) or 0.5
        elif op in ("Query", "Scan"):
            self.rru += _read_units(sum(item_size(i) for i in parsed.get("Items", [])), p.get("ConsistentRead", False))
        elif op == "PutItem":
            self.wru += _write_units(item_size(p["Item"]))
        elif op == "UpdateItem":
            self.wru += _write_units(self._size_now(p["TableName"], p["Key"]))
        elif op == "DeleteItem":
            self.wru += 1
        elif op == "TransactWriteItems":
            for entry in p.get("TransactItems", []):
                (kind, spec), = entry.items()
                if kind == "Put":
                    self.wru += 2 * _write_units(item_size(spec["Item"]))
                elif kind == "Update":
                    self.wru += 2 * _write_units(self._size_now(spec["TableName"], spec["Key"]))
                else:  # Delete, ConditionCheck
                    self.wru += 2
        elif op == "TransactGetItems":
            for item in parsed.get("Responses", []):
                self.rru += 2 * _read_units(item_size(item.get("Item", {})), True)

    def _size_now(self, table: str, key: dict[str, Any]) -> int:
        item = self._raw.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item", {})
        return item_size(item)

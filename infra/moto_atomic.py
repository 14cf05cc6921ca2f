"""Make moto's DynamoDB behave like DynamoDB under concurrent requests, at a bounded cost.

1. Atomic: real DynamoDB applies each conditional write and each transaction atomically. moto
   evaluates a condition and then writes in plain Python, so two threads can both pass the same
   condition. Our concurrency tests and the local stack would then show overspends that
   DynamoDB itself never allows. One lock around moto's DynamoDB handler restores the real
   semantics for the emulator.
2. Transactions in O(items): moto backs up a transaction by deep-copying every table it names,
   once per item, so each settle copied the whole usage and ledger tables and the local stack
   slowed down as its data grew (a 2,000-request load run timed out). Under the lock, the items
   a transaction names are the only ones it can change: they are backed up and restored
   instead, and moto's whole-table copy becomes a no-op.

Neither changes anything in KeyLedger's own code.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_lock = threading.RLock()
_installed = False


def make_moto_dynamodb_atomic() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with _lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _back_up_transactions_by_item()
    _installed = True


def _back_up_transactions_by_item() -> None:
    import moto.dynamodb.models as models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    class CopyWithoutTables:
        """moto's `copy` module, except that a whole Table is not copied (see 2. above)."""

        @staticmethod
        def deepcopy(value: Any, memo: Any = None) -> Any:
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

        def __getattr__(self, name: str) -> Any:
            return getattr(copy, name)

    models.copy = CopyWithoutTables()  # type: ignore[assignment]
    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = [(table, h, r, copy.deepcopy(table.get_item(h, r))) for table, h, r in _named(self, transact_items)]
        try:
            original(self, transact_items)
        except Exception:
            for table, h, r, item in reversed(saved):
                _restore(table, h, r, item)
            raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _named(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any]]:
    """(table, hash key, range key) of each item a transaction names; malformed entries are
    left to moto, which refuses them before writing anything."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    found = []
    for entry in transact_items:
        op = next(iter(entry.values()), None) if isinstance(entry, dict) else None
        if not isinstance(op, dict):
            continue
        table = backend.tables.get(op.get("TableName"))
        if table is None:
            continue
        key = op.get("Key") or op.get("Item") or {}
        h = key.get(table.hash_key_attr)
        r = key.get(table.range_key_attr) if table.range_key_attr else None
        if h is None or (table.range_key_attr and r is None):
            continue
        found.append((table, DynamoType(h), DynamoType(r) if r is not None else None))
    return found


def _restore(table: Any, h: Any, r: Any, item: Any) -> None:
    if r is None:
        if item is None:
            table.items.pop(h, None)
        else:
            table.items[h] = item
    elif item is None:
        table.items.get(h, {}).pop(r, None)
    else:
        table.items[h][r] = item

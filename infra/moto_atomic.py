"""Make moto's DynamoDB behave like DynamoDB under concurrent requests, at a bounded cost.

1. Atomic and isolated, per partition key: real DynamoDB applies each conditional write and
   each transaction atomically. moto evaluates a condition and then writes in plain Python, so
   two threads could both pass the same condition (our race tests and the local stack would
   show overspends DynamoDB never allows). Each request holds the locks of the partition keys
   it names for its whole run (infra/moto_locks.py): requests on different users proceed
   together, requests on the same key take turns. (This was one global lock: 16 clients of
   the local stack got 12-18 requests/s.)
2. Transactions in O(items): moto backs up a transaction by deep-copying every table it names,
   once per item, so each settle copied the whole usage and ledger tables. Under the locks,
   the items a transaction names are the only ones it can change: they are backed up and
   restored instead, and moto's whole-table copy becomes a no-op.
3. Streams see committed writes only: moto adds a stream record for each write inside a
   transaction as it goes, even when the transaction is then cancelled. Records of a
   transaction are held back and added on commit (dropped on cancel), one at a time.
4. Update expressions parsed once: moto parses the same `UpdateExpression` text on every
   update (twice for a transaction's); the parse is kept per text (its users deep-copy it
   before they change anything), about a tenth of a transaction's time.
5. A write observer (the local stack's journal) may be attached: it is told, under the
   request's locks, about every successful write, and may then make the reply wait (outside
   the locks) until that write is on disk.

None of it changes anything in KeyLedger's own code.
"""

from __future__ import annotations

import copy
import functools
import threading
from collections.abc import Callable
from typing import Any, Protocol

from infra.moto_locks import READ_OPERATIONS, LockTable, Plan, plan_for

_installed = False
_locks = LockTable()
_local = threading.local()
_stream_lock = threading.Lock()


class WriteObserver(Protocol):
    def written(self, backend: Any, plan: Plan) -> Any:
        """Called under the request's locks after a successful write; returns a ticket."""

    def settled(self, ticket: Any) -> None:
        """Called with that ticket after the locks are released, before the reply is sent."""


_observer: WriteObserver | None = None


def set_write_observer(observer: WriteObserver | None) -> None:
    global _observer
    _observer = observer


def run_exclusive(action: Callable[[], None]) -> None:
    """Run `action` while no DynamoDB request runs (the emulator's exclusive lock)."""
    with _locks.hold(None, Plan("local", exclusive=True)):
        action()


def make_moto_dynamodb_atomic() -> None:
    global _installed
    if _installed:
        return
    from moto.dynamodb.responses import DynamoHandler

    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        operation = self._get_action()
        params = getattr(self, "params", None) or {}
        backend = self.dynamodb_backend
        plan = plan_for(backend, operation, params)
        ticket = None
        with _locks.hold(backend, plan):
            result = original(self)
            observer = _observer
            if observer is not None and operation not in READ_OPERATIONS and int(result[0]) < 400:
                ticket = observer.written(backend, plan)
        if ticket is not None and observer is not None:
            observer.settled(ticket)
        return result

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]
    _back_up_transactions_by_item()
    _hold_stream_records_until_commit()
    _parse_update_expressions_once()
    _installed = True


def _parse_update_expressions_once() -> None:
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]

    parse = functools.lru_cache(maxsize=4096)(UpdateExpressionParser.make)
    UpdateExpressionParser.make = staticmethod(parse)


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
        _local.stream_records = []
        try:
            original(self, transact_items)
        except Exception:
            for table, h, r, item in reversed(saved):
                _restore(table, h, r, item)
            raise
        else:
            for shard, old, new in _local.stream_records:
                _add_stream_record(shard, old, new)
        finally:
            _local.stream_records = None

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _hold_stream_records_until_commit() -> None:
    global _original_stream_add
    from moto.dynamodb.models.table import StreamShard

    _original_stream_add = StreamShard.add

    def add(self: Any, old: Any, new: Any) -> None:
        pending = getattr(_local, "stream_records", None)
        if pending is not None:
            pending.append((self, old, new))
        else:
            _add_stream_record(self, old, new)

    StreamShard.add = add  # type: ignore[method-assign]


_original_stream_add: Any = None


def _add_stream_record(shard: Any, old: Any, new: Any) -> None:
    with _stream_lock:  # moto numbers a record by the shard's length
        _original_stream_add(shard, old, new)


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

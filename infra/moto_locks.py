"""Which locks one DynamoDB request takes in the emulator (infra/moto_atomic.py).

Three levels, always taken in this order, so two requests can never wait on each other in a
circle:
1. the emulator: shared by every request on items, exclusive for anything else (tables,
   TTL, PartiQL, unknown operations), so a table is never created or dropped under a reader;
2. each table a request names: shared for item operations, exclusive for Query and Scan
   (moto walks the table's dicts in Python and a concurrent insert would break the walk);
3. partition keys: exclusive, one lock per partition key a request names (made on first use,
   dropped when no request holds or waits for it; taken in sorted order). Two requests on
   different partition keys proceed together; two on the same key (a user's balance) take
   turns, as DynamoDB's own item-level conflict detection would make them.
A transaction holds all of its stripes for its whole duration, so it stays all-or-nothing and
isolated, and a GetItem never sees half of one (DynamoDB's serializable GetItem).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

# Operations on items a request names by key: shared emulator and table locks, key stripes.
ITEM_OPERATIONS = frozenset({
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem",
    "TransactGetItems", "TransactWriteItems",
})
ITEM_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
TABLE_READS = frozenset({"Query", "Scan"})
# Operations that cannot change data; any other operation outside ITEM_WRITES is a write of
# unknown extent (a table created, a TTL set, PartiQL), which the journal answers with a full dump.
READ_OPERATIONS = frozenset({
    "GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems", "DescribeTable", "ListTables",
    "DescribeTimeToLive", "DescribeContinuousBackups", "ListTagsOfResource", "DescribeEndpoints",
    "DescribeLimits", "ListBackups", "ListGlobalTables", "DescribeGlobalTable",
    "DescribeKinesisStreamingDestination", "DescribeTableReplicaAutoScaling", "ListExports",
    "ListImports", "DescribeExport", "DescribeImport", "GetResourcePolicy",
})


class SharedExclusiveLock:
    """Many shared holders or one exclusive holder; a waiting exclusive request stops new shared
    ones, so a Scan is not starved by a stream of item writes."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._shared = 0
        self._exclusive = False
        self._waiting_exclusive = 0

    def acquire(self, exclusive: bool) -> None:
        with self._cond:
            if exclusive:
                self._waiting_exclusive += 1
                try:
                    self._cond.wait_for(lambda: not self._exclusive and self._shared == 0)
                finally:
                    self._waiting_exclusive -= 1
                self._exclusive = True
            else:
                self._cond.wait_for(lambda: not self._exclusive and self._waiting_exclusive == 0)
                self._shared += 1

    def release(self, exclusive: bool) -> None:
        with self._cond:
            if exclusive:
                self._exclusive = False
            else:
                self._shared -= 1
            self._cond.notify_all()


@dataclass(frozen=True)
class Key:
    """One item a request names: its table, and its key attributes in request form."""

    table: str
    key: dict[str, Any] = field(hash=False, compare=False)
    writes: bool = True


@dataclass
class Plan:
    operation: str
    exclusive: bool  # the whole emulator
    tables: dict[str, bool] = field(default_factory=dict)  # table -> exclusive
    keys: list[Key] = field(default_factory=list)


def _partition(backend: Any, key: Key) -> tuple[str, str, str]:
    """(table, type, value) of a key's partition: what one lock guards."""
    table = backend.tables[key.table]
    ((kind, inner),) = key.key[table.hash_key_attr].items()
    return key.table, kind, repr(inner)


def _key_of(backend: Any, table_name: str, attrs: Any) -> dict[str, Any] | None:
    """The key attributes of an item or key, in request form; None when they are not all there."""
    table = backend.tables.get(table_name)
    if table is None or not isinstance(attrs, dict):
        return None
    names = [table.hash_key_attr] + ([table.range_key_attr] if table.range_key_attr else [])
    if not all(isinstance(attrs.get(n), dict) for n in names):
        return None
    return {n: attrs[n] for n in names}


def _named_items(operation: str, params: dict[str, Any]) -> Iterator[tuple[Any, Any, bool]]:
    """(table, item or key attributes, writes?) for each item an item operation names."""
    if operation in ("GetItem", "UpdateItem", "DeleteItem"):
        yield params.get("TableName"), params.get("Key"), operation != "GetItem"
    elif operation == "PutItem":
        yield params.get("TableName"), params.get("Item"), True
    elif operation in ("TransactWriteItems", "TransactGetItems"):
        for entry in params.get("TransactItems") or []:
            for kind, op in (entry.items() if isinstance(entry, dict) else ()):
                if isinstance(op, dict):
                    yield op.get("TableName"), op.get("Item") or op.get("Key"), kind in ("Put", "Update", "Delete")
    elif operation == "BatchWriteItem":
        for table, requests in (params.get("RequestItems") or {}).items():
            for request in requests or []:
                for op in request.values() if isinstance(request, dict) else ():
                    if isinstance(op, dict):
                        yield table, op.get("Item") or op.get("Key"), True
    elif operation == "BatchGetItem":
        for table, spec in (params.get("RequestItems") or {}).items():
            for key in (spec or {}).get("Keys") or []:
                yield table, key, False


def plan_for(backend: Any, operation: str, params: dict[str, Any]) -> Plan:
    """The locks a request needs; anything unusual falls back to the exclusive emulator lock."""
    if operation in TABLE_READS and isinstance(params.get("TableName"), str):
        return Plan(operation, exclusive=False, tables={params["TableName"]: True})
    if operation not in ITEM_OPERATIONS:
        return Plan(operation, exclusive=True)
    plan = Plan(operation, exclusive=False)
    for table, attrs, writes in _named_items(operation, params):
        key = _key_of(backend, table, attrs) if isinstance(table, str) else None
        if key is None:  # malformed or unknown table: moto refuses it; lock everything meanwhile
            return Plan(operation, exclusive=True)
        plan.tables[table] = False
        plan.keys.append(Key(table, key, writes))
    return plan


class _PartitionLock:
    __slots__ = ("lock", "users")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0  # requests holding or waiting for it


class LockTable:
    """The emulator's locks (see the module's docstring)."""

    def __init__(self) -> None:
        self._emulator = SharedExclusiveLock()
        self._tables: dict[str, SharedExclusiveLock] = {}
        self._partitions: dict[tuple[str, str, str], _PartitionLock] = {}
        self._guard = threading.Lock()

    def _table(self, name: str) -> SharedExclusiveLock:
        with self._guard:
            return self._tables.setdefault(name, SharedExclusiveLock())

    def _enter(self, partition: tuple[str, str, str]) -> _PartitionLock:
        with self._guard:
            entry = self._partitions.get(partition)
            if entry is None:
                entry = self._partitions[partition] = _PartitionLock()
            entry.users += 1
        return entry

    def _leave(self, partition: tuple[str, str, str], entry: _PartitionLock) -> None:
        with self._guard:
            entry.users -= 1
            if entry.users == 0:
                del self._partitions[partition]

    @contextlib.contextmanager
    def hold(self, backend: Any, plan: Plan) -> Iterator[None]:
        held: list[tuple[SharedExclusiveLock, bool]] = []
        partitions: list[tuple[tuple[str, str, str], _PartitionLock, bool]] = []
        self._emulator.acquire(plan.exclusive)
        held.append((self._emulator, plan.exclusive))
        try:
            for name in sorted(plan.tables):
                lock = self._table(name)
                lock.acquire(plan.tables[name])
                held.append((lock, plan.tables[name]))
            for partition in sorted({_partition(backend, k) for k in plan.keys}):
                entry = self._enter(partition)
                partitions.append((partition, entry, False))
                entry.lock.acquire()
                partitions[-1] = (partition, entry, True)
            yield
        finally:
            for partition, entry, locked in reversed(partitions):
                if locked:
                    entry.lock.release()
                self._leave(partition, entry)
            for lock, exclusive in reversed(held):
                lock.release(exclusive)

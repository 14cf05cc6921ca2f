"""One DynamoDB transaction whose items carry names, so a cancellation names its cause.

DynamoDB answers a cancelled TransactWriteItems with one reason per item, in the order
the items were sent. PynamoDB sends condition checks, then deletes, then puts, then
updates, whatever order they were added in; `Txn` keeps a label per item in that same
order, and `TxnCancelled.failed` lists the labels of the items whose condition failed.
Services map labels to domain errors; nothing parses an error message.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ..kernel.errors import ServiceUnavailable


class TxnCancelled(Exception):
    """The transaction was cancelled; `failed` holds the labels of the failed conditions."""

    def __init__(self, failed: list[str], codes: dict[str, str]) -> None:
        super().__init__(f"transaction cancelled: {', '.join(failed) or 'no condition named'}")
        self.failed = failed
        self.codes = codes


class StorageError(Exception):
    """DynamoDB refused or failed the write for a reason other than a condition."""


class TxnConflict(StorageError):
    """Another transaction touched the same items at the same moment: safe to retry."""


class Txn:
    """Collect labelled writes, then `commit()` them as one TransactWriteItems call."""

    def __init__(self) -> None:
        self._connection: Any = None
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}
        self._ops: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def _use(self, model: Any) -> None:
        # Any model of the deployment: its connection (region, endpoint) carries the call.
        if self._connection is None:
            self._connection = model._get_connection().connection

    def check(self, label: str, model_cls: Any, hash_key: str, range_key: str, condition: Any) -> None:
        self._use(model_cls)
        self._labels["check"].append(label)
        self._ops.append(("condition_check", (model_cls, hash_key, range_key), {"condition": condition}))

    def delete(self, label: str, item: Any, condition: Any = None) -> None:
        self._use(item)
        self._labels["delete"].append(label)
        self._ops.append(("delete", (item,), {"condition": condition}))

    def put(self, label: str, item: Any, condition: Any = None) -> None:
        self._use(item)
        self._labels["put"].append(label)
        self._ops.append(("save", (item,), {"condition": condition}))

    def update(self, label: str, item: Any, actions: list[Any], condition: Any = None) -> None:
        self._use(item)
        self._labels["update"].append(label)
        self._ops.append(("update", (item, actions), {"condition": condition}))

    def __len__(self) -> int:
        return len(self._ops)

    def commit(self) -> None:
        order = [*self._labels["check"], *self._labels["delete"], *self._labels["put"], *self._labels["update"]]
        try:
            with TransactWrite(connection=self._connection) as tx:
                for method, args, kwargs in self._ops:
                    getattr(tx, method)(*args, **kwargs)
        except TransactWriteError as exc:
            reasons = list(exc.cancellation_reasons or [])
            # getattr: PynamoDB's property raises AttributeError when the cause carries no
            # response (a read timeout): the outcome is unknown, which is a storage error too.
            code = getattr(exc, "cause_response_code", None)
            if code != "TransactionCanceledException" or not reasons:
                raise StorageError(f"transaction failed: {code or type(exc.cause).__name__}") from exc
            codes = {label: r.code for label, r in zip(order, reasons, strict=False) if r is not None}
            failed = [label for label, code in codes.items() if code == "ConditionalCheckFailed"]
            if "TransactionConflict" in codes.values() and not failed:
                raise TxnConflict("transaction conflict") from exc
            if not failed:  # throttling, validation: nothing to blame on a condition
                raise StorageError(f"transaction cancelled: {sorted(set(codes.values()))}") from exc
            raise TxnCancelled(failed, codes) from exc


COMMIT_ATTEMPTS = 5
BACKOFF_SECONDS = 0.01  # the first wait; doubled per attempt, then jittered


def commit_with_retry(build: Callable[[], Txn], sleep: Callable[[float], None], *,
                      attempts: int = COMMIT_ATTEMPTS, jitter: Callable[[], float] = random.random) -> None:
    """Build and commit one transaction, retrying (bounded, with jittered exponential backoff)
    only when a concurrent transaction touched the same items, so racing writers do not retry
    in lockstep. `TxnCancelled` (a failed condition) propagates: the caller maps its labels to
    a domain error. Any other storage failure, or running out of attempts, is a 503."""
    for attempt in range(attempts):
        try:
            build().commit()
            return
        except TxnConflict:
            sleep(BACKOFF_SECONDS * (2**attempt) * (0.5 + jitter()))
        except StorageError as exc:
            raise ServiceUnavailable() from exc
    raise ServiceUnavailable("The service is busy; retry shortly.")
